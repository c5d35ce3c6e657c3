/**
 * docs/protocol.md against @miptech/protocol: the error-code table, the frame tables and the
 * close-code table say what the code does, and the seq rule says what clients may rely on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CHAT_EVENT_TYPES, CLIENT_FRAME_TYPES, CLOSE_CODES, ERROR_CODES, SERVER_FRAME_TYPES, shouldReconnect } from '@miptech/protocol';

const doc = readFileSync(new URL('../../../../docs/protocol.md', import.meta.url), 'utf8');

/** The rows of the first table under `heading` (cells trimmed, header and separator dropped). */
function table(heading: string): string[][] {
  const start = doc.indexOf(`${heading}\n`);
  assert.notEqual(start, -1, `section ${heading}`);
  const lines = doc.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, -1).split('|').map((cell) => cell.trim()));
  }
  return rows;
}

const code = (cell: string | undefined) => cell?.match(/^`([a-z_]+)`/)?.[1];

test('the error-code table is ERROR_CODES: status, close code, retry and message', () => {
  const rows = table('## Error codes');
  const documented = new Map(rows.map((row) => [code(row[0]), row.slice(1)]));
  for (const [name, spec] of Object.entries(ERROR_CODES)) {
    assert.deepEqual(documented.get(name), [String(spec.status), spec.close === null ? '—' : String(spec.close), spec.retryable ? 'yes' : 'no', spec.message], name);
  }
  assert.equal(rows.length, Object.keys(ERROR_CODES).length, 'no code that does not exist');
});

test('every client and server frame type has a row', () => {
  assert.deepEqual(table('### Client frames').map((row) => code(row[0])).sort(), [...CLIENT_FRAME_TYPES].sort());
  const server = table('### Server frames').flatMap((row) => [...(row[0] ?? '').matchAll(/`([a-z_]+)`/g)].map((match) => match[1]));
  assert.deepEqual(server.sort(), [...SERVER_FRAME_TYPES].sort());
});

test('the close-code table lists every close code, and which ones reconnect agrees with shouldReconnect', () => {
  const rows = table('## Close codes');
  const listed = rows.flatMap((row) => (row[0] ?? '').split('/').map((part) => Number(part.trim())));
  assert.deepEqual([...new Set(listed)].sort(), Object.values(CLOSE_CODES).sort());
  for (const row of rows) {
    const reconnect = /^\**yes/.test(row[2] ?? '');
    for (const closeCode of (row[0] ?? '').split('/').map((part) => Number(part.trim()))) assert.equal(shouldReconnect(closeCode), reconnect, `close ${closeCode}`);
  }
});

test('seq: on exactly the chat events, strictly increasing, and not consecutive', () => {
  const envelope = doc.slice(doc.indexOf('### Frame envelope'), doc.indexOf('### Client frames'));
  const bullet = envelope.slice(envelope.indexOf('- `seq`'));
  for (const type of CHAT_EVENT_TYPES) assert.match(bullet, new RegExp(`\`${type}\``), type);
  assert.match(bullet, /strictly\s+increasing/);
  assert.match(bullet, /not consecutive/);
  assert.match(bullet, /skip numbers/);
});
