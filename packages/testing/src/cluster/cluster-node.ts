/**
 * One platform node of the cluster proof, run as its own process:
 * `node --import tsx packages/testing/src/cluster/cluster-node.ts` with the platform's environment (PORT,
 * DATABASE_URL, REDIS_URL, NODE_ID, JWT_SECRET, SHUTDOWN_GRACE_MS, …) plus
 * CLUSTER_CHUNK_COUNT / CLUSTER_CHUNK_DELAY_MS for the paced scripted answers.
 *
 * Everything else is the production start-up (startFromEnv): SIGTERM shuts down gracefully
 * (sockets closed with 1001, answers in flight finished), then exits 0.
 */
import { startFromEnv } from '@miptech/platform';
import { createScriptedEngine, numberedChunks } from '../scripted-engine.ts';

const chunkCount = Number(process.env.CLUSTER_CHUNK_COUNT ?? 60);
const engine = createScriptedEngine({
  chunks: (request) => numberedChunks(request.question, chunkCount),
  delayMs: Number(process.env.CLUSTER_CHUNK_DELAY_MS ?? 40),
  model: 'paced-script',
});
const { platform, url } = await startFromEnv(process.env, { engine, seedKnowledge: false });
platform.services.logger.info({ url, nodeId: platform.config.nodeId }, 'cluster node ready');
