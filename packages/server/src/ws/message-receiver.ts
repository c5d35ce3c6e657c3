/**
 * The size limit and the "message in progress" state of one socket's incoming frames. ws applies
 * one `maxPayload` to every socket of a server, to the whole (possibly fragmented) message as its
 * frame headers arrive, so an oversized message is refused before it is buffered. A socket that has
 * not joined yet gets a much smaller limit than a joined one, and the gateway must see a message
 * that never ends; ws exposes neither, so this reads its receiver's state (ws 8: `_receiver`
 * with `_maxPayload`, `_totalPayloadLength`, `_fragments`, `_bufferedBytes`). The shape is checked
 * when a socket is wrapped, and the hardening tests fail if a ws upgrade changes it.
 */
import type WebSocket from 'ws';

interface ReceiverInternals {
  _maxPayload: number;
  /** Payload bytes announced by the headers of the message being received (0 between messages). */
  _totalPayloadLength: number;
  /** Bytes received but not yet parsed into a frame. */
  _bufferedBytes: number;
  /** Fragments of an unfinished fragmented message. */
  _fragments: unknown[];
}

function isReceiver(value: unknown): value is ReceiverInternals {
  if (typeof value !== 'object' || value === null) return false;
  const receiver = value as Record<string, unknown>;
  return (
    typeof receiver._maxPayload === 'number' &&
    typeof receiver._totalPayloadLength === 'number' &&
    typeof receiver._bufferedBytes === 'number' &&
    Array.isArray(receiver._fragments)
  );
}

export class MessageReceiver {
  private constructor(private readonly receiver: ReceiverInternals) {}

  /** The receiver of an open socket; null when ws's internals are not what this module expects. */
  static of(socket: WebSocket): MessageReceiver | null {
    const receiver = (socket as unknown as { _receiver?: unknown })._receiver;
    return isReceiver(receiver) ? new MessageReceiver(receiver) : null;
  }

  /** Largest message accepted from now on (a larger one closes the socket with 1009, unread). */
  setMessageLimit(bytes: number): void {
    this.receiver._maxPayload = bytes;
  }

  /** Whether part of a message (a fragment, a frame header, part of a payload) is waiting for the rest. */
  get unfinished(): boolean {
    const receiver = this.receiver;
    return receiver._totalPayloadLength > 0 || receiver._fragments.length > 0 || receiver._bufferedBytes > 0;
  }
}
