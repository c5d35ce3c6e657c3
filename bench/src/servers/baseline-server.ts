/**
 * The floor: a minimal `ws` server speaking the platform's frames (three status frames,
 * join_chat → chat_joined, user_message → message_received / processing / response_start /
 * response_chunk* / response_complete) plus a bare Fastify `POST /api/v1/chat`. No auth, no
 * storage, no retrieval, no heartbeat: what any gateway in front of the same model costs at least.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import { scriptedTokens, type ScriptedModelOptions } from '../model/scripted-model.ts';

const WS_PATH = '/api/v1/ws/chat';

export interface BaselineOptions {
  host: string;
  port: number;
  model: ScriptedModelOptions;
}

type Bag = Record<string, unknown>;

function field(frame: Bag, key: string): unknown {
  const data = frame.data;
  if (typeof data === 'object' && data !== null && key in data) return (data as Bag)[key];
  return frame[key];
}

/** One socket's state: the envelope fields the platform also sends, and the running answers. */
class BaselineConnection {
  private lastTs = 0;
  private seq = 0;
  private chatId: string | null = null;
  private readonly answers = new Set<AbortController>();

  constructor(private readonly socket: WebSocket, private readonly tenantId: string, private readonly model: ScriptedModelOptions) {
    const connectionId = randomUUID();
    this.send('connection_established', { connection_id: connectionId, protocol_version: '3.2', server_version: 'baseline' });
    this.send('initialization_progress', { stage: 'ready', progress: 100 });
    this.send('connection_ready', { connection_id: connectionId, join_timeout_ms: 10_000, heartbeat_interval_ms: 25_000 });
    socket.on('message', (raw, isBinary) => {
      if (!isBinary) this.onFrame(raw.toString());
    });
    socket.on('close', () => {
      for (const answer of this.answers) answer.abort();
    });
  }

  private send(type: string, data: Bag, ids: { chat_id?: string; message_id?: string } = {}, chatScoped = false): void {
    if (this.socket.readyState !== 1) return;
    // Strictly increasing per connection, like the platform's envelope.
    this.lastTs = Math.max(Date.now(), this.lastTs + 1);
    const frame: Bag = { type, data, tenant_id: this.tenantId, event_ts: this.lastTs, ...ids };
    if (chatScoped) frame.seq = ++this.seq;
    this.socket.send(JSON.stringify(frame));
  }

  private onFrame(raw: string): void {
    let frame: Bag;
    try {
      frame = JSON.parse(raw) as Bag;
    } catch {
      return;
    }
    switch (frame.type) {
      case 'join_chat': {
        const requested = field(frame, 'chat_id');
        this.chatId = typeof requested === 'string' && requested ? requested : randomUUID();
        this.send('chat_joined', { chat_id: this.chatId, tenant_id: this.tenantId, resumed: false, last_seq: this.seq }, { chat_id: this.chatId });
        return;
      }
      case 'user_message':
      case 'chat_message':
        void this.answer(frame);
        return;
      case 'ping':
        this.send('pong', { ts: Date.now() });
        return;
      default:
        return;
    }
  }

  private async answer(frame: Bag): Promise<void> {
    const chatId = this.chatId ?? randomUUID();
    const text = String(field(frame, 'text') ?? field(frame, 'message') ?? '');
    const clientMessageId = field(frame, 'client_message_id');
    const userMessageId = randomUUID();
    const messageId = randomUUID();
    const createdAt = new Date().toISOString();
    const started = Date.now();
    this.send('message_received', {
      message_id: userMessageId, client_message_id: typeof clientMessageId === 'string' ? clientMessageId : null,
      chat_id: chatId, role: 'user', content: text, created_at: createdAt,
    }, { chat_id: chatId, message_id: userMessageId }, true);
    const ids = { chat_id: chatId, message_id: messageId };
    this.send('processing', { message_id: messageId, user_message_id: userMessageId, chat_id: chatId }, ids, true);
    this.send('response_start', { message_id: messageId, user_message_id: userMessageId, chat_id: chatId }, ids, true);
    const abort = new AbortController();
    this.answers.add(abort);
    let content = '';
    let index = 0;
    try {
      for await (const token of scriptedTokens(this.model, abort.signal)) {
        content += token;
        this.send('response_chunk', { message_id: messageId, chat_id: chatId, content: token, chunk_index: index++ }, ids, true);
      }
    } finally {
      this.answers.delete(abort);
    }
    const completedAt = new Date().toISOString();
    this.send('response_complete', {
      message_id: messageId, user_message_id: userMessageId, chat_id: chatId, content, role: 'assistant',
      status: abort.signal.aborted ? 'stopped' : 'complete', sources: [], llm_model: 'bench-scripted',
      prompt_tokens: 0, completion_tokens: index, total_tokens: index, response_time_ms: Date.now() - started,
      created_at: completedAt, message: { id: messageId, role: 'assistant', content, created_at: completedAt },
    }, ids, true);
  }
}

/** Starts the baseline on `host:port` (0 = any free port). */
export async function startBaselineServer(options: BaselineOptions): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify({ logger: false });
  app.post('/api/v1/chat', async (request, reply) => {
    const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Bag;
    const id = randomUUID();
    const now = new Date().toISOString();
    reply.code(201);
    return {
      id, chat_id: id, tenant_id: String(request.headers['x-tenant-id'] ?? body.tenant_id ?? 'bench'),
      session_id: typeof body.session_id === 'string' ? body.session_id : null, visitor_id: null,
      title: typeof body.title === 'string' ? body.title : 'Chat', status: 'active', created_at: now, updated_at: now,
    };
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 });
  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      new BaselineConnection(ws, url.searchParams.get('tenant_id') ?? 'bench', options.model);
    });
  });
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('baseline has no TCP address');
  return {
    url: `http://${options.host}:${address.port}`,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await app.close();
    },
  };
}
