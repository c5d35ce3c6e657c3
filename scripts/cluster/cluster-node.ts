/**
 * One platform node of the cluster proof, run as its own process:
 * `node --import tsx scripts/cluster/cluster-node.ts` with the platform's environment (PORT,
 * DATABASE_URL, REDIS_URL, NODE_ID, JWT_SECRET, SHUTDOWN_GRACE_MS, …) plus
 * CLUSTER_CHUNK_COUNT / CLUSTER_CHUNK_DELAY_MS for the paced scripted answers.
 *
 * Everything else is the production wiring of createPlatform. SIGTERM shuts down gracefully
 * (sockets closed with 1001, answers in flight finished), then exits 0.
 */
import { createPlatform } from '../../packages/server/src/app.ts';
import { loadConfig } from '../../packages/server/src/config.ts';
import { createPacedAnswerEngine } from './paced-answer-engine.ts';

const config = loadConfig(process.env);
const engine = createPacedAnswerEngine({
  chunkCount: Number(process.env.CLUSTER_CHUNK_COUNT ?? 60),
  chunkDelayMs: Number(process.env.CLUSTER_CHUNK_DELAY_MS ?? 40),
});
const platform = await createPlatform(config, { engine, seedKnowledge: false });
const { url } = await platform.listen();
const logger = platform.services.logger;
logger.info({ url, nodeId: config.nodeId }, 'cluster node ready');

let stopping = false;
const stop = (signal: NodeJS.Signals): void => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal, nodeId: config.nodeId }, 'cluster node shutting down');
  platform.close().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
