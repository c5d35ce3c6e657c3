/**
 * useChatSession rendered for real (react-dom/client on a happy-dom document, effects and all)
 * against a protocol-speaking server over real sockets. Covers the hook's defects of the guide's
 * sample: 5 (stale streamingContent closure) and 6 (a socket leaked per StrictMode mount).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StrictMode, act, type ReactElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import WebSocket from 'ws';
import { MemoryStorage, UndeliveredMessageError, type WebSocketConstructorLike } from '@miptech/client';
import { useChatSession, type ChatSession, type UseChatSessionOptions } from '@miptech/react';
import { FakeChatServer } from '@miptech/testing/fake-chat-server.ts';
import { installDom } from './support/dom-environment.ts';

interface Harness {
  server: FakeChatServer;
  sockets: { constructed: number };
  latest: { current: ChatSession | null };
  renders: ChatSession[];
  root: Root;
  container: HTMLElement;
  render(element: ReactElement): Promise<void>;
  waitFor(predicate: (session: ChatSession) => boolean, what: string): Promise<ChatSession>;
  options(extra?: Partial<UseChatSessionOptions>): UseChatSessionOptions;
}

async function setup(t: { after(fn: () => unknown): void }, server: FakeChatServer): Promise<Harness> {
  const dom = installDom();
  await server.start();
  const sockets = { constructed: 0 };
  class CountingWebSocket extends WebSocket {
    constructor(url: string) {
      super(url);
      sockets.constructed++;
    }
  }
  const container = dom.container();
  const root = createRoot(container);
  const latest: { current: ChatSession | null } = { current: null };
  const renders: ChatSession[] = [];
  const storage = new MemoryStorage();
  t.after(async () => {
    await act(async () => root.unmount());
    await new Promise((resolve) => setTimeout(resolve, 20));
    await server.stop();
    await dom.teardown();
  });
  return {
    server,
    sockets,
    latest,
    renders,
    root,
    container,
    async render(element) {
      await act(async () => root.render(element));
    },
    async waitFor(predicate, what) {
      const deadline = Date.now() + 5000;
      while (!latest.current || !predicate(latest.current)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; status=${latest.current?.status}`);
        await act(async () => {
          await new Promise((resolve) => setTimeout(resolve, 10));
        });
      }
      return latest.current;
    },
    options(extra = {}) {
      const { clientOptions, ...rest } = extra;
      return {
        apiUrl: server.url,
        tenantId: server.tenantId,
        ...rest,
        clientOptions: {
          WebSocket: CountingWebSocket as unknown as WebSocketConstructorLike,
          storage,
          lifecycle: null,
          reconnect: { baseDelayMs: 10, maxDelayMs: 50 },
          ...clientOptions,
        },
      };
    },
  };
}

function Probe(props: { options: UseChatSessionOptions; latest: { current: ChatSession | null }; renders?: ChatSession[] }) {
  const session = useChatSession(props.options);
  props.latest.current = session;
  props.renders?.push(session);
  return (
    <ul data-status={session.status}>
      {session.messages.map((m) => (
        <li key={m.id} className={m.role}>{m.content}</li>
      ))}
      {session.isTyping ? <li className="typing">{session.streamingContent}</li> : null}
    </ul>
  );
}

test('defect 6: a StrictMode double mount opens exactly one socket, and unmounting closes it', async (t) => {
  const h = await setup(t, new FakeChatServer());
  const options = h.options();
  await h.render(
    <StrictMode>
      <Probe options={options} latest={h.latest} />
    </StrictMode>,
  );
  await h.waitFor((s) => s.status === 'ready', 'ready');
  // Let any socket a second mount might have opened show up.
  await act(async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
  });
  assert.equal(h.sockets.constructed, 1, 'one WebSocket constructed');
  assert.equal(h.server.connectionsOpened, 1, 'one connection reached the server');
  assert.equal(h.server.createRequests, 1, 'one chat creation');
  assert.equal(h.server.openConnections, 1);

  await act(async () => h.root.unmount());
  await h.server.waitFor(() => h.server.openConnections === 0, 'the socket closed after unmount');
  assert.equal(h.latest.current!.client.getSnapshot().connection.state, 'closed');
});

test('defect 5: the final answer is the server content, with live chunks before it (no stale closure)', async (t) => {
  const chunks = ['The', ' answer', ' is', ' 42.'];
  const h = await setup(t, new FakeChatServer({ answer: () => chunks, chunkDelayMs: 15 }));
  await h.render(<Probe options={h.options()} latest={h.latest} renders={h.renders} />);
  await h.waitFor((s) => s.status === 'ready', 'ready');

  let acknowledged = '';
  await act(async () => {
    acknowledged = (await h.latest.current!.sendMessage('what is the answer?')).content;
  });
  assert.equal(acknowledged, 'what is the answer?');
  const done = await h.waitFor((s) => s.messages.some((m) => m.role === 'assistant' && m.status === 'complete'), 'complete');

  assert.equal(done.isTyping, false);
  assert.equal(done.streamingContent, '');
  assert.deepEqual(done.messages.map((m) => [m.role, m.content]), [['user', 'what is the answer?'], ['assistant', 'The answer is 42.']]);
  // The chunks were rendered as they came (not only at the end).
  const streamed = new Set(h.renders.filter((r) => r.isTyping).map((r) => r.streamingContent));
  assert.ok([...streamed].some((text) => text !== '' && text !== 'The answer is 42.'), `partial renders: ${[...streamed].join(' | ')}`);
  // And the DOM shows exactly one assistant bubble with the final text.
  const bubbles = [...h.container.querySelectorAll('li.assistant')].map((li) => li.textContent);
  assert.deepEqual(bubbles, ['The answer is 42.']);
});

test('the latest token is used: a token that arrives after a 4401 failure connects (no stale closure)', async (t) => {
  const h = await setup(t, new FakeChatServer({ checkJoinToken: (token) => (token === 'good' ? null : 'auth_required') }));
  await h.render(<Probe options={h.options({ token: null })} latest={h.latest} />);
  const failed = await h.waitFor((s) => s.status === 'failed', 'failed without a token');
  assert.equal(failed.connection.code, 4401);

  await h.render(<Probe options={h.options({ token: 'good' })} latest={h.latest} />);
  await h.waitFor((s) => s.status === 'ready', 'ready with the new token');
  assert.deepEqual(h.server.joins.map((j) => j.token), [null, null, 'good']);
  assert.equal(h.sockets.constructed, 3, 'the same client, no extra sockets');
});

test('messages sent before the connection is ready are queued, then delivered', async (t) => {
  const h = await setup(t, new FakeChatServer());
  await h.render(<Probe options={h.options()} latest={h.latest} />);
  let sent: Promise<unknown> | null = null;
  await act(async () => {
    sent = h.latest.current!.sendMessage('early bird');
  });
  assert.equal(h.latest.current!.messages[0]?.status, 'queued');
  await act(async () => {
    await sent;
  });
  await h.waitFor((s) => s.messages.some((m) => m.status === 'complete'), 'answer');
  assert.equal(h.server.userFrames.length, 1);
});

test('a failed session with an inline getToken does not retry on every render', async (t) => {
  const h = await setup(t, new FakeChatServer({ checkJoinToken: () => 'tenant_mismatch' }));
  const render = () => h.render(<Probe options={h.options({ getToken: () => 'wrong-tenant' })} latest={h.latest} />);
  await render();
  await h.waitFor((s) => s.status === 'failed', 'failed');
  for (let i = 0; i < 3; i++) await render();
  await act(async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
  });
  assert.equal(h.latest.current!.status, 'failed');
  assert.equal(h.server.joins.length, 1, 'no retry loop');
});

/** An unsigned JWT-shaped token carrying `claims` (the fake server does not check signatures). */
function jwtWithClaims(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.signature`;
}

test("the guide's call useChatSession({ token }) works without tenantId: the tenant comes from the token", async (t) => {
  const h = await setup(t, new FakeChatServer({ tenantId: 'tenant-from-token' }));
  const { tenantId: _omitted, ...withoutTenant } = h.options();
  const token = jwtWithClaims({ tenant_id: 'tenant-from-token', scope: ['chat:create', 'chat:send'], sub: 'v-1' });
  await h.render(<Probe options={{ ...withoutTenant, token }} latest={h.latest} />);
  await h.waitFor((s) => s.status === 'ready', 'ready');
  assert.equal(h.server.joins.length, 1);
  assert.equal(h.server.joins[0]!.token, token);
});

test('without tenantId or a token claim, the hook uses the guide default tenant (miptech-company)', async (t) => {
  const h = await setup(t, new FakeChatServer({ tenantId: 'miptech-company' }));
  const { tenantId: _omitted, ...withoutTenant } = h.options();
  await h.render(<Probe options={{ ...withoutTenant, token: 'opaque-token' }} latest={h.latest} />);
  await h.waitFor((s) => s.status === 'ready', 'ready');
  assert.equal(h.latest.current!.client.getSnapshot().connection.state, 'ready');
});

test('a send while the session is failed rejects, shows as failed, and is delivered once by the retry a new token triggers', async (t) => {
  const h = await setup(t, new FakeChatServer({ checkJoinToken: (token) => (token === 'good' ? null : 'auth_required') }));
  await h.render(<Probe options={h.options({ token: null })} latest={h.latest} />);
  await h.waitFor((s) => s.status === 'failed', 'failed without a token');
  let rejection: unknown = null;
  await act(async () => {
    await h.latest.current!.sendMessage('typed while failed').catch((error: unknown) => {
      rejection = error;
    });
  });
  assert.ok(rejection instanceof UndeliveredMessageError, 'settled, not left pending');
  assert.equal(rejection.code, 'auth_required');
  assert.deepEqual(h.latest.current!.messages.map((m) => m.status), ['failed']);

  await h.render(<Probe options={h.options({ token: 'good' })} latest={h.latest} />);
  await h.waitFor((s) => s.messages.some((m) => m.role === 'assistant' && m.status === 'complete'), 'the kept message answered');
  assert.deepEqual(h.server.userFrames.map((f) => [f.text, f.client_message_id]), [['typed while failed', rejection.clientMessageId]]);
  assert.equal(h.latest.current!.messages.filter((m) => m.role === 'user').length, 1);
});

test('loadOlder pages back through the history of a reloaded chat; hasOlder and isLoadingOlder follow it', async (t) => {
  const h = await setup(t, new FakeChatServer());
  const options = h.options({ clientOptions: { historyPageSize: 2 } });
  await h.render(<Probe key="first" options={options} latest={h.latest} />);
  await h.waitFor((s) => s.status === 'ready', 'ready');
  for (const text of ['one', 'two', 'three']) {
    await act(async () => {
      await h.latest.current!.sendMessage(text);
    });
    await h.waitFor((s) => !s.isTyping && s.messages.filter((m) => m.status === 'complete').length === ['one', 'two', 'three'].indexOf(text) + 1, `answer to ${text}`);
  }
  const all = h.latest.current!.messages.map((m) => m.id);
  assert.equal(all.length, 6);

  // A reload: a new client on the same storage shows the newest page only.
  await h.render(<Probe key="reloaded" options={options} latest={h.latest} />);
  const reloaded = await h.waitFor((s) => s.status === 'ready' && s.messages.length === 2, 'newest page');
  assert.deepEqual(reloaded.messages.map((m) => m.id), all.slice(4));
  assert.equal(reloaded.hasOlder, true);
  const loadingSeen: boolean[] = [];
  while (h.latest.current!.hasOlder) {
    assert.ok(loadingSeen.length < 5, 'bounded');
    await act(async () => {
      const loading = h.latest.current!.loadOlder();
      await Promise.resolve();
      loadingSeen.push(h.latest.current!.client.getSnapshot().isLoadingOlder);
      await loading;
    });
  }
  assert.deepEqual(h.latest.current!.messages.map((m) => m.id), all, 'every message once, in order');
  assert.equal(h.latest.current!.isLoadingOlder, false);
  assert.deepEqual(loadingSeen, [true, true]);
  assert.deepEqual([...h.container.querySelectorAll('li.user')].map((li) => li.textContent), ['one', 'two', 'three']);
});
