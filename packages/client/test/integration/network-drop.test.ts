/**
 * @miptech/client against the real platform when the network, not the server, fails: the socket
 * dies without a close handshake (1006) in the middle of an answer, and an acknowledgement is lost
 * on the way. The answer must be finished from the server's replay (last_seq), and the message
 * whose ack was lost must be stored once and answered once, settling the same send() promise.
 * And the heartbeat: the server's pings keep a quiet connection alive, and a connection that
 * silently stops delivering is noticed and replaced.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { ChatClient, ChatSnapshot, WebSocketConstructorLike, WebSocketLike } from '@miptech/client';
import { startTestPlatform } from '../../../server/test/support/test-platform.ts';
import { createScriptedEngine } from '../../../server/test/support/scripted-engine.ts';
import { nodeClient, waitForSnapshot } from '../support/client-test-helpers.ts';

/**
 * A `ws` WebSocket the test can cut like a network failure (terminate: no close frame), and that
 * can swallow one incoming frame first (an acknowledgement lost with the connection).
 */
function cuttableWebSocket() {
  const sockets: WebSocket[] = [];
  let swallow: ((raw: string) => boolean) | null = null;
  let muted: WebSocket | null = null;
  /** Wraps a real `ws` socket; only the incoming-frame path is intercepted. */
  class CuttableSocket implements WebSocketLike {
    private readonly socket: WebSocket;
    onopen: WebSocketLike['onopen'] = null;
    onmessage: WebSocketLike['onmessage'] = null;
    onclose: WebSocketLike['onclose'] = null;
    onerror: WebSocketLike['onerror'] = null;

    constructor(url: string) {
      const socket = new WebSocket(url, { perMessageDeflate: false });
      this.socket = socket;
      sockets.push(socket);
      socket.on('open', () => this.onopen?.({}));
      socket.on('error', (error) => this.onerror?.(error));
      socket.on('close', (code, reason) => this.onclose?.({ code, reason: reason.toString() }));
      socket.on('message', (data) => {
        if (socket === muted) return;
        const raw = data.toString();
        if (swallow?.(raw)) {
          // A cut connection delivers nothing more: ws may still emit frames it had already read
          // from the same TCP chunk after terminate(), which a real network loss would not deliver.
          swallow = null;
          muted = socket;
          socket.terminate();
          return;
        }
        this.onmessage?.({ data: raw });
      });
    }
    get readyState(): number {
      return this.socket.readyState;
    }
    send(data: string): void {
      this.socket.send(data);
    }
    close(code?: number, reason?: string): void {
      this.socket.close(code, reason);
    }
  }
  return {
    WebSocket: CuttableSocket as WebSocketConstructorLike,
    /** Number of sockets opened so far. */
    get opened() {
      return sockets.length;
    },
    /** Kills the current socket as a network failure would. */
    cut() {
      muted = sockets.at(-1) ?? null;
      sockets.at(-1)?.terminate();
    },
    /** From now on the current socket delivers nothing, yet stays open (a half-open TCP connection). */
    mute() {
      muted = sockets.at(-1) ?? null;
    },
    /** Cuts the connection instead of delivering the next frame matching `match`. */
    cutOnFrame(match: (raw: string) => boolean) {
      swallow = match;
    },
  };
}

/** Waits until the client is ready again and has a finished answer. */
function answeredAfterRejoin(client: ChatClient): Promise<ChatSnapshot> {
  return waitForSnapshot(
    client,
    (s) => s.connection.state === 'ready' && s.messages.some((m) => m.role === 'assistant' && m.status === 'complete'),
    'a finished answer after the rejoin',
    10_000,
  );
}

test('a network drop (1006) mid-answer: the replay finishes the same answer, nothing doubled', async (t) => {
  const chunks = Array.from({ length: 30 }, (_, index) => ` w${index}`);
  const tp = await startTestPlatform({ overrides: { engine: createScriptedEngine({ delayMs: 20, chunks }) } });
  t.after(() => tp.close());
  const net = cuttableWebSocket();
  const client = nodeClient(tp.url, tp.tenantId, { WebSocket: net.WebSocket, getToken: () => tp.mintToken({ sub: 'dropper' }) });
  t.after(() => client.close());
  await client.connect();

  await client.send('a long answer please');
  await waitForSnapshot(client, (s) => s.streamingContent.split(' ').length > 5, 'answer streaming');
  net.cut();
  await waitForSnapshot(client, (s) => s.connection.state !== 'ready', 'the drop');
  const done = await answeredAfterRejoin(client);
  assert.ok(net.opened >= 2, 'reconnected');
  const replies = done.messages.filter((m) => m.role === 'assistant');
  assert.equal(replies.length, 1, 'one reply object');
  assert.equal(replies[0]!.content, chunks.join(''));
  const { items } = await tp.platform.services.store.messages.list(tp.tenantId, done.chatId!, { limit: 50 });
  assert.equal(items.find((m) => m.id === replies[0]!.id)?.content, replies[0]!.content);
});

test('an acknowledgement lost with the connection: the resend is stored once, answered once, and settles send()', async (t) => {
  const tp = await startTestPlatform({ overrides: { engine: createScriptedEngine({ chunks: (request) => ['Re: ', request.question] }) } });
  t.after(() => tp.close());
  const net = cuttableWebSocket();
  const client = nodeClient(tp.url, tp.tenantId, { WebSocket: net.WebSocket, getToken: () => tp.mintToken({ sub: 'lost-ack' }) });
  t.after(() => client.close());
  await client.connect();

  net.cutOnFrame((raw) => raw.includes('"message_received"'));
  const sent = await client.send('did you get this?');
  // send() may already be settled by the history read of the first join (which can see the stored
  // message); the point here is the rejoin on a new socket, so wait for that socket first.
  const done = await waitForSnapshot(
    client,
    (s) => net.opened >= 2 && s.connection.state === 'ready' && s.messages.some((m) => m.role === 'assistant' && m.status === 'complete'),
    'a finished answer on a replacement connection',
    10_000,
  );
  assert.ok(net.opened >= 2, 'the connection was cut and replaced');
  const { items } = await tp.platform.services.store.messages.list(tp.tenantId, done.chatId!, { limit: 50 });
  const users = items.filter((m) => m.role === 'user');
  assert.equal(users.length, 1, 'stored once');
  assert.equal(users[0]!.id, sent.id, 'send() settled with the stored message');
  assert.equal(items.filter((m) => m.role === 'assistant').length, 1, 'answered once');
  assert.deepEqual(
    done.messages.map((m) => [m.role, m.content, m.status]),
    [
      ['user', 'did you get this?', 'sent'],
      ['assistant', 'Re: did you get this?', 'complete'],
    ],
  );
});

test("heartbeat: the server's pings keep a quiet connection; one that silently stops delivering is replaced", async (t) => {
  const tp = await startTestPlatform({ env: { WS_HEARTBEAT_INTERVAL_MS: '100' } });
  t.after(() => tp.close());
  const net = cuttableWebSocket();
  const client = nodeClient(tp.url, tp.tenantId, { WebSocket: net.WebSocket, getToken: () => tp.mintToken({ sub: 'quiet' }) });
  t.after(() => client.close());
  await client.connect();

  // Ten heartbeat intervals without a message: pings and pongs only.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(client.getSnapshot().connection.state, 'ready');
  assert.equal(net.opened, 1, 'no reconnect while the server pings');

  net.mute();
  await waitForSnapshot(client, (s) => s.connection.state === 'reconnecting', 'the dead connection noticed');
  assert.equal(client.getSnapshot().connection.code, 1006);
  await waitForSnapshot(client, (s) => s.connection.state === 'ready', 'ready on a new socket');
  assert.equal(net.opened, 2);
  await client.send('still there?');
  await waitForSnapshot(client, (s) => s.messages.some((m) => m.role === 'assistant' && m.status === 'complete'), 'an answer');
});
