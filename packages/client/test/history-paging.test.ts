/**
 * loadOlder(): pages back through `GET /api/v1/chat/{id}/messages?before=&limit=` from the oldest
 * message loaded, merges without duplicates in the server's order, and keeps `hasOlder` /
 * `isLoadingOlder` in the snapshot. The fake fetch pages like the server (docs/protocol.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageResource } from '@miptech/protocol';
import { ChatApiError, type ChatClient } from '@miptech/client';
import { flush } from './support/fake-socket.ts';
import { harness } from './support/state-machine-harness.ts';

/** A chat's stored messages, question/answer pairs, one second apart. */
function storedChat(count: number): MessageResource[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `msg_${String(i + 1).padStart(3, '0')}`,
    chat_id: 'chat_1',
    role: i % 2 === 0 ? ('user' as const) : ('assistant' as const),
    content: `message ${i + 1}`,
    status: 'complete' as const,
    client_message_id: i % 2 === 0 ? `c${i + 1}` : null,
    reply_to: i % 2 === 0 ? null : `msg_${String(i).padStart(3, '0')}`,
    sources: [],
    llm_model: null,
    prompt_tokens: null,
    completion_tokens: null,
    response_time_ms: null,
    created_at: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString(),
  }));
}

/** Answers like the server: the newest `limit` before `before`, oldest first, has_more, next_cursor. */
function pagingFetch(messages: () => MessageResource[], options: { failNext?: { status: number; code: string } | null } = {}) {
  const reads: Array<{ limit: number; before: string | null }> = [];
  let gate: Promise<void> | null = null;
  const impl = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    if (init?.method === 'POST') return Response.json({ id: 'chat_1', chat_id: 'chat_1' }, { status: 201 });
    const limit = Number(url.searchParams.get('limit'));
    const before = url.searchParams.get('before');
    reads.push({ limit, before });
    if (gate) await gate;
    if (options.failNext) {
      const { status, code } = options.failNext;
      options.failNext = null;
      return Response.json({ code, message: code }, { status });
    }
    const all = messages();
    const end = before === null ? all.length : all.findIndex((m) => m.id === before);
    const start = Math.max(0, end - limit);
    const items = all.slice(start, end);
    return Response.json({ items, has_more: start > 0, next_cursor: start > 0 ? items[0]!.id : null });
  };
  return {
    fetch: impl as typeof fetch,
    reads,
    options,
    /** Holds every read until the returned function is called. */
    hold(): () => void {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return () => {
        gate = null;
        release();
      };
    },
  };
}

function ids(client: ChatClient): string[] {
  return client.getSnapshot().messages.map((m) => m.id);
}

test('the join reads the newest page; loadOlder() pages back to the first message in order, without duplicates', async () => {
  const stored = storedChat(11);
  const server = pagingFetch(() => stored);
  const { client, accept } = harness({ fetch: server.fetch, loadHistory: true, historyPageSize: 4 });
  await Promise.all([client.connect(), accept()]);
  await flush();
  assert.deepEqual(ids(client), ['msg_008', 'msg_009', 'msg_010', 'msg_011']);
  assert.equal(client.getSnapshot().hasOlder, true);
  assert.equal(client.getSnapshot().isLoadingOlder, false);

  const loading: boolean[] = [];
  client.subscribe(() => loading.push(client.getSnapshot().isLoadingOlder));
  await client.loadOlder();
  assert.deepEqual(ids(client), stored.slice(3).map((m) => m.id));
  assert.equal(client.getSnapshot().hasOlder, true);
  assert.deepEqual(loading, [true, false]);

  await client.loadOlder();
  assert.deepEqual(ids(client), stored.map((m) => m.id), 'every message once, in the server order');
  assert.equal(client.getSnapshot().hasOlder, false);
  assert.deepEqual(server.reads.map((r) => [r.limit, r.before]), [[4, null], [4, 'msg_008'], [4, 'msg_004']]);

  await client.loadOlder();
  assert.equal(server.reads.length, 3, 'nothing older: no request');
  client.close();
});

test('loadOlder() while one is running returns the same promise; a rejoin does not undo what paging found out', async () => {
  const stored = storedChat(6);
  const server = pagingFetch(() => stored);
  const { client, sockets, timers, accept } = harness({ fetch: server.fetch, loadHistory: true, historyPageSize: 4 });
  await Promise.all([client.connect(), accept()]);
  await flush();
  const release = server.hold();
  const first = client.loadOlder();
  assert.equal(client.loadOlder(), first);
  await flush();
  assert.equal(client.getSnapshot().isLoadingOlder, true);
  release();
  await first;
  assert.equal(server.reads.length, 2);
  assert.equal(client.getSnapshot().hasOlder, false);

  // A reconnect reloads the newest page (has_more: true), which must not bring hasOlder back.
  sockets.last().serverClose(1006);
  timers.advance(timers.pendingDelays()[0]!);
  await accept({ resumed: true });
  await flush();
  assert.equal(server.reads.length, 3);
  assert.equal(client.getSnapshot().hasOlder, false);
  assert.deepEqual(ids(client), stored.map((m) => m.id));
  client.close();
});

test('a page that cannot be read rejects with a ChatApiError, shows the error and can be tried again', async () => {
  const stored = storedChat(6);
  const server = pagingFetch(() => stored);
  const { client, accept } = harness({ fetch: server.fetch, loadHistory: true, historyPageSize: 4 });
  await Promise.all([client.connect(), accept()]);
  await flush();
  server.options.failNext = { status: 403, code: 'insufficient_scope' };
  await assert.rejects(client.loadOlder(), (error: unknown) => error instanceof ChatApiError && error.code === 'insufficient_scope');
  const failedSnapshot = client.getSnapshot();
  assert.equal(failedSnapshot.isLoadingOlder, false);
  assert.equal(failedSnapshot.hasOlder, true, 'still older messages to read');
  assert.equal(failedSnapshot.error?.code, 'insufficient_scope');
  await client.loadOlder();
  assert.deepEqual(ids(client), stored.map((m) => m.id));
  client.close();
});

test('close() during loadOlder() rejects it and clears the loading state', async () => {
  const stored = storedChat(6);
  const server = pagingFetch(() => stored);
  const { client, accept } = harness({ fetch: server.fetch, loadHistory: true, historyPageSize: 4 });
  await Promise.all([client.connect(), accept()]);
  await flush();
  const release = server.hold();
  const loading = client.loadOlder();
  await flush();
  client.close();
  release();
  await assert.rejects(loading, { code: 'not_joined' });
  assert.equal(client.getSnapshot().isLoadingOlder, false);
  assert.deepEqual(ids(client), stored.slice(2).map((m) => m.id), 'the cancelled page was not merged');
});

test('without history on join, hasOlder stays false and loadOlder() reads the newest page first', async () => {
  const stored = storedChat(6);
  const server = pagingFetch(() => stored);
  const { client, accept } = harness({ fetch: server.fetch, loadHistory: false, historyPageSize: 4 });
  assert.equal(client.getSnapshot().hasOlder, false);
  await client.loadOlder();
  assert.equal(server.reads.length, 0, 'no chat yet: nothing to read');
  await Promise.all([client.connect(), accept()]);
  await flush();
  assert.equal(server.reads.length, 0);
  await client.loadOlder();
  assert.deepEqual(ids(client), stored.slice(2).map((m) => m.id));
  assert.equal(client.getSnapshot().hasOlder, true);
  await client.loadOlder();
  assert.deepEqual(ids(client), stored.map((m) => m.id));
  assert.equal(client.getSnapshot().hasOlder, false);
  client.close();
});

test('a rejoin after more than a page of messages arrived reads back until it meets what was shown: no hole in the middle', async () => {
  let stored = storedChat(11);
  const server = pagingFetch(() => stored);
  const { client, sockets, timers, accept } = harness({ fetch: server.fetch, loadHistory: true, historyPageSize: 4 });
  await Promise.all([client.connect(), accept()]);
  await flush();
  assert.deepEqual(ids(client), ['msg_008', 'msg_009', 'msg_010', 'msg_011']);

  // Away while ten messages were written (another tab) and beyond the replay window.
  sockets.last().serverClose(1006);
  stored = storedChat(21);
  timers.advance(timers.pendingDelays()[0]!);
  await accept({ resumed: true, history_reload_required: true, last_seq: 40 });
  await flush(10);
  assert.deepEqual(ids(client), stored.slice(7).map((m) => m.id), 'msg_008 … msg_021, in order, each once');
  assert.deepEqual(server.reads.slice(1).map((r) => r.before), [null, 'msg_018', 'msg_014']);
  assert.equal(client.getSnapshot().hasOlder, true, 'still the messages before msg_008');
  await client.loadOlder();
  await client.loadOlder();
  assert.deepEqual(ids(client), stored.map((m) => m.id));
  client.close();
});
