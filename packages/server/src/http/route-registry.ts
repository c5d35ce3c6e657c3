/**
 * Every REST route plugin of the platform, registered with the services it needs — after what
 * they rely on: request validation (request-validation.ts), the shared response schemas and the
 * OpenAPI document, which collects each route as it is added.
 */
import type { FastifyInstance } from 'fastify';
import type { PlatformServices } from '../transport/platform-services.ts';
import { registerOpenApi } from './openapi.ts';
import { registerRequestValidation } from './request-validation.ts';
import adminKnowledgeRoutes from './routes/admin-knowledge-routes.ts';
import adminPrivacyRoutes from './routes/admin-privacy-routes.ts';
import adminTokenRoutes from './routes/admin-token-routes.ts';
import { registerAdminRateLimit } from './admin-rate-limit.ts';
import chatRoutes from './routes/chat-routes.ts';
import faviconRoutes from './routes/favicon-routes.ts';
import healthRoutes from './routes/health-routes.ts';
import metricsRoutes from './routes/metrics-routes.ts';
import widgetTokenRoutes from './routes/widget-token-routes.ts';
import { registerSharedSchemas } from './schemas/resource-schemas.ts';

export async function registerRoutes(app: FastifyInstance, services: PlatformServices): Promise<void> {
  registerRequestValidation(app);
  registerSharedSchemas(app);
  await registerOpenApi(app, services);
  // Before every admin plugin's own key check (onRequest hooks run in registration order).
  registerAdminRateLimit(app, services);
  await app.register(healthRoutes, services);
  await app.register(faviconRoutes);
  await app.register(widgetTokenRoutes, services);
  await app.register(chatRoutes, services);
  await app.register(adminKnowledgeRoutes, { store: services.store, knowledge: services.knowledge, ...(services.documentPreparer ? { preparer: services.documentPreparer } : {}) });
  await app.register(adminPrivacyRoutes, services);
  await app.register(adminTokenRoutes, services);
  await app.register(metricsRoutes, services);
}
