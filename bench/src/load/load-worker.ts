/**
 * A load-generator worker thread: owns its share of the visitors (visitor `i` lives on worker
 * `i % workers`) and runs the phases the generator asks for.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { SignJWT } from 'jose';
import { serveRpc, type MessageTransport } from '../ipc/rpc.ts';
import { Samples } from '../stats/samples.ts';
import { AnswerTracker } from './answer-tracker.ts';
import { KeepAliveConnection, KeepAlivePool } from './keep-alive-http-client.ts';
import { buildOpenLoopSchedule, dispatchSchedule, systemClock } from './open-loop-schedule.ts';
import { VisitorSession, type FrameSink } from './visitor-session.ts';
import type {
  ConnectArgs, CreateChatsArgs, RestArgs, StepArgs, WorkerInit, WorkerLoad, WorkerSamplesResult, WorkerStepResult,
} from './load-messages.ts';

const init = workerData as WorkerInit;
const port = parentPort;
if (!port) throw new Error('load-worker must run in a worker thread');

const endpoint = new URL(init.url);
const host = endpoint.hostname;
const httpPort = Number(endpoint.port);
const wsBase = `ws://${host}:${httpPort}/api/v1/ws/chat`;
const secret = new TextEncoder().encode(init.jwtSecret);
const restPool = new KeepAlivePool(host, httpPort, init.restPoolPerWorker);
const groups = new Map<string, Map<number, VisitorSession>>();
let frameSink: FrameSink | null = null;

/** A visitor token as an operator's backend would mint it (guide §10). */
function mintToken(subject: string): Promise<string> {
  return new SignJWT({ tenant_id: init.tenantId, scope: ['chat:create', 'chat:send'] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime('3h')
    .sign(secret);
}

function countError(errors: Record<string, number>, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  const key = message.split(' ')[0] ?? message;
  errors[key] = (errors[key] ?? 0) + 1;
}

/** Runs `task` over `items` with at most `limit` in flight. */
async function withConcurrency<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  });
  await Promise.all(lanes);
}

function loadSince(start: ReturnType<typeof performance.eventLoopUtilization>): WorkerLoad {
  return { elu: performance.eventLoopUtilization(start).utilization };
}

function myShare(total: number): number {
  return Math.floor(total / init.workers) + (init.workerIndex < total % init.workers ? 1 : 0);
}

async function createChats(args: CreateChatsArgs): Promise<WorkerSamplesResult> {
  const group = groups.get(args.group) ?? new Map<number, VisitorSession>();
  groups.set(args.group, group);
  const indices: number[] = [];
  for (let i = init.workerIndex; i < args.count; i += init.workers) indices.push(i);
  const latencies = new Samples(indices.length);
  const errors: Record<string, number> = {};
  const elu = performance.eventLoopUtilization();
  const started = performance.now();
  await withConcurrency(indices, init.restPoolPerWorker, async (index) => {
    const visitorId = `${args.group}-${index}`;
    const session = new VisitorSession(index, visitorId, `${init.runId}-${visitorId}`, await mintToken(visitorId), init.tenantId);
    try {
      latencies.record(await session.createChat(restPool));
      group.set(index, session);
    } catch (error) {
      countError(errors, error);
    }
  });
  return { samples: [...latencies.toArray()], errors, wallMs: performance.now() - started, load: loadSince(elu) };
}

async function connect(args: ConnectArgs): Promise<WorkerSamplesResult> {
  const waiting = [...(groups.get(args.group)?.values() ?? [])].filter((s) => !s.open);
  const sessions = args.limit === undefined ? waiting : waiting.slice(0, myShare(args.limit));
  const latencies = new Samples(sessions.length);
  const errors: Record<string, number> = {};
  const elu = performance.eventLoopUtilization();
  const started = performance.now();
  await withConcurrency(sessions, Math.max(1, myShare(args.concurrency)), async (session) => {
    try {
      latencies.record(await session.connect(wsBase, () => frameSink, args.timeoutMs));
    } catch (error) {
      countError(errors, error);
    }
  });
  return { samples: [...latencies.toArray()], errors, wallMs: performance.now() - started, load: loadSince(elu) };
}

async function closeGroup(args: { group: string }): Promise<{ closed: number }> {
  const group = groups.get(args.group);
  if (!group) return { closed: 0 };
  const sessions = [...group.values()];
  await withConcurrency(sessions, 200, (session) => session.close(5_000));
  groups.delete(args.group);
  return { closed: sessions.length };
}

/** Closed-loop `POST /api/v1/chat` for a fixed time on dedicated keep-alive connections. */
async function rest(args: RestArgs): Promise<WorkerSamplesResult> {
  const connectionCount = myShare(args.connections);
  const token = await mintToken(`rest-${init.workerIndex}`);
  const headers = ['Content-Type: application/json', `X-Tenant-ID: ${init.tenantId}`, `Authorization: Bearer ${token}`];
  const latencies = new Samples(65536);
  const errors: Record<string, number> = {};
  const connections = await Promise.all(Array.from({ length: connectionCount }, () => KeepAliveConnection.open(host, httpPort)));
  let sequence = 0;
  const elu = performance.eventLoopUtilization();
  const started = performance.now();
  const deadline = started + args.durationMs;
  await Promise.all(connections.map(async (connection) => {
    // Bounded by the deadline and by a generous request cap.
    for (let i = 0; i < 10_000_000 && performance.now() < deadline && !connection.closed; i++) {
      const body = JSON.stringify({ title: 'Bench chat', tenant_id: init.tenantId, session_id: `${init.runId}-rest-${init.workerIndex}-${sequence++}` });
      const sent = performance.now();
      try {
        const response = await connection.request('POST', '/api/v1/chat', headers, body);
        if (response.status === 201 || response.status === 200) latencies.record(performance.now() - sent);
        else countError(errors, new Error(`http_${response.status}`));
      } catch (error) {
        countError(errors, error);
      }
    }
  }));
  const wallMs = performance.now() - started;
  const load = loadSince(elu);
  for (const connection of connections) connection.close();
  return { samples: [...latencies.toArray()], errors, wallMs, load };
}

/** One open-loop step: the first `chats` visitors of the group each send on their fixed schedule. */
async function step(args: StepArgs): Promise<WorkerStepResult> {
  const group = groups.get(args.group) ?? new Map<number, VisitorSession>();
  const tracker = new AnswerTracker(args.startAt, args.startAt + args.durationMs, args.expectedChunks);
  const schedule = buildOpenLoopSchedule({ chats: args.chats, periodMs: args.periodMs, durationMs: args.durationMs, startAt: args.startAt })
    .filter((send) => send.chat % init.workers === init.workerIndex);
  const lateness = new Samples(schedule.length);
  frameSink = (type, data, now) => tracker.onFrame(type, data, now);
  const elu = performance.eventLoopUtilization();
  try {
    await dispatchSchedule(schedule, (send, late) => {
      lateness.record(late);
      const session = group.get(send.chat);
      if (!session?.open) {
        tracker.countError('visitor_not_connected');
        return;
      }
      const question = args.questions[(send.chat + send.sequence) % args.questions.length] ?? 'How do I embed the widget?';
      tracker.expectAnswer(session.sendMessage(question), send.at);
    }, systemClock);
    // Drain: wait for the answers still streaming, bounded in time.
    const drainUntil = performance.now() + args.drainMs;
    for (let i = 0; i < 100_000 && tracker.outstanding > 0 && performance.now() < drainUntil; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    frameSink = null;
  }
  const load = loadSince(elu);
  const late = lateness.summary();
  return {
    ttfc: [...tracker.ttfc.toArray()],
    interChunk: [...tracker.interChunk.toArray()],
    ...tracker.counters,
    load: { ...load, dispatchLatenessP99: late.p99, dispatchLatenessMax: late.max },
  };
}

async function shutdown(): Promise<{ ok: true }> {
  for (const name of [...groups.keys()]) await closeGroup({ group: name });
  restPool.close();
  return { ok: true };
}

const transport: MessageTransport = {
  post: (message) => port.postMessage(message),
  onMessage: (listener) => void port.on('message', listener),
};
serveRpc(transport, { createChats, connect, closeGroup, rest, step, shutdown });
