/**
 * One visitor of the cluster proof: an @miptech/client ChatClient holding a conversation through
 * the load balancer, plus a tap on its WebSocket that records every frame as it came off the wire
 * (the SDK itself drops replayed duplicates, so duplicates and gaps are counted below it).
 */
import WebSocket from 'ws';
import { createChatClient, MemoryStorage, type ChatClient, type ChatSnapshot, type WebSocketConstructorLike } from '@miptech/client';

export interface WireChunk {
  seq: number;
  messageId: string;
  chunkIndex: number;
  content: string;
  at: number;
}

export interface WireAnswerEnd {
  seq: number;
  messageId: string;
  userMessageId: string;
  content: string;
  status: string;
  errorCode: string | null;
  at: number;
}

export interface WireJoin {
  resumed: boolean;
  historyReloadRequired: boolean;
  at: number;
}

/** What the wire showed one visitor, in arrival order. */
export class WireRecord {
  readonly chunks: WireChunk[] = [];
  readonly ends: WireAnswerEnd[] = [];
  readonly errors: Array<{ seq: number | null; code: string; messageId: string | null; at: number }> = [];
  readonly joins: WireJoin[] = [];
  readonly closes: Array<{ code: number; at: number }> = [];
  /** Every chat seq seen (any frame type), with repeats. */
  readonly seqs: number[] = [];
  /** Seqs that arrived lower than or equal to one seen before on the same or an earlier socket. */
  readonly backwards: number[] = [];
  private highest = 0;

  frame(raw: string): void {
    let frame: { type?: string; seq?: number; data?: Record<string, unknown> };
    try {
      frame = JSON.parse(raw) as typeof frame;
    } catch {
      return;
    }
    const at = Date.now();
    const data = frame.data ?? {};
    if (typeof frame.seq === 'number') {
      this.seqs.push(frame.seq);
      if (frame.seq <= this.highest) this.backwards.push(frame.seq);
      else this.highest = frame.seq;
    }
    switch (frame.type) {
      case 'response_chunk':
        this.chunks.push({
          seq: frame.seq ?? -1,
          messageId: String(data.message_id),
          chunkIndex: Number(data.chunk_index),
          content: String(data.content),
          at,
        });
        break;
      case 'response_complete':
        this.ends.push({
          seq: frame.seq ?? -1,
          messageId: String(data.message_id),
          userMessageId: String(data.user_message_id),
          content: String(data.content),
          status: String(data.status),
          errorCode: typeof data.error_code === 'string' ? data.error_code : null,
          at,
        });
        break;
      case 'error':
        this.errors.push({
          seq: frame.seq ?? null,
          code: String(data.code),
          messageId: typeof data.message_id === 'string' ? data.message_id : null,
          at,
        });
        break;
      case 'chat_joined':
        this.joins.push({ resumed: data.resumed === true, historyReloadRequired: data.history_reload_required === true, at });
        break;
      default:
        break;
    }
  }

  closed(code: number): void {
    this.closes.push({ code, at: Date.now() });
  }
}

/** A `ws` WebSocket class whose sockets report to `record` (the SDK takes the constructor). */
function tappedWebSocket(record: WireRecord): WebSocketConstructorLike {
  // ws's handler types are narrower than the SDK's structural ones; the runtime shapes match.
  return class TappedWebSocket extends WebSocket {
    constructor(url: string) {
      super(url, { perMessageDeflate: false });
      this.addEventListener('message', (event) => record.frame(String(event.data)));
      this.addEventListener('close', (event) => record.closed(event.code));
    }
  } as unknown as WebSocketConstructorLike;
}

export interface VisitorOptions {
  index: number;
  apiUrl: string;
  tenantId: string;
  getToken: () => Promise<string>;
}

export interface AnswerOutcome {
  userMessageId: string;
  messageId: string;
  status: string;
}

export class ClusterVisitor {
  readonly wire = new WireRecord();
  readonly client: ChatClient;
  readonly sent: string[] = [];
  readonly outcomes: AnswerOutcome[] = [];
  /** Errors of the conversation loop (timeouts, refused sends). */
  readonly failures: string[] = [];
  private readonly waiting = new Map<string, (outcome: AnswerOutcome) => void>();

  constructor(readonly options: VisitorOptions) {
    this.client = createChatClient({
      apiUrl: options.apiUrl,
      tenantId: options.tenantId,
      getToken: options.getToken,
      storage: new MemoryStorage(),
      sessionId: `cluster-visitor-${options.index}-${Date.now().toString(36)}`,
      WebSocket: tappedWebSocket(this.wire),
      lifecycle: null,
      reconnect: { maxAttempts: 40, baseDelayMs: 200, maxDelayMs: 2000 },
    });
    this.client.on('response_complete', (frame) => {
      const outcome = { userMessageId: frame.data.user_message_id, messageId: frame.data.message_id, status: frame.data.status };
      this.waiting.get(outcome.userMessageId)?.(outcome);
    });
  }

  get snapshot(): ChatSnapshot {
    return this.client.getSnapshot();
  }

  connect(): Promise<void> {
    return this.client.connect();
  }

  /** Sends one question and waits for the end of its answer. */
  async ask(text: string, timeoutMs: number): Promise<AnswerOutcome> {
    let settle: (outcome: AnswerOutcome) => void = () => undefined;
    const answered = new Promise<AnswerOutcome>((resolve) => {
      settle = resolve;
    });
    const sent = await this.client.send(text);
    this.sent.push(sent.id);
    // The end may have arrived with (or before) the acknowledgement's promise settling.
    const early = this.wire.ends.find((end) => end.userMessageId === sent.id);
    if (early) settle({ userMessageId: sent.id, messageId: early.messageId, status: early.status });
    this.waiting.set(sent.id, settle);
    let timer: NodeJS.Timeout | undefined;
    try {
      const outcome = await Promise.race([
        answered,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`visitor ${this.options.index}: no answer to ${sent.id} within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      this.outcomes.push(outcome);
      return outcome;
    } finally {
      clearTimeout(timer);
      this.waiting.delete(sent.id);
    }
  }

  close(): void {
    this.client.close();
  }
}
