/**
 * The client's decision on every close code agrees with the protocol's table (CLOSE_CODES,
 * shouldReconnect and the `close` column of ERROR_CODES in @miptech/protocol), driven through the
 * public client with an in-memory socket: a code added to or changed in the table is checked here
 * without editing this file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLOSE_CODES, ERROR_CODES, isErrorCode, shouldReconnect } from '@miptech/protocol';
import { harness } from './support/state-machine-harness.ts';

const TABLE_CODES: readonly number[] = Object.values(CLOSE_CODES);
/** Codes the platform never sends: the protocol's rule for unknown codes applies (44xx terminal, the rest reconnect). */
const UNKNOWN_CODES = [1002, 1003, 1014, 3000, 4000, 4001, 4404, 4499, 4500, 4999];
const ERROR_CLOSE_CODES: ReadonlySet<number> = new Set(Object.values(ERROR_CODES).map((spec) => spec.close).filter((close) => close !== null));

/** A joined client whose server then closes with `code` and no reason; the snapshot right after. */
async function closedBy(code: number, withGetToken: boolean) {
  const h = harness(withGetToken ? { getToken: () => 'fresh-token' } : { token: 'static' });
  void h.client.connect();
  await h.accept();
  h.sockets.last().serverClose(code);
  const snapshot = h.client.getSnapshot();
  const result = { snapshot, pendingTimers: h.timers.pending, socketCount: h.sockets.sockets.length };
  h.client.close();
  return result;
}

test('the close-code table has no duplicates and every code the error table closes with is in it', () => {
  assert.equal(new Set(TABLE_CODES).size, TABLE_CODES.length);
  for (const close of ERROR_CLOSE_CODES) assert.ok(TABLE_CODES.includes(close), `close ${close} of ERROR_CODES is in CLOSE_CODES`);
});

test('every close code of the protocol: reconnect exactly when shouldReconnect says so, with a reason in words', async () => {
  for (const code of TABLE_CODES) {
    const { snapshot, pendingTimers, socketCount } = await closedBy(code, false);
    const { connection, error } = snapshot;
    assert.equal(connection.code, code, `close ${code}`);
    assert.ok(connection.reason && !connection.reason.includes(String(code)), `close ${code} is described in words, got ${connection.reason}`);
    if (shouldReconnect(code)) {
      assert.equal(connection.state, 'reconnecting', `close ${code} reconnects`);
      assert.equal(pendingTimers, 1, `close ${code}: one reconnect timer`);
    } else {
      assert.equal(connection.state, 'failed', `close ${code} is terminal`);
      assert.equal(pendingTimers, 0, `close ${code}: nothing retries in the background`);
      assert.equal(socketCount, 1);
      assert.ok(error && isErrorCode(error.code), `close ${code} reports a code of the error table`);
      // A terminal close that some error of the table ends a connection with reports such an error
      // (1000 names none: the client reports service_unavailable, which retry() may overcome).
      if (ERROR_CLOSE_CODES.has(code)) {
        assert.equal(ERROR_CODES[error.code].close, code, `close ${code} reports ${error.code}`);
        assert.equal(ERROR_CODES[error.code].retryable, false, `close ${code} reports a non-retryable error`);
      }
    }
  }
});

test('close codes outside the table follow shouldReconnect too (44xx terminal, others reconnect)', async () => {
  for (const code of UNKNOWN_CODES) {
    const { snapshot, pendingTimers } = await closedBy(code, false);
    assert.equal(snapshot.connection.state, shouldReconnect(code) ? 'reconnecting' : 'failed', `close ${code}`);
    assert.equal(pendingTimers, shouldReconnect(code) ? 1 : 0, `close ${code}`);
    assert.equal(snapshot.connection.reason, `Connection closed (${code})`);
  }
});

test('with getToken, only CLOSE_CODES.unauthorized gets the fresh-token retry; the other terminal codes still fail', async () => {
  for (const code of [...TABLE_CODES, ...UNKNOWN_CODES]) {
    const { snapshot, pendingTimers } = await closedBy(code, true);
    const expected = shouldReconnect(code) || code === CLOSE_CODES.unauthorized ? 'reconnecting' : 'failed';
    assert.equal(snapshot.connection.state, expected, `close ${code} with getToken`);
    assert.equal(pendingTimers, expected === 'reconnecting' ? 1 : 0, `close ${code} with getToken`);
  }
});
