/**
 * The bounds of REST request fields: the route schemas (which Fastify validates with, and the
 * OpenAPI document shows) read them from here. They are @miptech/protocol's FIELD_BOUNDS, which
 * the WebSocket frame parser enforces too: one set of bounds for every entry point.
 */
export { FIELD_BOUNDS as FIELD_LIMITS, ID_PATTERN, SESSION_ID_PATTERN } from '@miptech/protocol';
