/**
 * A tiny request/response layer over a message channel (a child's IPC channel or a worker port).
 * The bench's processes talk only through it: the orchestrator drives the servers and the load
 * generator, the generator drives its workers.
 */

/** The two ends of a message channel, whatever carries it. */
export interface MessageTransport {
  post(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
}

export type RpcHandler = (args: any) => unknown;

interface RpcRequest {
  rpc: 'request';
  id: number;
  op: string;
  args: unknown;
}

interface RpcResponse {
  rpc: 'response';
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** Other (non-RPC) messages, e.g. a child's `ready` announcement. */
export interface RpcEvent {
  rpc: 'event';
  name: string;
  payload: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Answers requests with `handlers[op](args)`; an unknown op or a throw becomes an error reply. */
export function serveRpc(transport: MessageTransport, handlers: Record<string, RpcHandler>): void {
  transport.onMessage((message) => {
    if (!isRecord(message) || message.rpc !== 'request') return;
    const request = message as unknown as RpcRequest;
    const handler = handlers[request.op];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown rpc op "${request.op}"`);
        return handler(request.args);
      })
      .then(
        (result) => transport.post({ rpc: 'response', id: request.id, ok: true, result } satisfies RpcResponse),
        (error: unknown) =>
          transport.post({
            rpc: 'response',
            id: request.id,
            ok: false,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          } satisfies RpcResponse),
      );
  });
}

/** Sends an event (no reply expected). */
export function emitRpcEvent(transport: MessageTransport, name: string, payload: unknown): void {
  transport.post({ rpc: 'event', name, payload } satisfies RpcEvent);
}

/** The calling side: `call(op, args, timeoutMs)` and a way to wait for a named event. */
export class RpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void; timer: NodeJS.Timeout }>();
  private readonly eventWaiters = new Map<string, Array<(payload: unknown) => void>>();
  private readonly seenEvents = new Map<string, unknown>();
  private closedReason: string | null = null;

  constructor(private readonly transport: MessageTransport, private readonly label: string) {
    transport.onMessage((message) => {
      if (!isRecord(message)) return;
      if (message.rpc === 'response') {
        const response = message as unknown as RpcResponse;
        const entry = this.pending.get(response.id);
        if (!entry) return;
        this.pending.delete(response.id);
        clearTimeout(entry.timer);
        if (response.ok) entry.resolve(response.result);
        else entry.reject(new Error(`${this.label}: ${response.error ?? 'rpc failed'}`));
      } else if (message.rpc === 'event') {
        const event = message as unknown as RpcEvent;
        this.seenEvents.set(event.name, event.payload);
        for (const waiter of this.eventWaiters.get(event.name) ?? []) waiter(event.payload);
        this.eventWaiters.delete(event.name);
      }
    });
  }

  call<T>(op: string, args: unknown, timeoutMs: number): Promise<T> {
    if (this.closedReason) return Promise.reject(new Error(`${this.label}: ${this.closedReason}`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.label}: "${op}" timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.transport.post({ rpc: 'request', id, op, args } satisfies RpcRequest);
    });
  }

  /** Resolves with the event's payload (also when it already arrived), rejects after the timeout. */
  waitForEvent<T>(name: string, timeoutMs: number): Promise<T> {
    if (this.seenEvents.has(name)) return Promise.resolve(this.seenEvents.get(name) as T);
    if (this.closedReason) return Promise.reject(new Error(`${this.label}: ${this.closedReason}`));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.label}: no "${name}" within ${timeoutMs} ms`)), timeoutMs);
      const waiters = this.eventWaiters.get(name) ?? [];
      waiters.push((payload) => {
        clearTimeout(timer);
        resolve(payload as T);
      });
      this.eventWaiters.set(name, waiters);
      this.onCloseRejects.push(() => {
        clearTimeout(timer);
        reject(new Error(`${this.label}: ${this.closedReason}`));
      });
    });
  }

  private readonly onCloseRejects: Array<() => void> = [];

  /** Fails every pending call (the other side went away). */
  close(reason: string): void {
    if (this.closedReason) return;
    this.closedReason = reason;
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(new Error(`${this.label}: ${reason}`));
      this.pending.delete(id);
    }
    for (const reject of this.onCloseRejects.splice(0)) reject();
  }
}

/** The transport of the current process's IPC channel (a child started with an `ipc` stdio). */
export function processTransport(): MessageTransport {
  if (!process.send) throw new Error('this process has no IPC channel');
  return {
    post: (message) => void process.send?.(message),
    onMessage: (listener) => void process.on('message', listener),
  };
}
