/** @jsxImportSource preact */
import { h } from 'preact';
import type { VNode } from 'preact';
import type { ChatMessage } from '../chat-client-port.ts';
import { renderMarkdown, type CreateElement } from '../markdown-render.ts';
import { safeHref } from '../safe-url.ts';
import type { Strings } from '../strings.ts';
import { DocumentIcon, LinkIcon } from './icons.tsx';

const createElement = h as unknown as CreateElement<VNode>;

/** The three bouncing dots shown until an answer's first chunk arrives. */
export function TypingIndicator({ label }: { label: string }) {
  return (
    <div class="row assistant">
      <div class="bubble typing" role="status" aria-label={label}>
        <span />
        <span />
        <span />
      </div>
    </div>
  );
}

/** An assistant text (answer or greeting) rendered as safe Markdown. */
export function AssistantBubble({ content, streaming }: { content: string; streaming?: boolean }) {
  return <div class={streaming ? 'bubble streaming' : 'bubble'}>{renderMarkdown(content, createElement)}</div>;
}

export function MessageItem({ message, strings, online = true }: { message: ChatMessage; strings: Strings; online?: boolean }) {
  if (message.role === 'user') {
    // `failed`: the client gave up before delivering it; the retry button resends it (same id).
    // `sending` while the browser is offline waits for the network just like `queued`.
    const waiting = message.status === 'queued' || message.status === 'failed' || (message.status === 'sending' && !online);
    const note = waiting ? strings.queued : message.status === 'sending' ? strings.sending : message.status === 'error' ? strings.notSent : null;
    return (
      <div class={waiting ? 'row user waiting' : 'row user'} data-status={message.status}>
        <span class="sr-only">{strings.you}: </span>
        {/* Plain text child: rendered as a text node, so markup in a message stays inert text. */}
        <div class="bubble">{message.content}</div>
        {note && <div class={message.status === 'error' ? 'meta error' : 'meta'}>{note}</div>}
      </div>
    );
  }

  if (message.status === 'streaming' && message.content === '') return <TypingIndicator label={strings.typing} />;

  const note =
    message.status === 'stopped'
      ? strings.answerStopped
      : message.status === 'interrupted'
        ? strings.answerInterrupted
        : message.status === 'error'
          ? strings.answerFailed
          : null;
  return (
    <div class="row assistant" data-status={message.status} aria-busy={message.status === 'streaming' ? 'true' : undefined}>
      {message.content !== '' && <AssistantBubble content={message.content} streaming={message.status === 'streaming'} />}
      {note && <div class={message.status === 'stopped' ? 'meta' : 'meta error'}>{note}</div>}
      {message.status !== 'streaming' && message.sources.length > 0 && <SourceList sources={message.sources} strings={strings} />}
    </div>
  );
}

function SourceList({ sources, strings }: { sources: ChatMessage['sources']; strings: Strings }) {
  return (
    <div class="sources">
      <h3>{strings.sources}</h3>
      <ul>
        {sources.map((source, index) => {
          const href = safeHref(source.url);
          const title = source.title.trim() || href || `#${index + 1}`;
          return (
            <li key={`${index}:${title}`}>
              {href ? (
                <a class="source" href={href} target="_blank" rel="noopener noreferrer" title={source.snippet || title}>
                  <LinkIcon />
                  <span>{title}</span>
                </a>
              ) : (
                <span class="source" title={source.snippet || title}>
                  <DocumentIcon />
                  <span>{title}</span>
                </span>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
