/**
 * Shared helpers for tests that run the client against a server over real sockets.
 */
import WebSocket from 'ws';
import { createChatClient, MemoryStorage, type ChatClient, type ChatClientOptions, type ChatSnapshot, type WebSocketConstructorLike } from '@miptech/client';

/** A client wired for Node: `ws`, in-memory storage, short backoff, no browser events. */
export function nodeClient(apiUrl: string, tenantId: string, overrides: Partial<ChatClientOptions> = {}): ChatClient {
  return createChatClient({
    apiUrl,
    tenantId,
    WebSocket: WebSocket as unknown as WebSocketConstructorLike,
    storage: new MemoryStorage(),
    lifecycle: null,
    reconnect: { baseDelayMs: 20, maxDelayMs: 200, maxAttempts: 10 },
    ...overrides,
  });
}

/** Resolves with the first snapshot satisfying `predicate` (bounded by `timeoutMs`). */
export function waitForSnapshot(
  client: ChatClient,
  predicate: (snapshot: ChatSnapshot) => boolean,
  what: string,
  timeoutMs = 5000,
): Promise<ChatSnapshot> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const snapshot = client.getSnapshot();
      if (!predicate(snapshot)) return false;
      clearTimeout(timer);
      unsubscribe();
      resolve(snapshot);
      return true;
    };
    const timer = setTimeout(() => {
      unsubscribe();
      const s = client.getSnapshot();
      reject(new Error(`timed out waiting for ${what}; state=${s.connection.state} reason=${s.connection.reason} messages=${JSON.stringify(s.messages.map((m) => [m.role, m.status, m.content]))}`));
    }, timeoutMs);
    const unsubscribe = client.subscribe(check);
    check();
  });
}

/** Records every connection state the client passes through. */
export function recordStates(client: ChatClient): string[] {
  const states: string[] = [client.getSnapshot().connection.state];
  client.subscribe(() => {
    const state = client.getSnapshot().connection.state;
    if (states.at(-1) !== state) states.push(state);
  });
  return states;
}
