/**
 * A platform node in a process of its own, with the configured (extractive) engine, for tests that
 * kill a node with SIGKILL mid-answer: `node --import tsx helpers/extractive-node.ts` with the
 * platform's environment (PORT, DATABASE_URL, REDIS_URL, JWT_SECRET, EXTRACTIVE_CHUNK_DELAY_MS, …).
 * Prints one line `{"url": …}` on stdout once it listens. The production start-up (startFromEnv).
 */
import { startFromEnv } from '@miptech/platform';

const { url } = await startFromEnv(process.env, { seedKnowledge: false });
process.stdout.write(`${JSON.stringify({ url })}\n`);
