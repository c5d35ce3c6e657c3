/** Child-process entry of the baseline server (see baseline-server.ts). */
import { modelFromEnv, runServerChild } from './server-child.ts';
import { startBaselineServer } from './baseline-server.ts';

await runServerChild(async () => {
  const server = await startBaselineServer({ host: '127.0.0.1', port: 0, model: modelFromEnv() });
  return { ...server, tenantId: 'miptech-company', jwtSecret: process.env.JWT_SECRET ?? 'baseline-ignores-tokens' };
});
