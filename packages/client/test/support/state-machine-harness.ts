/**
 * A client wired to injected timers, an in-memory socket and a fake fetch, for tests that drive the
 * state machine step by step (no network, no real time).
 */
import { createChatClient, MemoryStorage, type ChatClientOptions } from '@miptech/client';
import { ManualTimers } from './manual-timers.ts';
import { fakeFetch, fakeSocketFactory, flush, type FakeSocket } from './fake-socket.ts';

export function harness(overrides: Partial<ChatClientOptions> = {}) {
  const timers = new ManualTimers();
  const sockets = fakeSocketFactory();
  const fetch = fakeFetch();
  const client = createChatClient({
    apiUrl: 'https://api.example.test',
    tenantId: 'acme',
    WebSocket: sockets.WebSocket,
    fetch,
    timers,
    random: () => 0.5,
    storage: new MemoryStorage(),
    lifecycle: null,
    loadHistory: false,
    ...overrides,
  });
  const states: string[] = [];
  client.subscribe(() => {
    const { state } = client.getSnapshot().connection;
    if (states.at(-1) !== state) states.push(state);
  });
  /** Plays the server side of a successful connect on the newest socket. */
  const accept = async (joined: Record<string, unknown> = {}): Promise<FakeSocket> => {
    await flush();
    const socket = sockets.last();
    socket.open();
    socket.receive({ type: 'connection_ready', data: { connection_id: 'c1', join_timeout_ms: 10000, heartbeat_interval_ms: 1000 } });
    socket.receive({ type: 'chat_joined', chat_id: 'chat_1', data: { chat_id: 'chat_1', tenant_id: 'acme', resumed: false, last_seq: 0, ...joined } });
    await flush();
    return socket;
  };
  return { client, timers, sockets, fetch, states, accept };
}
