/**
 * Incremental Server-Sent Events parser (WHATWG HTML "Parsing an event stream"). LLM providers
 * stream their answers in this format; bytes arrive in arbitrary chunks, so a chunk may end inside
 * a line, between the CR and LF of a CRLF, or inside a multi-byte UTF-8 character.
 */

/** One dispatched event. */
export interface ServerSentEvent {
  /** The `event:` field, or `message` when the event had none. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The last event id seen on the stream so far (it persists across events, as in the spec). */
  id: string;
  /** The `retry:` value in milliseconds, when this event carried a valid one. */
  retry?: number;
}

/**
 * Parses a byte stream into events as they complete. Comments and events without data are not
 * dispatched; an event cut off by the end of the stream (no blank line after it) is discarded.
 * Stopping the iteration early cancels the underlying stream.
 */
export async function* parseServerSentEvents(
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
): AsyncGenerator<ServerSentEvent, void, undefined> {
  // `fatal: false` turns invalid bytes into U+FFFD as the spec asks; the default `ignoreBOM: false`
  // strips one leading byte-order mark. `stream: true` keeps a split multi-byte char for the next chunk.
  const decoder = new TextDecoder('utf-8');
  const lines = new EventStreamLines();
  for await (const chunk of iterate(body)) {
    const events = lines.push(decoder.decode(chunk, { stream: true }));
    for (const event of events) yield event;
  }
  const events = lines.push(decoder.decode());
  for (const event of events) yield event;
}

async function* iterate(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (!(body instanceof ReadableStream)) {
    yield* body;
    return;
  }
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      yield value;
    }
  } finally {
    // Early exit (the consumer stopped reading): release the connection instead of leaving it open.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

const LINE_END = /\r\n|\r|\n/g;

/** The line-level state machine: text in, complete events out. */
class EventStreamLines {
  private buffer = '';
  /** The previous text ended with CR: a LF at the start of the next text belongs to that CRLF. */
  private pendingCarriageReturn = false;
  private eventType = '';
  private data = '';
  private hasData = false;
  private lastEventId = '';
  private retry: number | undefined;

  push(text: string): ServerSentEvent[] {
    if (text.length === 0) return [];
    if (this.pendingCarriageReturn && text.startsWith('\n')) text = text.slice(1);
    this.pendingCarriageReturn = false;
    this.buffer += text;

    const events: ServerSentEvent[] = [];
    let start = 0;
    LINE_END.lastIndex = 0;
    for (let match = LINE_END.exec(this.buffer); match !== null; match = LINE_END.exec(this.buffer)) {
      const end = match.index;
      // A CR as the very last character may be the first half of a CRLF split across chunks.
      if (match[0] === '\r' && end === this.buffer.length - 1) this.pendingCarriageReturn = true;
      const event = this.line(this.buffer.slice(start, end));
      if (event !== null) events.push(event);
      start = LINE_END.lastIndex;
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  private line(line: string): ServerSentEvent | null {
    if (line.length === 0) return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data += this.hasData ? `\n${value}` : value;
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.retry = Number(value);
        break;
      default:
        // Unknown fields are ignored by the spec.
        break;
    }
    return null;
  }

  private dispatch(): ServerSentEvent | null {
    const event: ServerSentEvent | null = this.hasData
      ? { event: this.eventType || 'message', data: this.data, id: this.lastEventId }
      : null;
    if (event !== null && this.retry !== undefined) event.retry = this.retry;
    this.eventType = '';
    this.data = '';
    this.hasData = false;
    this.retry = undefined;
    return event;
  }
}
