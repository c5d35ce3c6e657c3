/** Every REST route plugin of the platform, registered with the services it needs. */
import type { FastifyInstance } from 'fastify';
import type { PlatformServices } from '../transport/platform-services.ts';
import adminKnowledgeRoutes from './routes/admin-knowledge-routes.ts';
import chatRoutes from './routes/chat-routes.ts';
import faviconRoutes from './routes/favicon-routes.ts';
import healthRoutes from './routes/health-routes.ts';
import widgetTokenRoutes from './routes/widget-token-routes.ts';

export async function registerRoutes(app: FastifyInstance, services: PlatformServices): Promise<void> {
  await app.register(healthRoutes, services);
  await app.register(faviconRoutes);
  await app.register(widgetTokenRoutes, services);
  await app.register(chatRoutes, services);
  await app.register(adminKnowledgeRoutes, { store: services.store, knowledge: services.knowledge });
}
