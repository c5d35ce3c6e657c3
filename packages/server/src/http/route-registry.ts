/** Every REST route plugin of the platform, registered with the shared services as options. */
import type { FastifyInstance } from 'fastify';
import type { PlatformServices } from './platform-services.ts';
import chatRoutes from './routes/chat-routes.ts';
import healthRoutes from './routes/health-routes.ts';
import widgetTokenRoutes from './routes/widget-token-routes.ts';

export async function registerRoutes(app: FastifyInstance, services: PlatformServices): Promise<void> {
  await app.register(healthRoutes, services);
  await app.register(widgetTokenRoutes, services);
  await app.register(chatRoutes, services);
}
