/**
 * A stand-in for @miptech/client that plays a scripted conversation, for working on the widget's
 * looks without a server (`node packages/widget/dev/preview.mjs`). Never shipped, never used in tests.
 */
import type { SentMessage } from '@miptech/client';
import type { ChatClientPort, ChatMessage, ChatSnapshot, ConnectionState } from '../src/chat-client-port.ts';

const ANSWER = `Embedding the assistant takes **one script tag**:

1. Copy your tenant id and publishable key from the admin CLI.
2. Paste the tag before \`</body>\`:

\`\`\`html
<script src="https://platform/widget.js" data-tenant="acme" async></script>
\`\`\`

See the [deployment guide](https://example.com/docs/deployment) for *nginx* settings.`;

export class ScriptedChatClient implements ChatClientPort {
  private snapshot: ChatSnapshot = {
    connection: { state: 'idle', code: null, reason: null, attempt: 0 },
    chatId: null,
    messages: [],
    isTyping: false,
    streamingContent: '',
    error: null,
    lastSeq: 0,
    hasOlder: false,
    isLoadingOlder: false,
  };
  private readonly listeners = new Set<() => void>();
  private counter = 0;

  async connect(): Promise<void> {
    this.setConnection('connecting');
    setTimeout(() => this.setConnection('ready'), 400);
  }

  async send(text: string): Promise<SentMessage> {
    const id = `m${++this.counter}`;
    const queued = this.snapshot.connection.state !== 'ready';
    this.patch({ messages: [...this.snapshot.messages, message(id, 'user', text, queued ? 'queued' : 'sent')], isTyping: !queued });
    if (!queued) this.answer(text);
    return { id, clientMessageId: id, chatId: 'preview', content: text, createdAt: new Date().toISOString(), duplicate: false };
  }

  stop(): void {}
  retry(): void {
    this.connect();
  }
  close(): void {
    this.setConnection('closed');
  }
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  getSnapshot(): ChatSnapshot {
    return this.snapshot;
  }

  /** Preview controls. */
  setConnection(state: ConnectionState, reason: string | null = null, attempt = 0): void {
    this.patch({ connection: { state, code: null, reason, attempt } });
    if (state !== 'ready') return;
    for (const queued of this.snapshot.messages.filter((m) => m.status === 'queued')) {
      this.patch({ messages: this.snapshot.messages.map((m) => (m === queued ? { ...m, status: 'sent' } : m)) });
      this.answer(queued.content);
    }
  }

  private answer(question: string): void {
    const id = `a${++this.counter}`;
    const text = /xss/i.test(question) ? 'Echo: <img src=x onerror=alert(1)> <script>alert(2)</script> [click](javascript:alert(3))' : ANSWER;
    const words = text.split(/(?<=\s)/);
    let index = 0;
    setTimeout(() => {
      this.patch({ isTyping: true, messages: [...this.snapshot.messages, message(id, 'assistant', '', 'streaming')] });
      const timer = setInterval(() => {
        index += 1;
        const done = index >= words.length;
        this.patch({
          isTyping: !done,
          messages: this.snapshot.messages.map((m) =>
            m.id === id
              ? {
                  ...m,
                  content: words.slice(0, index).join(''),
                  status: done ? 'complete' : 'streaming',
                  sources: done
                    ? [
                        { title: 'Embedding the widget', url: 'https://example.com/docs/widget', snippet: 'One script tag…' },
                        { title: 'deployment.md', url: null, snippet: 'nginx' },
                      ]
                    : [],
                }
              : m,
          ),
        });
        if (done) clearInterval(timer);
      }, 40);
    }, 700);
  }

  private patch(patch: Partial<ChatSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const listener of this.listeners) listener();
  }
}

function message(id: string, role: 'user' | 'assistant', content: string, status: ChatMessage['status']): ChatMessage {
  return { id, clientMessageId: role === 'user' ? id : null, role, content, status, sources: [], createdAt: new Date().toISOString() };
}
