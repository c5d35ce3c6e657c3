/**
 * User messages not yet acknowledged by the server, in the order they were typed. Each keeps its
 * client message id for its whole life, so however often it is (re)sent the server stores it once
 * and answers it once, and every acknowledgement settles the same promise.
 *
 * `queued`: waiting for a joined connection. `in_flight`: written to the socket, no ack yet; a lost
 * connection moves it back to `queued`.
 */
import type { SentMessage } from './chat-client.ts';
import type { ChatApiError } from './chat-api-error.ts';

export interface OutboxEntry {
  readonly clientMessageId: string;
  readonly text: string;
  state: 'queued' | 'in_flight';
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
    const moved: string[] = [];
    for (const entry of this.entries) {
      if (entry.state === 'in_flight') {
        entry.state = 'queued';
        moved.push(entry.clientMessageId);
      }
    }
    return moved;
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

  reject(clientMessageId: string, error: ChatApiError): boolean {
    const entry = this.take(clientMessageId);
    if (!entry) return false;
    entry.reject(error);
    return true;
  }

  /** Rejects everything (the client was closed); returns the ids concerned. */
  rejectAll(error: ChatApiError): string[] {
    const all = this.entries.splice(0, this.entries.length);
    for (const entry of all) entry.reject(error);
    return all.map((entry) => entry.clientMessageId);
  }

  private take(clientMessageId: string): OutboxEntry | undefined {
    const index = this.entries.findIndex((entry) => entry.clientMessageId === clientMessageId);
    return index < 0 ? undefined : this.entries.splice(index, 1)[0];
  }
}
