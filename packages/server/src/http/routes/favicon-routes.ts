/**
 * `/favicon.ico`: browsers ask for it on every page (the demo page included). An empty 204,
 * cached for a day, instead of a 404 logged and shown in the console each time.
 */
import type { FastifyPluginAsync } from 'fastify';

const faviconRoutes: FastifyPluginAsync = async (app) => {
  const schema = { tags: ['operations'], summary: 'No icon: an empty answer browsers cache for a day', response: { 204: { description: 'Empty', type: 'null' } } };
  app.get('/favicon.ico', { schema }, async (_request, reply) => reply.status(204).header('cache-control', 'public, max-age=86400').send());
};

export default faviconRoutes;
