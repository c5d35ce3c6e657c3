import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServerSentEvents, type ServerSentEvent } from '../../src/engines/sse-parser.ts';

const encoder = new TextEncoder();

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let index = 0;
  return new ReadableStream({
    pull(controller) {
      if (index < chunks.length) controller.enqueue(chunks[index++]!);
      else controller.close();
    },
  });
}

async function parse(input: string | Uint8Array[]): Promise<ServerSentEvent[]> {
  const chunks = typeof input === 'string' ? [encoder.encode(input)] : input;
  const events: ServerSentEvent[] = [];
  for await (const event of parseServerSentEvents(streamOf(chunks))) events.push(event);
  return events;
}

/** Every way of cutting `bytes` in two, plus one byte per chunk. */
function splits(bytes: Uint8Array): Uint8Array[][] {
  const result: Uint8Array[][] = [];
  for (let cut = 0; cut <= bytes.length; cut += 1) result.push([bytes.slice(0, cut), bytes.slice(cut)]);
  result.push(Array.from(bytes, (byte) => Uint8Array.of(byte)));
  return result;
}

test('events with names, ids, multi-line data and comments', async () => {
  const events = await parse(
    ': a comment\nevent: greeting\nid: 7\ndata: hello\ndata: world\n\ndata: second\n\nevent: ping\ndata: {"type": "ping"}\n\n',
  );
  assert.deepEqual(events, [
    { event: 'greeting', data: 'hello\nworld', id: '7' },
    { event: 'message', data: 'second', id: '7' }, // the last event id persists
    { event: 'ping', data: '{"type": "ping"}', id: '7' },
  ]);
});

test('field parsing: one leading space stripped, no colon, empty data, unknown fields, retry', async () => {
  const events = await parse('data:no-space\ndata:  two spaces\n\ndata\n\ndata:\n\nfoo: bar\nretry: 3000\ndata: x\n\nretry: soon\ndata: y\n\n');
  assert.deepEqual(events, [
    { event: 'message', data: 'no-space\n two spaces', id: '' },
    { event: 'message', data: '', id: '' },
    { event: 'message', data: '', id: '' },
    { event: 'message', data: 'x', id: '', retry: 3000 },
    { event: 'message', data: 'y', id: '' },
  ]);
});

test('an event without data is not dispatched, and its event name does not leak into the next one', async () => {
  const events = await parse('event: lonely\n\ndata: next\n\nid: x\0y\ndata: z\n\n');
  assert.deepEqual(events, [
    { event: 'message', data: 'next', id: '' },
    { event: 'message', data: 'z', id: '' }, // an id with NUL is ignored
  ]);
});

test('LF, CRLF, CR and mixed line endings parse the same', async () => {
  const expected = [
    { event: 'a', data: '1\n2', id: '' },
    { event: 'message', data: '3', id: '' },
  ];
  for (const newline of ['\n', '\r\n', '\r']) {
    const text = ['event: a', 'data: 1', 'data: 2', '', 'data: 3', '', ''].join(newline);
    assert.deepEqual(await parse(text), expected, JSON.stringify(newline));
  }
  assert.deepEqual(await parse('event: a\r\ndata: 1\rdata: 2\n\r\ndata: 3\r\r'), expected);
});

test('chunk boundaries anywhere, including inside CRLF and inside multi-byte characters', async () => {
  const text = 'event: content_block_delta\r\ndata: {"text":"héllo 👋 世界"}\r\n\r\ndata: second é\r\rdata: [DONE]\n\n';
  const expected = await parse(text);
  assert.deepEqual(
    expected.map((event) => event.data),
    ['{"text":"héllo 👋 世界"}', 'second é', '[DONE]'],
  );
  for (const chunks of splits(encoder.encode(text))) {
    assert.deepEqual(await parse(chunks), expected, `split ${chunks.map((chunk) => chunk.length).join('+')}`);
  }
});

test('a CR ending one chunk and a LF starting the next make one line end, not two', async () => {
  // Two line ends here would be a blank line and dispatch "a" on its own.
  const events = await parse([encoder.encode('data: a\r'), encoder.encode('\ndata: b\r\n\r\n')]);
  assert.deepEqual(events, [{ event: 'message', data: 'a\nb', id: '' }]);
});

test('a leading byte-order mark is ignored', async () => {
  const events = await parse([Uint8Array.of(0xef, 0xbb, 0xbf), encoder.encode('data: x\n\n')]);
  assert.deepEqual(events, [{ event: 'message', data: 'x', id: '' }]);
});

test('an event cut off by the end of the stream is discarded', async () => {
  assert.deepEqual(await parse('data: complete\n\ndata: cut off'), [{ event: 'message', data: 'complete', id: '' }]);
  assert.deepEqual(await parse('data: no blank line\n'), []);
});

test('stopping early cancels the underlying stream', async () => {
  let cancelled = false;
  let pulls = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls += 1;
      if (pulls > 100) controller.close();
      else controller.enqueue(encoder.encode(`data: ${pulls}\n\n`));
    },
    cancel() {
      cancelled = true;
    },
  });
  for await (const event of parseServerSentEvents(body)) {
    assert.equal(event.data, '1');
    break;
  }
  assert.equal(cancelled, true);
});

test('async iterables of bytes are accepted too', async () => {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    yield encoder.encode('data: one\n');
    yield encoder.encode('\n');
  }
  const events: ServerSentEvent[] = [];
  for await (const event of parseServerSentEvents(chunks())) events.push(event);
  assert.deepEqual(events, [{ event: 'message', data: 'one', id: '' }]);
});
