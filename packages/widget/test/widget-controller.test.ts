/** The controller without a browser: events, unread answers, open state across reloads. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SentMessage } from '@miptech/client';
import type { ChatClientPort, ChatMessage, ChatSnapshot } from '../src/chat-client-port.ts';
import { memoryStorage } from '../src/safe-storage.ts';
import { WidgetController } from '../src/widget-controller.ts';

/** A client whose snapshot the test sets by hand. */
class HandDrivenClient implements ChatClientPort {
  snapshot: ChatSnapshot = {
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
  readonly sent: string[] = [];
  connects = 0;
  private readonly listeners = new Set<() => void>();
  async connect(): Promise<void> {
    this.connects += 1;
  }
  async send(text: string): Promise<SentMessage> {
    this.sent.push(text);
    return { id: 'm', clientMessageId: 'c', chatId: 'chat', content: text, createdAt: '', duplicate: false };
  }
  stop(): void {}
  retry(): void {}
  close(): void {}
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  getSnapshot(): ChatSnapshot {
    return this.snapshot;
  }
  set(patch: Partial<ChatSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const listener of this.listeners) listener();
  }
}

const answer = (id: string, status: ChatMessage['status'], content = 'text'): ChatMessage => ({ id, clientMessageId: null, role: 'assistant', content, status, sources: [], createdAt: '' });

function setUp(sessionStorage = memoryStorage()) {
  const clients: HandDrivenClient[] = [];
  const controller = new WidgetController({
    embed: { tenantId: 't1', publishableKey: 'pk_x', apiUrl: 'http://127.0.0.1:9', language: null },
    createClient: () => {
      const client = new HandDrivenClient();
      clients.push(client);
      return client;
    },
    localStorage: memoryStorage(),
    sessionStorage,
    pageLanguage: 'it',
    fetch: async () => new Response(JSON.stringify({ assistant_name: 'Aida', primary_color: '#16a34a' }), { status: 200 }),
  });
  const events: string[] = [];
  for (const type of ['ready', 'open', 'close', 'message', 'answer', 'connection'] as const) {
    controller.events.on(type, (payload) => events.push(type === 'connection' ? `connection:${(payload as { state: string }).state}` : type === 'answer' ? `answer:${(payload as { id: string }).id}` : type));
  }
  return { controller, clients, events };
}

test('no chat client (no chat, no socket) until the panel first opens; config and language applied', async () => {
  const { controller, clients, events } = setUp();
  await controller.start();
  assert.equal(clients.length, 0);
  const state = controller.getState();
  assert.equal(state.loaded, true);
  assert.equal(state.config.assistantName, 'Aida');
  assert.equal(state.language, 'it');
  controller.open();
  assert.equal(clients.length, 1);
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(clients[0]!.connects, 1);
  controller.close();
  controller.open();
  assert.equal(clients.length, 1, 'one client for the page');
  assert.deepEqual(events.filter((e) => !e.startsWith('connection')), ['ready', 'open', 'close', 'open']);
});

test('answers that finish while closed count as unread; history does not', async () => {
  const { controller, clients, events } = setUp();
  await controller.start();
  controller.open();
  const client = clients[0]!;
  client.set({ connection: { state: 'ready', code: null, reason: null, attempt: 0 }, messages: [answer('old', 'complete')] });
  controller.close();
  client.set({ messages: [answer('old', 'complete'), answer('new', 'streaming', '')] });
  client.set({ messages: [answer('old', 'complete'), answer('new', 'complete')] });
  assert.equal(controller.getState().unread, 1);
  assert.ok(events.includes('answer:new'));
  assert.ok(!events.includes('answer:old'), 'history is not announced as a new answer');
  assert.ok(events.includes('connection:ready'));
  controller.open();
  assert.equal(controller.getState().unread, 0);
});

test('the panel reopens after a reload when it was open', async () => {
  const session = memoryStorage();
  const first = setUp(session);
  await first.controller.start();
  first.controller.open();
  const second = setUp(session);
  await second.controller.start();
  assert.equal(second.controller.getState().open, true);
  second.controller.close();
  const third = setUp(session);
  await third.controller.start();
  assert.equal(third.controller.getState().open, false);
});

test('send trims, ignores blank text and reports the message', async () => {
  const { controller, clients, events } = setUp();
  await controller.start();
  controller.send('   ');
  assert.equal(clients.length, 0);
  controller.send('  hello \n');
  assert.deepEqual(clients[0]!.sent, ['hello']);
  assert.ok(events.includes('message'));
});
