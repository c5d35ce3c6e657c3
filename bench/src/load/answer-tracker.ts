/**
 * Follows every answer of a load step through its frames and records what the visitor sees:
 * time to first chunk measured from the message's SCHEDULED send time, the delay between chunks,
 * frames delivered inside the measurement window, and answers that went wrong.
 */
import { Samples } from '../stats/samples.ts';

interface PendingAnswer {
  scheduledAt: number;
  firstChunkAt: number;
  lastChunkAt: number;
  chunks: number;
}

export interface StepCounters {
  sent: number;
  completed: number;
  /** Answers whose chunk count differed from the model's token count, or not `complete`. */
  malformed: number;
  /** Frames other than ping/pong received inside the measurement window. */
  framesInWindow: number;
  /** Frames received during the step (window and drain), by type. */
  frameTypes: Record<string, number>;
  errors: Record<string, number>;
}

type Bag = Record<string, unknown>;

/** Moves an entry from one map to another under a new key (no-op when absent). */
function rekey<T>(from: Map<string, T>, fromKey: string, to: Map<string, T>, toKey: string): void {
  const value = from.get(fromKey);
  if (value === undefined) return;
  from.delete(fromKey);
  to.set(toKey, value);
}

export class AnswerTracker {
  readonly ttfc = new Samples(4096);
  readonly interChunk = new Samples(65536);
  readonly counters: StepCounters = { sent: 0, completed: 0, malformed: 0, framesInWindow: 0, frameTypes: {}, errors: {} };
  private readonly byClientId = new Map<string, PendingAnswer>();
  private readonly byUserMessageId = new Map<string, PendingAnswer>();
  private readonly byAnswerId = new Map<string, PendingAnswer>();

  constructor(
    private readonly windowStart: number,
    private readonly windowEnd: number,
    private readonly expectedChunks: number,
  ) {}

  get outstanding(): number {
    return this.counters.sent - this.counters.completed;
  }

  expectAnswer(clientMessageId: string, scheduledAt: number): void {
    this.counters.sent++;
    this.byClientId.set(clientMessageId, { scheduledAt, firstChunkAt: 0, lastChunkAt: 0, chunks: 0 });
  }

  countError(code: string): void {
    this.counters.errors[code] = (this.counters.errors[code] ?? 0) + 1;
  }

  /** Every frame any visitor receives while the step runs. */
  onFrame(type: string, data: Bag, now: number): void {
    // Heartbeats are not delivered answer frames (and only the platform sends them).
    if (now >= this.windowStart && now < this.windowEnd && type !== 'ping' && type !== 'pong') this.counters.framesInWindow++;
    this.counters.frameTypes[type] = (this.counters.frameTypes[type] ?? 0) + 1;
    switch (type) {
      case 'message_received':
        // The server's id of the user message replaces the client's own id as the key.
        return rekey(this.byClientId, String(data.client_message_id), this.byUserMessageId, String(data.message_id));
      case 'processing':
      case 'response_start':
        // From here on the answer's id (carried by every chunk) is the key.
        return rekey(this.byUserMessageId, String(data.user_message_id), this.byAnswerId, String(data.message_id));
      case 'response_chunk': {
        const pending = this.byAnswerId.get(String(data.message_id));
        if (!pending) return;
        if (pending.chunks === 0) {
          pending.firstChunkAt = now;
          this.ttfc.record(now - pending.scheduledAt);
        } else {
          this.interChunk.record(now - pending.lastChunkAt);
        }
        pending.lastChunkAt = now;
        pending.chunks++;
        return;
      }
      case 'response_complete': {
        const pending = this.byAnswerId.get(String(data.message_id));
        if (!pending) return;
        this.byAnswerId.delete(String(data.message_id));
        this.counters.completed++;
        if (pending.chunks !== this.expectedChunks || data.status !== 'complete') this.counters.malformed++;
        return;
      }
      case 'error':
        this.countError(`frame:${String(data.code)}`);
        return;
      default:
        return;
    }
  }
}
