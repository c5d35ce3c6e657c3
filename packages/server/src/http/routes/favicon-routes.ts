/**
 * `/favicon.ico`: browsers ask for it on every page (the demo page included). An empty 204,
 * cached for a day, instead of a 404 logged and shown in the console each time.
 */
import type { FastifyPluginAsync } from 'fastify';

const faviconRoutes: FastifyPluginAsync = async (app) => {
  app.get('/favicon.ico', async (_request, reply) => reply.status(204).header('cache-control', 'public, max-age=86400').send());
};

export default faviconRoutes;
