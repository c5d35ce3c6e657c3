/**
 * The scale-out proof. Visitors (clients of @miptech/client) hold conversations with long, paced
 * answers through nginx while every node is restarted one after another (SIGTERM, start again);
 * then one node is SIGKILLed mid-answer. Everything the visitors saw is compared with what the
 * database stored. The result is a report: the test asserts on it, run-rolling-deploy.ts prints it.
 */
import { createTokenService } from '@miptech/server';
import { Cluster, DEFAULT_TENANT, type ClusterNode } from './cluster.ts';
import { ClusterVisitor, type WireRecord } from './cluster-visitor.ts';

export interface ScenarioOptions {
  postgresUrl: string;
  /** A shared Redis (the cluster uses a key prefix of its own); default a private redis-server. */
  redisUrl?: string;
  /** @default 3 */
  nodeCount?: number;
  /** @default 50 */
  visitors?: number;
  /** Chunks per answer. @default 60 */
  chunkCount?: number;
  /** Pause before each chunk. @default 40 */
  chunkDelayMs?: number;
  /** Pause after a restarted node is ready, before the next one. @default 1000 */
  pauseBetweenRestartsMs?: number;
  /** Lease of a generating node on its answer (the SIGKILL phase waits for it). @default 3000 */
  answerLeaseMs?: number;
  /** Include the SIGKILL phase. @default true */
  kill?: boolean;
  /** Progress lines (the script prints them; the test keeps quiet). */
  log?: (line: string) => void;
}

export interface Percentiles {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export interface ScenarioReport {
  nodes: number;
  visitors: number;
  restarts: Array<{ node: string; exitCode: number | null; downMs: number }>;
  answers: { total: number; complete: number; interrupted: number; other: number };
  chunks: { received: number; duplicates: number; lost: number };
  /** Seqs that arrived at or below one already seen by the same visitor. */
  seqsBackwards: number;
  /** Joins after the first one, and how many of them resumed without a gap. */
  rejoins: { total: number; resumed: number; historyReloads: number };
  /** 1001 while an answer was streaming → the next chunk of it (ms). */
  resumeGapsMs: Percentiles;
  /** Any 1001 → the visitor's next chat_joined (ms). */
  rejoinGapsMs: Percentiles;
  /** Mismatches between what visitors saw and what was stored (empty when everything matches). */
  mismatches: string[];
  kill: null | {
    node: string;
    /** Answers that were being generated on the killed node. */
    interrupted: number;
    /** Of those, how many visitors got generation_interrupted and the terminal event. */
    notified: number;
    /** SIGKILL → terminal event at the visitor (ms). */
    detectionMs: Percentiles;
    userMessagesKept: boolean;
  };
  durationMs: number;
}

interface StoredMessage {
  id: string;
  chat_id: string;
  role: 'user' | 'assistant';
  content: string;
  status: string;
  reply_to: string | null;
}

export async function runRollingDeployScenario(options: ScenarioOptions): Promise<ScenarioReport> {
  const startedAt = Date.now();
  const log = options.log ?? (() => undefined);
  const chunkCount = options.chunkCount ?? 60;
  const chunkDelayMs = options.chunkDelayMs ?? 40;
  const answerMs = chunkCount * chunkDelayMs;
  const leaseMs = options.answerLeaseMs ?? 3000;
  const visitorCount = options.visitors ?? 50;

  log(`starting PostgreSQL database, Redis, ${options.nodeCount ?? 3} nodes and nginx`);
  const cluster = await Cluster.start({
    postgresUrl: options.postgresUrl,
    ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
    nodeCount: options.nodeCount ?? 3,
    chunkCount,
    chunkDelayMs,
    shutdownGraceMs: Math.max(10_000, answerMs * 3),
    logLevel: 'warn',
    nodeEnv: { ANSWER_LEASE_MS: String(leaseMs), LEASE_SWEEP_INTERVAL_MS: '500', WS_HEARTBEAT_INTERVAL_MS: '10000' },
  });
  const visitors: ClusterVisitor[] = [];
  try {
    const tokens = await createTokenService(cluster.jwtSecret);
    for (let index = 0; index < visitorCount; index += 1) {
      visitors.push(
        new ClusterVisitor({
          index,
          apiUrl: cluster.url,
          tenantId: DEFAULT_TENANT,
          getToken: async () =>
            (await tokens.sign({ tenantId: DEFAULT_TENANT, scopes: ['chat:create', 'chat:send'], subject: `visitor-${index}`, ttlSeconds: 3600 })).token,
        }),
      );
    }
    log(`connecting ${visitorCount} visitors through nginx at ${cluster.url}`);
    for (let from = 0; from < visitors.length; from += 10) {
      await Promise.all(visitors.slice(from, from + 10).map((visitor) => visitor.connect()));
    }

    // --- Rolling deploy -------------------------------------------------------------------------
    let deployDone = false;
    const answerTimeoutMs = answerMs * 4 + 30_000;
    const conversations = visitors.map(async (visitor, index) => {
      await sleep((index * 37) % Math.max(1, answerMs)); // answers in every phase at any moment
      for (let turn = 0; turn < 200 && !deployDone; turn += 1) {
        try {
          await visitor.ask(`Visitor ${index}, question ${turn}: tell me a long story.`, answerTimeoutMs);
        } catch (error) {
          visitor.failures.push((error as Error).message);
          return;
        }
      }
    });
    await sleep(Math.min(answerMs, 1500));
    const restarts: ScenarioReport['restarts'] = [];
    for (const node of cluster.nodes) {
      log(`restarting ${node.id} (SIGTERM, wait for exit, start again)`);
      const { exitCode, downMs } = await cluster.restartNode(node);
      restarts.push({ node: node.id, exitCode, downMs });
      await sleep(options.pauseBetweenRestartsMs ?? 1000);
    }
    deployDone = true;
    log('rolling deploy done; waiting for the last answers');
    await Promise.all(conversations);

    // --- SIGKILL mid-answer ---------------------------------------------------------------------
    let kill: ScenarioReport['kill'] = null;
    if (options.kill ?? true) {
      const asks = visitors.map((visitor, index) =>
        visitor.ask(`Visitor ${index}, last question: one more long story.`, answerMs + leaseMs * 4 + 30_000).catch((error: unknown) => {
          visitor.failures.push((error as Error).message);
          return null;
        }),
      );
      await sleep(answerMs / 3);
      const victim = await busiestNode(cluster);
      log(`SIGKILL ${victim.id} mid-answer`);
      const killedAt = Date.now();
      const generatingQuery = `select id from messages where status = 'streaming' and lease_owner = $1`;
      const before = await cluster.query<{ id: string }>(generatingQuery, [victim.id]);
      await cluster.killNode(victim);
      // Asked again once the node is dead: an answer it started between the first query and the
      // kill is still streaming under its lease (a sweeper can claim it only after the lease ran
      // out, seconds later), so the union is every answer the kill cut off.
      const after = await cluster.query<{ id: string }>(generatingQuery, [victim.id]);
      await Promise.all(asks);
      const generating = new Set([...before, ...after].map((row) => row.id));
      kill = await checkInterrupted(cluster, visitors, victim, killedAt, generating);
    }

    log('comparing what every visitor saw with the database');
    const report = await compare(cluster, visitors, chunkCount);
    return {
      nodes: cluster.nodes.length,
      visitors: visitorCount,
      restarts,
      ...report,
      kill,
      durationMs: Date.now() - startedAt,
    };
  } finally {
    for (const visitor of visitors) visitor.close();
    await cluster.stop();
  }
}

/** The node generating the most answers right now. */
async function busiestNode(cluster: Cluster): Promise<ClusterNode> {
  const rows = await cluster.query<{ lease_owner: string; count: string }>(
    `select lease_owner, count(*) as count from messages where status = 'streaming' group by lease_owner order by count(*) desc`,
  );
  const owner = rows[0]?.lease_owner;
  return cluster.nodes.find((node) => node.id === owner) ?? cluster.nodes[0]!;
}

async function checkInterrupted(
  cluster: Cluster,
  visitors: ClusterVisitor[],
  victim: ClusterNode,
  killedAt: number,
  generating: Set<string>,
): Promise<NonNullable<ScenarioReport['kill']>> {
  const stored = await cluster.query<StoredMessage>(
    `select id, chat_id, role, content, status, reply_to from messages where id = any($1)`,
    [[...generating]],
  );
  let notified = 0;
  const detection: number[] = [];
  for (const message of stored) {
    const visitor = visitors.find((candidate) => candidate.wire.ends.some((end) => end.messageId === message.id));
    if (!visitor) continue;
    const end = visitor.wire.ends.find((candidate) => candidate.messageId === message.id);
    const error = visitor.wire.errors.find((candidate) => candidate.messageId === message.id && candidate.code === 'generation_interrupted');
    if (end && error && end.status === 'interrupted' && end.errorCode === 'generation_interrupted') {
      notified += 1;
      detection.push(end.at - killedAt);
    }
  }
  const userIds = stored.map((message) => message.reply_to).filter((id): id is string => id !== null);
  const users = await cluster.query<{ id: string }>(`select id from messages where id = any($1) and role = 'user'`, [userIds]);
  return {
    node: victim.id,
    interrupted: stored.filter((message) => message.status === 'interrupted').length,
    notified,
    detectionMs: percentiles(detection),
    userMessagesKept: users.length === userIds.length,
  };
}

async function compare(cluster: Cluster, visitors: ClusterVisitor[], chunkCount: number) {
  const mismatches: string[] = [];
  const answers = { total: 0, complete: 0, interrupted: 0, other: 0 };
  const chunks = { received: 0, duplicates: 0, lost: 0 };
  const rejoins = { total: 0, resumed: 0, historyReloads: 0 };
  const gaps: number[] = [];
  const rejoinGaps: number[] = [];
  let seqsBackwards = 0;

  for (const [index, visitor] of visitors.entries()) {
    const name = `visitor ${index}`;
    for (const failure of visitor.failures) mismatches.push(`${name}: ${failure}`);
    const chatId = visitor.snapshot.chatId;
    if (!chatId) {
      mismatches.push(`${name}: never joined a chat`);
      continue;
    }
    const stored = await cluster.query<StoredMessage>(
      `select id, chat_id, role, content, status, reply_to from messages where chat_id = $1 order by id`,
      [chatId],
    );
    const wire = visitor.wire;
    seqsBackwards += wire.backwards.length;
    chunks.received += wire.chunks.length;
    chunks.duplicates += wire.chunks.length - new Set(wire.chunks.map((chunk) => chunk.seq)).size;
    const laterJoins = wire.joins.slice(1);
    rejoins.total += laterJoins.length;
    rejoins.resumed += laterJoins.filter((join) => join.resumed).length;
    rejoins.historyReloads += laterJoins.filter((join) => join.historyReloadRequired).length;
    gaps.push(...resumeGaps(wire));
    for (const close of wire.closes) {
      if (close.code !== 1001) continue;
      const join = wire.joins.find((candidate) => candidate.at >= close.at);
      if (join) rejoinGaps.push(join.at - close.at);
    }

    // Every question the visitor sent is stored, with an answer.
    const storedUsers = new Set(stored.filter((message) => message.role === 'user').map((message) => message.id));
    const answered = new Set(stored.filter((message) => message.role === 'assistant').map((message) => message.reply_to));
    for (const sent of visitor.sent) {
      if (!storedUsers.has(sent)) mismatches.push(`${name}: user message ${sent} not stored`);
      if (!answered.has(sent)) mismatches.push(`${name}: user message ${sent} has no stored answer`);
    }

    const snapshotMessages = new Map(visitor.snapshot.messages.map((message) => [message.id, message]));
    for (const message of stored.filter((candidate) => candidate.role === 'assistant')) {
      answers.total += 1;
      if (message.status === 'complete') answers.complete += 1;
      else if (message.status === 'interrupted') answers.interrupted += 1;
      else answers.other += 1;
      const label = `${name}, answer ${message.id}`;

      const own = wire.chunks.filter((chunk) => chunk.messageId === message.id);
      const byIndex = new Map<number, string>();
      for (const chunk of own) if (!byIndex.has(chunk.chunkIndex)) byIndex.set(chunk.chunkIndex, chunk.content);
      const expectedChunks = message.status === 'complete' ? chunkCount : countTokens(message.content);
      let missing = 0;
      let text = '';
      for (let chunkIndex = 0; chunkIndex < Math.max(expectedChunks, byIndex.size); chunkIndex += 1) {
        const content = byIndex.get(chunkIndex);
        if (content === undefined) missing += 1;
        else text += content;
      }
      chunks.lost += missing;
      if (missing > 0) mismatches.push(`${label}: ${missing} chunk(s) never arrived`);
      if (text !== message.content) mismatches.push(`${label}: chunks on the wire differ from the stored text`);

      const ends = wire.ends.filter((end) => end.messageId === message.id);
      if (ends.length !== 1) mismatches.push(`${label}: ${ends.length} response_complete frames`);
      else if (ends[0]!.content !== message.content) mismatches.push(`${label}: response_complete content differs from the stored text`);
      else if (ends[0]!.status !== message.status) mismatches.push(`${label}: status ${ends[0]!.status} on the wire, ${message.status} stored`);

      const shown = snapshotMessages.get(message.id);
      if (!shown) mismatches.push(`${label}: not in the client's snapshot`);
      else if (shown.content !== message.content) mismatches.push(`${label}: the client shows other text than stored`);
      else if (shown.status !== message.status) mismatches.push(`${label}: the client shows status ${shown.status}, stored ${message.status}`);
    }
  }
  return { answers, chunks, seqsBackwards, rejoins, resumeGapsMs: percentiles(gaps), rejoinGapsMs: percentiles(rejoinGaps), mismatches };
}

/** For each 1001 close during a streaming answer: ms until the next chunk of that answer. */
function resumeGaps(wire: WireRecord): number[] {
  const gaps: number[] = [];
  for (const close of wire.closes) {
    if (close.code !== 1001) continue;
    const before = wire.chunks.filter((chunk) => chunk.at <= close.at);
    const last = before.at(-1);
    if (!last) continue;
    const finished = wire.ends.some((end) => end.messageId === last.messageId && end.at <= close.at);
    if (finished) continue;
    const next = wire.chunks.find((chunk) => chunk.at > close.at && chunk.messageId === last.messageId);
    const end = wire.ends.find((candidate) => candidate.at > close.at && candidate.messageId === last.messageId);
    const resumedAt = Math.min(next?.at ?? Infinity, end?.at ?? Infinity);
    if (Number.isFinite(resumedAt)) gaps.push(resumedAt - close.at);
  }
  return gaps;
}

function countTokens(text: string): number {
  return text.split(' ').filter((token) => token !== '').length;
}

export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { count: 0, p50: null, p99: null, max: null };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1)! };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
