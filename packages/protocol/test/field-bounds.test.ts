/**
 * parseClientFrame holds every field to FIELD_BOUNDS (the bounds REST enforces): at the bound a
 * field passes, one character over it is a validation_error naming the field and not echoing it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FIELD_BOUNDS, parseClientFrame, sessionIdProblem } from '@miptech/protocol';

const cases: Array<{ type: string; field: string; bound: number }> = [
  { type: 'join_chat', field: 'chat_id', bound: FIELD_BOUNDS.idChars },
  { type: 'join_chat', field: 'session_id', bound: FIELD_BOUNDS.sessionIdChars },
  { type: 'join_chat', field: 'channel', bound: FIELD_BOUNDS.channelChars },
  { type: 'join_chat', field: 'tenant_id', bound: FIELD_BOUNDS.tenantIdChars },
  { type: 'join_chat', field: 'token', bound: FIELD_BOUNDS.tokenChars },
  { type: 'user_message', field: 'chat_id', bound: FIELD_BOUNDS.idChars },
  { type: 'user_message', field: 'client_message_id', bound: FIELD_BOUNDS.idChars },
  { type: 'stop_generation', field: 'chat_id', bound: FIELD_BOUNDS.idChars },
  { type: 'stop_generation', field: 'message_id', bound: FIELD_BOUNDS.idChars },
];

for (const { type, field, bound } of cases) {
  test(`${type}.${field}: ${bound} characters pass, ${bound + 1} are a validation_error`, () => {
    const frame = (length: number) => JSON.stringify({ type, data: { text: 'hi', [field]: 'q'.repeat(length) } });
    assert.equal(parseClientFrame(frame(bound)).ok, true);
    const refused = parseClientFrame(frame(bound + 1));
    assert.equal(refused.ok, false);
    if (refused.ok) return;
    assert.equal(refused.code, 'validation_error');
    assert.match(refused.message, new RegExp(`^${field} `));
    assert.ok(!refused.message.includes('qqqq'), 'the value is not echoed');
  });
}

test('a session id must be printable ASCII without spaces, as over REST', () => {
  assert.equal(sessionIdProblem('abc-123_~!'), null);
  assert.match(sessionIdProblem('has space') ?? '', /printable ASCII/);
  assert.match(sessionIdProblem('ünï') ?? '', /printable ASCII/);
  const parsed = parseClientFrame(JSON.stringify({ type: 'join_chat', data: { session_id: 'a b' } }));
  assert.equal(parsed.ok, false);
});
