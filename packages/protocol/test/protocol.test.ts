import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES, parseClientFrame, shouldReconnect, parseScopeClaim, MAX_MESSAGE_CHARS } from '@miptech/protocol';

test('every error code maps to an HTTP status and a message', () => {
  for (const [code, spec] of Object.entries(ERROR_CODES)) {
    assert.ok(spec.status >= 400 && spec.status < 600, code);
    assert.ok(spec.message.length > 0, code);
  }
  assert.equal(ERROR_CODES.auth_required.close, 4401);
  assert.equal(ERROR_CODES.tenant_mismatch.close, 4403);
  assert.equal(ERROR_CODES.tenant_required.close, 1008);
});

test('close codes decide reconnection as the guide says', () => {
  for (const code of [1001, 1006, 1011, 1012]) assert.equal(shouldReconnect(code), true, String(code));
  for (const code of [1000, 1008, 4400, 4401, 4403, 4408]) assert.equal(shouldReconnect(code), false, String(code));
});

test('scope claim may be an array or a space-separated string', () => {
  assert.deepEqual(parseScopeClaim(['chat:create', 'chat:send']), ['chat:create', 'chat:send']);
  assert.deepEqual(parseScopeClaim('chat:create chat:send'), ['chat:create', 'chat:send']);
  assert.deepEqual(parseScopeClaim(undefined), []);
});

test('join_chat from the guide (both id spellings) and from the live widget', () => {
  const guide = parseClientFrame(JSON.stringify({ type: 'join_chat', data: { chatId: 'c1', chat_id: 'c1', tenantId: 't', tenant_id: 't', token: 'jwt' } }));
  assert.ok(guide.ok);
  assert.deepEqual(guide.frame, { type: 'join_chat', chat_id: 'c1', tenant_id: 't', token: 'jwt', create: false, session_id: null, last_seq: null, channel: null });
  const live = parseClientFrame(JSON.stringify({ type: 'join_chat', data: { channel: 'website', create: true }, timestamp: 1, client_id: null, __normalized: true }));
  assert.ok(live.ok && live.frame.type === 'join_chat' && live.frame.create && live.frame.channel === 'website');
});

test('user messages: text, legacy message field, client ids, limits', () => {
  const guide = parseClientFrame(JSON.stringify({ type: 'user_message', data: { chat_id: 'c', text: 'hi' } }));
  assert.ok(guide.ok && guide.frame.type === 'user_message' && guide.frame.text === 'hi');
  const legacy = parseClientFrame(JSON.stringify({ type: 'chat_message', data: { message: 'yo', stream: true, message_id: 'msg_1_ab' } }));
  assert.ok(legacy.ok && legacy.frame.type === 'user_message' && legacy.frame.text === 'yo' && legacy.frame.client_message_id === 'msg_1_ab');
  const empty = parseClientFrame(JSON.stringify({ type: 'user_message', data: { text: '  ' } }));
  assert.deepEqual(empty.ok ? null : empty.code, 'validation_error');
  const huge = parseClientFrame(JSON.stringify({ type: 'user_message', data: { text: 'x'.repeat(MAX_MESSAGE_CHARS + 1) } }));
  assert.equal(huge.ok ? null : huge.code, 'message_too_large');
});

test('message text must be a string (as over REST); ids stay lenient', () => {
  for (const data of [{ text: 5 }, { message: 42 }, { content: true }, { text: ['hi'] }, { text: { value: 'hi' } }]) {
    const result = parseClientFrame(JSON.stringify({ type: 'user_message', data }));
    assert.equal(result.ok, false, JSON.stringify(data));
    if (!result.ok) {
      assert.equal(result.code, 'validation_error');
      assert.match(result.message, /string/);
    }
  }
  const topLevel = parseClientFrame(JSON.stringify({ type: 'chat_message', text: 7 }));
  assert.equal(topLevel.ok ? null : topLevel.code, 'validation_error');
  const numericIds = parseClientFrame(JSON.stringify({ type: 'user_message', data: { text: 'hi', chat_id: 12, message_id: 34 } }));
  assert.ok(numericIds.ok && numericIds.frame.type === 'user_message');
  assert.equal(numericIds.frame.chat_id, '12');
  assert.equal(numericIds.frame.client_message_id, '34');
});

test('bad frames get stable codes and never throw', () => {
  const cases: Array<[string, string]> = [
    ['not json', 'invalid_frame'],
    ['[]', 'invalid_frame'],
    ['{"data":{}}', 'invalid_frame'],
    ['{"type":"teleport"}', 'unknown_frame_type'],
  ];
  for (const [raw, code] of cases) {
    const result = parseClientFrame(raw);
    assert.equal(result.ok, false, raw);
    if (!result.ok) assert.equal(result.code, code, raw);
  }
});
