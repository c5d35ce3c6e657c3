/**
 * Child-process entry of the cluster target: a real cluster on 127.0.0.1 built by
 * packages/testing/src/cluster/cluster.ts — a fresh PostgreSQL database, Redis (a private redis-server, or a
 * shared one under a key prefix of its own), N platform nodes (cluster-node-main.ts: the bench's
 * scripted model behind the AnswerEngine seam) and nginx in front. The load generator talks to
 * nginx only, exactly as visitors of a scaled-out deployment would.
 *
 * This process only manages: it answers `processes` (the pids whose CPU the orchestrator adds
 * up) and tears everything down on `shutdown` or when the orchestrator goes away. It runs under
 * the orchestrator's raised file-descriptor limit and nice value, which its children inherit.
 */
import pg from 'pg';
import { Cluster, DEFAULT_TENANT } from '@miptech/testing/cluster/cluster.ts';
import { descendantsOf, processName, readParentTable, type GroupMember } from '../orchestrator/process-group.ts';
import { runServerChild } from './server-child.ts';

export interface ClusterTargetEnv {
  nodes: number;
  postgresUrl: string;
  /** A shared Redis (used under a key prefix of the run's own); absent: a private redis-server. */
  redisUrl?: string;
  logLevel: string;
  nginxWorkerConnections: number;
  /** The nodes' logs are copied here when the cluster stops (the run directory is removed). */
  nodeLogs?: { dir: string; prefix: string };
}

const NODE_ENTRY = new URL('./cluster-node-main.ts', import.meta.url).pathname;
const settings = JSON.parse(process.env.BENCH_CLUSTER ?? '{}') as ClusterTargetEnv;

let cluster: Cluster | null = null;
let monitor: pg.Pool | null = null;

/** The cluster's processes: nodes, nginx (master and workers), a private redis-server, PostgreSQL backends. */
async function processes(): Promise<GroupMember[]> {
  if (!cluster) return [];
  const nodePids = new Set(cluster.nodes.map((node) => node.process?.pid).filter((pid): pid is number => pid !== undefined));
  const members: GroupMember[] = [...nodePids].map((pid) => ({ role: 'node', pid }));
  for (const pid of descendantsOf(process.pid, readParentTable())) {
    if (nodePids.has(pid)) continue;
    const name = processName(pid);
    if (name.startsWith('nginx')) members.push({ role: 'nginx', pid });
    else if (name.startsWith('redis-server')) members.push({ role: 'redis', pid });
  }
  // The backends serving this run's database (one process per pool connection of every node).
  monitor ??= new pg.Pool({ connectionString: cluster.databaseUrl, max: 1 });
  const { rows } = await monitor.query<{ pid: number }>(
    'select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
    [cluster.databaseName],
  );
  for (const { pid } of rows) members.push({ role: 'postgres', pid });
  return members;
}

await runServerChild(async () => {
  const started = await Cluster.start({
    nodeCount: settings.nodes,
    postgresUrl: settings.postgresUrl,
    ...(settings.redisUrl ? { redisUrl: settings.redisUrl } : {}),
    nodeEntry: NODE_ENTRY,
    nginxWorkerConnections: settings.nginxWorkerConnections,
    ...(settings.nodeLogs ? { keepNodeLogs: settings.nodeLogs } : {}),
    logLevel: settings.logLevel,
    // Unused by the bench's node entry (it reads BENCH_MODEL); required by the harness.
    chunkCount: 0,
    chunkDelayMs: 0,
    shutdownGraceMs: 3_000,
    nodeEnv: {
      NODE_ENV: 'production',
      BENCH_MODEL: process.env.BENCH_MODEL ?? '',
      // Every visitor of the bench comes from one address (nginx forwards it): no per-address socket limit.
      WS_MAX_CONNECTIONS_PER_ADDRESS: '1000000',
      WS_MAX_CONNECTIONS: '1000000',
      // The platform's default pool size (the harness uses 5 for its rolling-deploy test).
      DATABASE_POOL_SIZE: '10',
      // BENCH_CLUSTER_CPU_PROF=<dir>: every node writes a V8 CPU profile of its life there on exit.
      ...(process.env.BENCH_CLUSTER_CPU_PROF ? { BENCH_CLUSTER_CPU_PROF: process.env.BENCH_CLUSTER_CPU_PROF } : {}),
    },
  });
  cluster = started;
  console.log(`cluster: ${started.nodes.length} nodes behind nginx at ${started.url}, database ${started.databaseName}, redis ${started.redisUrl}, run dir ${started.runDir}`);
  return {
    url: started.url,
    tenantId: DEFAULT_TENANT,
    jwtSecret: started.jwtSecret,
    close: async () => {
      await monitor?.end().catch(() => undefined);
      await started.stop();
    },
  };
}, { processes });
