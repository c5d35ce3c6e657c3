/**
 * User messages not yet acknowledged by the server, in the order they were typed. Each keeps its
 * client message id for its whole life, so however often it is (re)sent the server stores it once
 * and answers it once, and every acknowledgement settles the same promise.
 *
 * `queued`: waiting for a joined connection. `in_flight`: written to the socket, no ack yet; a lost
 * connection moves it back to `queued`. `failed`: the client gave up or was closed; its promise was
 * rejected, but the entry stays so that a later retry resends it under the same id (the server may
 * have stored it already, with the ack lost: a new id would make a second message).
 */
import type { SentMessage } from './chat-client.ts';
import type { ChatApiError } from './chat-api-error.ts';

export interface OutboxEntry {
  readonly clientMessageId: string;
  readonly text: string;
  state: 'queued' | 'in_flight' | 'failed';
  // A promise settles once: calls after the first (an ack after a rejection) are no-ops.
  resolve(message: SentMessage): void;
  reject(error: ChatApiError): void;
}

export class Outbox {
  private readonly entries: OutboxEntry[] = [];

  add(clientMessageId: string, text: string): Promise<SentMessage> {
    return new Promise<SentMessage>((resolve, reject) => {
      this.entries.push({ clientMessageId, text, state: 'queued', resolve, reject });
    });
  }

  get size(): number {
    return this.entries.length;
  }

  has(clientMessageId: string): boolean {
    return this.entries.some((entry) => entry.clientMessageId === clientMessageId);
  }

  stateOf(clientMessageId: string): OutboxEntry['state'] | undefined {
    return this.entries.find((entry) => entry.clientMessageId === clientMessageId)?.state;
  }

  /** Entries waiting to be written, oldest first. */
  queued(): OutboxEntry[] {
    return this.entries.filter((entry) => entry.state === 'queued');
  }

  markInFlight(clientMessageId: string): void {
    const entry = this.entries.find((e) => e.clientMessageId === clientMessageId);
    if (entry) entry.state = 'in_flight';
  }

  /** After a lost connection: what was on the wire without an ack goes back to the queue. */
  requeueInFlight(): string[] {
    return this.move('in_flight', 'queued');
  }

  /** A retry after a failure or a close: the failed entries are sent again, same ids. */
  requeueFailed(): string[] {
    return this.move('failed', 'queued');
  }

  oldestInFlight(): OutboxEntry | undefined {
    return this.entries.find((entry) => entry.state === 'in_flight');
  }

  /** Resolves and removes the entry; false when it was settled before (a duplicate ack). */
  settle(clientMessageId: string, message: SentMessage): boolean {
    const entry = this.take(clientMessageId);
    if (!entry) return false;
    entry.resolve(message);
    return true;
  }

  /** Rejects and removes the entry: the server refused the message, which is final. */
  reject(clientMessageId: string, error: ChatApiError): boolean {
    const entry = this.take(clientMessageId);
    if (!entry) return false;
    entry.reject(error);
    return true;
  }

  /**
   * The client gave up or was closed: every entry not yet failed is rejected with `errorFor(id)`
   * and kept as `failed`. Returns the ids concerned.
   */
  failAll(errorFor: (clientMessageId: string) => ChatApiError): string[] {
    const failed: string[] = [];
    for (const entry of this.entries) {
      if (entry.state === 'failed') continue;
      entry.state = 'failed';
      entry.reject(errorFor(entry.clientMessageId));
      failed.push(entry.clientMessageId);
    }
    return failed;
  }

  /** Drops a failed entry (its promise was rejected already); false for any other entry. */
  discard(clientMessageId: string): boolean {
    if (this.stateOf(clientMessageId) !== 'failed') return false;
    this.take(clientMessageId);
    return true;
  }

  private move(from: OutboxEntry['state'], to: OutboxEntry['state']): string[] {
    const moved: string[] = [];
    for (const entry of this.entries) {
      if (entry.state === from) {
        entry.state = to;
        moved.push(entry.clientMessageId);
      }
    }
    return moved;
  }

  private take(clientMessageId: string): OutboxEntry | undefined {
    const index = this.entries.findIndex((entry) => entry.clientMessageId === clientMessageId);
    return index < 0 ? undefined : this.entries.splice(index, 1)[0];
  }
}
