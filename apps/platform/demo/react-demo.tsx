/** @jsxImportSource react */
/**
 * The `/demo/react` page: the same chat as the widget, written the way an integrator would with
 * @miptech/react's `useChatSession`. It shares the widget's safe Markdown renderer and visitor-token
 * source, nothing else: layout and state handling are plain React.
 */
import { createElement, StrictMode, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { useChatSession } from '@miptech/react';
import {
  createVisitorTokenSource,
  prefixedStorage,
  renderMarkdown,
  safeHref,
  safeStorage,
  type CreateElement,
} from '@miptech/widget';

const h = createElement as unknown as CreateElement<ReactNode>;

interface DemoSettings {
  tenantId: string;
  publishableKey: string | null;
  apiUrl: string;
}

function Chat({ settings, getToken }: { settings: DemoSettings; getToken: () => Promise<string> }) {
  const chat = useChatSession({ apiUrl: settings.apiUrl, tenantId: settings.tenantId, getToken });
  const [text, setText] = useState('');
  const state = chat.connection.state;

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (text.trim() === '') return;
    void chat.sendMessage(text.trim()).catch(() => undefined); // failures show on the message
    setText('');
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) submit(event);
  };

  return (
    <section className="chat" aria-label="Chat">
      <header>
        <strong>Assistant</strong>
        <span className={`state ${state}`}>{state === 'ready' ? 'online' : state}</span>
      </header>
      {(state === 'failed' || state === 'closed') && (
        <div className="banner" role="alert">
          {chat.connection.reason ?? chat.error?.message ?? 'Disconnected'}{' '}
          <button type="button" onClick={() => chat.retry()}>
            Retry
          </button>
        </div>
      )}
      {state === 'reconnecting' && (
        <div className="banner" role="status">
          Reconnecting… your conversation is kept.
        </div>
      )}
      <div className="messages" role="log" aria-live="polite">
        {chat.messages.length === 0 && <p className="empty">Ask anything about the platform.</p>}
        {chat.messages.map((message) => (
          <article key={message.clientMessageId ?? message.id} className={`message ${message.role}`} data-status={message.status}>
            {message.role === 'user' ? <p>{message.content}</p> : renderMarkdown(message.content, h)}
            {message.status === 'queued' && <small>waiting for the connection</small>}
            {message.sources.length > 0 && message.status !== 'streaming' && (
              <ul className="sources">
                {message.sources.map((source, index) => {
                  const href = safeHref(source.url);
                  return <li key={index}>{href ? <a href={href} target="_blank" rel="noopener noreferrer">{source.title}</a> : source.title}</li>;
                })}
              </ul>
            )}
          </article>
        ))}
        {chat.isTyping && !chat.messages.some((m) => m.status === 'streaming' && m.content !== '') && <p className="typing">Assistant is typing…</p>}
      </div>
      <form onSubmit={submit}>
        <textarea aria-label="Message" rows={2} value={text} placeholder="Ask a question…" onChange={(e) => setText(e.target.value)} onKeyDown={onKeyDown} />
        <button type="submit" disabled={text.trim() === ''}>
          Send
        </button>
        {chat.isTyping && (
          <button type="button" className="secondary" onClick={() => chat.stop()}>
            Stop
          </button>
        )}
      </form>
    </section>
  );
}

const SNIPPET = `import { useChatSession } from '@miptech/react';

function Chat() {
  const { messages, sendMessage, isTyping,
          connection, retry } = useChatSession({
    apiUrl, tenantId, getToken,
  });
  // render messages; sendMessage(text)
  // queues while offline, sends once
}`;

function App({ settings }: { settings: DemoSettings }) {
  const [tokens] = useState(() =>
    createVisitorTokenSource({
      apiUrl: settings.apiUrl,
      tenantId: settings.tenantId,
      publishableKey: settings.publishableKey,
      storage: prefixedStorage(safeStorage('local'), `miptech:${settings.tenantId}:react-demo:`),
    }),
  );
  return (
    <main>
      <div className="intro">
        <a href="/">← Back to the widget demo</a>
        <h1>The same chat, built with React</h1>
        <p>
          This page does not use the widget. It renders the conversation itself with the <code>useChatSession</code> hook from{' '}
          <code>@miptech/react</code>: reconnects, the offline outbox, streaming and history come from the SDK.
        </p>
        <pre>
          <code>{SNIPPET}</code>
        </pre>
      </div>
      <Chat settings={settings} getToken={() => tokens.getToken()} />
    </main>
  );
}

const root = document.getElementById('root');
if (root) {
  const settings: DemoSettings = {
    tenantId: root.dataset.tenant ?? '',
    publishableKey: root.dataset.key || null,
    apiUrl: root.dataset.api || location.origin,
  };
  createRoot(root).render(
    <StrictMode>
      <App settings={settings} />
    </StrictMode>,
  );
}
