/**
 * The platform's Prometheus metrics (prom-client), one Registry per platform instance: tests and
 * the scale proofs start several platforms in one process, and each must report only its own.
 *
 * Recording is cheap on the hot path: the per-frame and per-error counts are plain numbers in
 * fixed tables, handed to prom-client only when /metrics is scraped (prom-client builds a label
 * string on every `inc`, which per chunk per socket would cost more than sending the chunk).
 * Gauges that describe state (sockets, answers in flight, database and Redis health, event-loop
 * delay) are read at scrape time from the parts that own that state, so nothing tracks them twice.
 * No metric has a tenant label: tenants are unbounded, labels here are small fixed sets.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ERROR_CODES, SERVER_FRAME_TYPES, type ErrorCode, type MessageStatus, type ServerFrameType } from '@miptech/protocol';

/** Where an error was reported: a REST error body, a WebSocket `error` frame, or the end of an answer. */
export type ErrorTransport = 'rest' | 'ws' | 'answer';
const ERROR_TRANSPORTS: readonly ErrorTransport[] = ['rest', 'ws', 'answer'];

/** Which limit refused: REST requests per minute, messages per minute, chats per hour, WebSocket frames (flood guard). */
export type RateLimitName = 'requests' | 'messages' | 'chat_creation' | 'frames' | 'ws_connections';
const RATE_LIMITS: readonly RateLimitName[] = ['requests', 'messages', 'chat_creation', 'frames', 'ws_connections'];

/** Which cost control refused a model call: a visitor's or the tenant's daily token budget, or the tenant's cap on calls at once. */
export type BudgetName = 'visitor_tokens' | 'tenant_tokens' | 'concurrency';
const BUDGETS: readonly BudgetName[] = ['visitor_tokens', 'tenant_tokens', 'concurrency'];

export type AnswerEndStatus = Exclude<MessageStatus, 'streaming'>;
const ANSWER_STATUSES: readonly AnswerEndStatus[] = ['complete', 'stopped', 'interrupted', 'error'];

/** Seconds; answers stream for seconds, a first chunk should come within one. */
const FIRST_CHUNK_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];
const ANSWER_DURATION_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];
const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** A health probe that does not answer within this long reports the dependency down (a scrape must not hang). */
const HEALTH_PROBE_TIMEOUT_MS = 2000;
/** Event-loop delay sampling resolution (ms): fine enough for p99, cheap enough for one timer per platform. */
const EVENT_LOOP_RESOLUTION_MS = 20;

/** State read at scrape time, from the parts of the platform that own it. */
export interface MetricSources {
  sockets(): { open: number; joined: number };
  answersInFlight(): number;
  /** Whether the database answers (store.health()). */
  databaseUp(): Promise<boolean>;
  /** Whether Redis answers; absent on a single node without Redis (then no redis gauge is exported). */
  redisUp?: () => Promise<boolean>;
}

function withTimeout(probe: () => Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), HEALTH_PROBE_TIMEOUT_MS);
    timer.unref();
  });
  return Promise.race([probe().catch(() => false), timeout]).finally(() => clearTimeout(timer));
}

/** A table of counts by one label, handed to `counter` (adding what came since the last scrape) when scraped. */
function countTable<K extends string>(keys: readonly K[]): Record<K, number> {
  const table = {} as Record<K, number>;
  for (const key of keys) table[key] = 0;
  return table;
}

export class PlatformMetrics {
  readonly registry = new Registry();
  private readonly framesSent = countTable<ServerFrameType>(SERVER_FRAME_TYPES);
  private readonly errors: Record<ErrorTransport, Record<ErrorCode, number>>;
  private readonly rateLimitRejections = countTable<RateLimitName>(RATE_LIMITS);
  private readonly budgetRejections = countTable<BudgetName>(BUDGETS);
  private readonly firstChunk: Histogram;
  private readonly answerDuration: Histogram<'status'>;
  private readonly answerDurationByStatus: Record<AnswerEndStatus, { observe(value: number): void }>;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly eventLoop: IntervalHistogram;
  private sources: MetricSources | null = null;

  constructor() {
    const registers = [this.registry];
    const errorCodes = Object.keys(ERROR_CODES) as ErrorCode[];
    this.errors = { rest: countTable(errorCodes), ws: countTable(errorCodes), answer: countTable(errorCodes) };
    const metrics = this;

    new Counter({
      name: 'miptech_ws_frames_sent_total',
      help: 'WebSocket frames handed to a socket, by frame type',
      labelNames: ['type'],
      registers,
      collect() {
        for (const type of SERVER_FRAME_TYPES) {
          this.inc({ type }, metrics.framesSent[type]);
          metrics.framesSent[type] = 0;
        }
      },
    });
    new Counter({
      name: 'miptech_errors_total',
      help: 'Errors reported to clients, by error code and where (rest: an error body, ws: an error frame, answer: an answer that ended with an error)',
      labelNames: ['code', 'transport'],
      registers,
      collect() {
        for (const transport of ERROR_TRANSPORTS) {
          const table = metrics.errors[transport];
          for (const code of errorCodes) {
            if (table[code] === 0) continue;
            this.inc({ code, transport }, table[code]);
            table[code] = 0;
          }
        }
      },
    });
    new Counter({
      name: 'miptech_rate_limit_rejections_total',
      help: 'Requests, messages, chat creations and WebSocket frames refused by a rate limit',
      labelNames: ['limit'],
      registers,
      collect() {
        for (const limit of RATE_LIMITS) {
          this.inc({ limit }, metrics.rateLimitRejections[limit]);
          metrics.rateLimitRejections[limit] = 0;
        }
      },
    });
    new Counter({
      name: 'miptech_budget_rejections_total',
      help: 'Model calls refused by cost control: a daily token budget (visitor_tokens, tenant_tokens) or the tenant cap on calls at once (concurrency)',
      labelNames: ['budget'],
      registers,
      collect() {
        for (const budget of BUDGETS) {
          this.inc({ budget }, metrics.budgetRejections[budget]);
          metrics.budgetRejections[budget] = 0;
        }
      },
    });
    this.firstChunk = new Histogram({
      name: 'miptech_answer_first_chunk_seconds',
      help: 'Time from the start of an answer (user message committed) to its first streamed chunk',
      buckets: FIRST_CHUNK_BUCKETS,
      registers,
    });
    this.answerDuration = new Histogram({
      name: 'miptech_answer_duration_seconds',
      help: 'Time from the start of an answer to its end, by how it ended',
      labelNames: ['status'],
      buckets: ANSWER_DURATION_BUCKETS,
      registers,
    });
    this.answerDurationByStatus = {} as Record<AnswerEndStatus, { observe(value: number): void }>;
    for (const status of ANSWER_STATUSES) {
      const child = this.answerDuration.labels({ status });
      this.answerDurationByStatus[status] = child;
    }
    this.httpDuration = new Histogram({
      name: 'miptech_http_request_duration_seconds',
      help: 'REST request durations, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_DURATION_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'miptech_ws_connections_open',
      help: 'Open WebSocket connections on this node',
      registers,
      collect() {
        this.set(metrics.sources?.sockets().open ?? 0);
      },
    });
    new Gauge({
      name: 'miptech_ws_connections_joined',
      help: 'WebSocket connections on this node that joined a chat',
      registers,
      collect() {
        this.set(metrics.sources?.sockets().joined ?? 0);
      },
    });
    new Gauge({
      name: 'miptech_answers_in_flight',
      help: 'Answers being generated on this node',
      registers,
      collect() {
        this.set(metrics.sources?.answersInFlight() ?? 0);
      },
    });
    new Gauge({
      name: 'miptech_database_up',
      help: 'Whether the database answers (1) or not (0)',
      registers,
      async collect() {
        const probe = metrics.sources?.databaseUp;
        this.set(probe ? Number(await withTimeout(probe)) : 0);
      },
    });

    this.eventLoop = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
    this.eventLoop.enable();
    const eventLoopGauge = (name: string, help: string, read: (histogram: IntervalHistogram) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          // perf_hooks reports nanoseconds; 0 samples yet reads as NaN.
          const value = read(metrics.eventLoop) / 1e9;
          this.set(Number.isFinite(value) ? value : 0);
        },
      });
    eventLoopGauge('miptech_event_loop_delay_p50_seconds', 'Median event-loop delay since the previous scrape', (h) => h.percentile(50));
    eventLoopGauge('miptech_event_loop_delay_p99_seconds', '99th percentile event-loop delay since the previous scrape', (h) => h.percentile(99));
    eventLoopGauge('miptech_event_loop_delay_max_seconds', 'Longest event-loop delay since the previous scrape', (h) => h.max);
    new Gauge({
      name: 'miptech_process_resident_memory_bytes',
      help: 'Resident memory of the process',
      registers,
      collect() {
        this.set(process.memoryUsage.rss());
      },
    });
  }

  /** Connects the scrape-time gauges to the parts that own the state (called once the platform is assembled). */
  observe(sources: MetricSources): void {
    this.sources = sources;
    if (sources.redisUp) {
      const probe = sources.redisUp;
      new Gauge({
        name: 'miptech_redis_up',
        help: 'Whether Redis answers (1) or not (0); only with REDIS_URL',
        registers: [this.registry],
        async collect() {
          this.set(Number(await withTimeout(probe)));
        },
      });
    }
  }

  frameSent(type: ServerFrameType): void {
    this.framesSent[type] += 1;
  }

  errorReported(transport: ErrorTransport, code: ErrorCode): void {
    this.errors[transport][code] += 1;
  }

  rateLimitRejected(limit: RateLimitName): void {
    this.rateLimitRejections[limit] += 1;
  }

  budgetRejected(budget: BudgetName): void {
    this.budgetRejections[budget] += 1;
  }

  answerFirstChunk(milliseconds: number): void {
    this.firstChunk.observe(milliseconds / 1000);
  }

  answerEnded(status: AnswerEndStatus, milliseconds: number, errorCode?: ErrorCode): void {
    this.answerDurationByStatus[status].observe(milliseconds / 1000);
    if (errorCode) this.errorReported('answer', errorCode);
  }

  /** One REST request; `route` is the route pattern (bounded), never the raw URL. */
  httpRequest(method: string, route: string, status: number, milliseconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, milliseconds / 1000);
  }

  /** The exposition text; resets the event-loop delay window. */
  async render(): Promise<{ contentType: string; text: string }> {
    const text = await this.registry.metrics();
    this.eventLoop.reset();
    return { contentType: this.registry.contentType, text };
  }

  async close(): Promise<void> {
    this.eventLoop.disable();
    this.sources = null;
  }
}

export function createPlatformMetrics(): PlatformMetrics {
  return new PlatformMetrics();
}
