/**
 * What happens to send() when the client gives up (`failed`) or is closed: every unacknowledged
 * send is rejected with an UndeliveredMessageError carrying the failure's code, the message shows
 * as `failed`, and it is kept — retry() / connect() resend it under its first client message id;
 * discard() drops it. Driven step by step with injected timers and an in-memory socket.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatApiError, UndeliveredMessageError, type ChatClient } from '@miptech/client';
import { flush, type FakeSocket } from './support/fake-socket.ts';
import { harness } from './support/state-machine-harness.ts';

/** Settles a promise into a value the test can inspect synchronously afterwards. */
function outcome<T>(promise: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const result: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(result, { settled: true, value }),
    (error: unknown) => Object.assign(result, { settled: true, error }),
  );
  return result;
}

function userStatuses(client: ChatClient): Array<[string, string, string | undefined]> {
  return client
    .getSnapshot()
    .messages.filter((m) => m.role === 'user')
    .map((m) => [m.content, m.status, m.errorCode]);
}

function ack(socket: FakeSocket, seq: number, frame: { data: Record<string, unknown> }, duplicate = false): void {
  socket.receive({
    type: 'message_received',
    chat_id: 'chat_1',
    seq,
    data: {
      message_id: `msg_${frame.data.client_message_id}`,
      client_message_id: frame.data.client_message_id,
      chat_id: 'chat_1',
      content: frame.data.text,
      created_at: new Date().toISOString(),
      duplicate,
    },
  });
}

test('giving up after the last reconnect attempt rejects every pending send with the failure, keeps the messages, and retry() resends them with the same ids', async () => {
  const { client, sockets, timers, accept } = harness({ reconnect: { maxAttempts: 2, baseDelayMs: 100, maxDelayMs: 1000 } });
  await Promise.all([client.connect(), accept()]);
  const inFlight = outcome(client.send('on the wire'));
  const firstFrame = sockets.last().sentOfType('user_message')[0]!;
  sockets.last().serverClose(1006);
  const queued = outcome(client.send('typed while reconnecting'));
  for (let attempt = 1; attempt <= 2; attempt++) {
    timers.advance(timers.pendingDelays()[0]!);
    await flush();
    sockets.last().serverClose(1006);
  }
  await flush();
  assert.equal(client.getSnapshot().connection.state, 'failed');
  for (const result of [inFlight, queued]) {
    assert.ok(result.settled, 'a send never stays pending after the client gave up');
    assert.ok(result.error instanceof UndeliveredMessageError);
    assert.ok(result.error instanceof ChatApiError, 'still a ChatApiError for callers that check that');
    assert.equal(result.error.code, 'service_unavailable', 'the failure reason, as in the snapshot error');
    assert.equal(result.error.code, client.getSnapshot().error?.code);
    assert.equal(result.error.clientState, 'failed');
    assert.equal(result.error.retryable, true);
  }
  assert.equal((inFlight.error as UndeliveredMessageError).clientMessageId, firstFrame.data.client_message_id);
  assert.deepEqual(userStatuses(client), [
    ['on the wire', 'failed', 'service_unavailable'],
    ['typed while reconnecting', 'failed', 'service_unavailable'],
  ]);

  client.retry();
  assert.deepEqual(userStatuses(client).map(([, status]) => status), ['queued', 'queued'], 'retry() takes them back');
  const socket = await accept({ resumed: true });
  const resent = socket.sentOfType('user_message');
  assert.deepEqual(resent.map((f) => f.data.text), ['on the wire', 'typed while reconnecting']);
  assert.equal(resent[0]!.data.client_message_id, firstFrame.data.client_message_id, 'the same client message id: the server dedupes it');
  assert.equal(resent[1]!.data.client_message_id, (queued.error as UndeliveredMessageError).clientMessageId);
  ack(socket, 1, resent[0]!, true);
  ack(socket, 2, resent[1]!);
  assert.deepEqual(userStatuses(client).map(([, status]) => status), ['sent', 'sent']);
  assert.equal(client.getSnapshot().messages.length, 2, 'no copy of either message');
  client.close();
});

test('a terminal failure (4403) rejects the pending send with the failure code, in the same snapshot as the state', async () => {
  const { client, sockets, accept } = harness({ token: 'static' });
  await Promise.all([client.connect(), accept()]);
  const pending = outcome(client.send('hello'));
  const seen: Array<[string, string[]]> = [];
  client.subscribe(() => {
    const s = client.getSnapshot();
    seen.push([s.connection.state, s.messages.map((m) => m.status)]);
  });
  sockets.last().serverClose(4403);
  await flush();
  assert.equal(client.getSnapshot().connection.state, 'failed');
  assert.ok(pending.error instanceof UndeliveredMessageError);
  assert.equal(pending.error.code, 'chat_access_denied');
  assert.ok(
    !seen.some(([state, statuses]) => state === 'failed' && statuses.some((s) => s === 'queued' || s === 'sending')),
    `never failed with a message still waiting: ${JSON.stringify(seen)}`,
  );
  client.close();
});

test('send() while failed rejects at once, keeps the message, and retry() delivers it', async () => {
  const { client, sockets, accept } = harness({ token: 'static' });
  await Promise.all([client.connect(), accept()]);
  sockets.last().serverClose(1008);
  assert.equal(client.getSnapshot().connection.state, 'failed');
  const late = outcome(client.send('typed after the failure'));
  await flush();
  assert.ok(late.error instanceof UndeliveredMessageError);
  assert.equal(late.error.code, 'tenant_required');
  assert.deepEqual(userStatuses(client), [['typed after the failure', 'failed', 'tenant_required']]);
  client.retry();
  const socket = await accept();
  assert.deepEqual(socket.sentOfType('user_message').map((f) => f.data.client_message_id), [late.error.clientMessageId]);
  client.close();
});

test('close() rejects pending sends with not_joined and keeps them as failed; connect() resends them with the same id', async () => {
  const { client, sockets, accept } = harness();
  await Promise.all([client.connect(), accept()]);
  const pending = outcome(client.send('before close'));
  const frame = sockets.last().sentOfType('user_message')[0]!;
  client.close();
  await flush();
  assert.ok(pending.error instanceof UndeliveredMessageError);
  assert.equal(pending.error.code, 'not_joined');
  assert.equal(pending.error.clientState, 'closed');
  assert.deepEqual(userStatuses(client), [['before close', 'failed', 'not_joined']]);
  await assert.rejects(client.send('after close'), { code: 'not_joined' });
  assert.equal(userStatuses(client).length, 1, 'a send on a closed client keeps nothing');

  void client.connect();
  const socket = await accept({ resumed: true });
  const resent = socket.sentOfType('user_message');
  assert.equal(resent.length, 1);
  assert.equal(resent[0]!.data.client_message_id, frame.data.client_message_id);
  ack(socket, 1, resent[0]!, true);
  assert.deepEqual(userStatuses(client), [['before close', 'sent', undefined]]);
  client.close();
});

test('discard() drops a failed message so retry() does not resend it; other messages cannot be discarded', async () => {
  const { client, sockets, accept } = harness({ token: 'static' });
  await Promise.all([client.connect(), accept()]);
  const keep = outcome(client.send('keep me'));
  const drop = outcome(client.send('drop me'));
  const [keepFrame, dropFrame] = sockets.last().sentOfType('user_message');
  assert.equal(client.discard(String(dropFrame!.data.client_message_id)), false, 'in flight: may be stored already');
  sockets.last().serverClose(1008);
  await flush();
  assert.ok(keep.error instanceof UndeliveredMessageError && drop.error instanceof UndeliveredMessageError);
  assert.equal(client.discard(drop.error.clientMessageId), true);
  assert.equal(client.discard(drop.error.clientMessageId), false, 'once');
  assert.deepEqual(userStatuses(client).map(([text]) => text), ['keep me']);
  client.retry();
  const socket = await accept();
  assert.deepEqual(socket.sentOfType('user_message').map((f) => f.data.client_message_id), [keepFrame!.data.client_message_id]);
  client.close();
});
