/**
 * JSON Schemas of what the REST API answers, written after the protocol's resource types
 * (@miptech/protocol frames.ts) and the error body (error-codes.ts). Fastify serialises every
 * response with them (a field not in the schema is never sent), and the OpenAPI document shows
 * them. Shared ones are registered once with $id (registerSharedSchemas) and referenced as
 * `{ $ref: 'Name#' }`, so the document lists them under components.schemas.
 */
import type { FastifyInstance } from 'fastify';
import { ERROR_CODES, type ErrorCode } from '@miptech/protocol';

const nullable = (type: string) => ({ type: [type, 'null'] });

export const ERROR_BODY_SCHEMA = {
  $id: 'ErrorBody',
  type: 'object',
  description: 'Every error answer: a stable code (the protocol\'s table), a message, and the request id; `detail` with 422, `retry_after` (seconds, also in Retry-After) with 429 and 503.',
  required: ['code', 'message', 'request_id'],
  properties: {
    code: { type: 'string', enum: Object.keys(ERROR_CODES) },
    message: { type: 'string' },
    request_id: { type: 'string' },
    detail: {
      type: 'array',
      items: {
        type: 'object',
        required: ['loc', 'msg'],
        properties: {
          loc: { type: 'array', items: { type: ['string', 'integer'] }, description: 'Where the problem is, e.g. ["body", "session_id"]' },
          msg: { type: 'string' },
          type: { type: 'string' },
        },
      },
    },
    retry_after: { type: 'integer', minimum: 0 },
  },
} as const;

export const CHAT_RESOURCE_SCHEMA = {
  $id: 'Chat',
  type: 'object',
  required: ['id', 'chat_id', 'tenant_id', 'session_id', 'visitor_id', 'title', 'status', 'created_at', 'updated_at'],
  properties: {
    id: { type: 'string' },
    chat_id: { type: 'string', description: 'The same as id (older clients read chat_id)' },
    tenant_id: { type: 'string' },
    session_id: nullable('string'),
    visitor_id: nullable('string'),
    title: { type: 'string' },
    status: { type: 'string', enum: ['active', 'closed'] },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
} as const;

const SOURCE_SCHEMA = {
  type: 'object',
  required: ['title', 'url', 'snippet'],
  properties: {
    title: { type: 'string' },
    url: nullable('string'),
    snippet: { type: 'string' },
    document_id: { type: 'string' },
    score: { type: 'number' },
  },
} as const;

export const MESSAGE_RESOURCE_SCHEMA = {
  $id: 'Message',
  type: 'object',
  required: ['id', 'chat_id', 'role', 'content', 'status', 'client_message_id', 'reply_to', 'sources', 'llm_model', 'prompt_tokens', 'completion_tokens', 'response_time_ms', 'created_at'],
  properties: {
    id: { type: 'string' },
    chat_id: { type: 'string' },
    role: { type: 'string', enum: ['user', 'assistant'] },
    content: { type: 'string' },
    status: { type: 'string', enum: ['complete', 'streaming', 'stopped', 'interrupted', 'error'] },
    client_message_id: nullable('string'),
    reply_to: nullable('string'),
    sources: { type: 'array', items: SOURCE_SCHEMA },
    llm_model: nullable('string'),
    prompt_tokens: nullable('integer'),
    completion_tokens: nullable('integer'),
    response_time_ms: nullable('integer'),
    created_at: { type: 'string' },
    next_chunk_index: { type: 'integer', description: 'Only on a streaming assistant message: content is its chunks 0 … next_chunk_index − 1, already sent' },
  },
} as const;

export const DOCUMENT_SCHEMA = {
  $id: 'Document',
  type: 'object',
  required: ['id', 'external_id', 'title', 'url', 'format', 'content_hash', 'chunk_count', 'created_at', 'updated_at'],
  properties: {
    id: { type: 'string' },
    external_id: nullable('string'),
    title: { type: 'string' },
    url: nullable('string'),
    format: { type: 'string' },
    content_hash: { type: 'string' },
    chunk_count: { type: 'integer' },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
} as const;

const SHARED_SCHEMAS = [ERROR_BODY_SCHEMA, CHAT_RESOURCE_SCHEMA, MESSAGE_RESOURCE_SCHEMA, DOCUMENT_SCHEMA];

/** Call once on the root instance before the routes. */
export function registerSharedSchemas(app: FastifyInstance): void {
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
}

/** A reference to a shared schema. */
export const ref = (schema: { $id: string }) => ({ $ref: `${schema.$id}#` });

/** Error codes by the part of a request they are about, for errorResponses. */
export const ERRORS = {
  tenant: ['tenant_required', 'tenant_not_found'],
  visitorAuth: ['auth_required', 'invalid_token', 'token_expired', 'token_revoked', 'tenant_mismatch', 'insufficient_scope', 'origin_not_allowed'],
  adminAuth: ['auth_required', 'invalid_api_key'],
  body: ['invalid_json', 'payload_too_large', 'unsupported_media_type', 'validation_error'],
  availability: ['rate_limited', 'db_not_ready'],
} as const satisfies Record<string, readonly ErrorCode[]>;

/**
 * The error answers of a route, all with the error body: one response per status of the codes
 * the route can answer (named in its description), plus 4xx/5xx for the rest every route can
 * give (404/405 for a wrong path or method, 503 while the database is away, 500).
 */
export function errorResponses(...codes: ReadonlyArray<ErrorCode | readonly ErrorCode[]>): Record<string, unknown> {
  const byStatus = new Map<number, Set<ErrorCode>>();
  for (const code of codes.flat()) {
    const status = ERROR_CODES[code].status;
    if (!byStatus.has(status)) byStatus.set(status, new Set());
    byStatus.get(status)!.add(code);
  }
  const responses: Record<string, unknown> = {};
  for (const status of [...byStatus.keys()].sort()) {
    responses[String(status)] = { description: `Error: ${[...byStatus.get(status)!].join(', ')}`, ...ref(ERROR_BODY_SCHEMA) };
  }
  responses['4xx'] = { description: 'Another client error (e.g. not_found, method_not_allowed)', ...ref(ERROR_BODY_SCHEMA) };
  responses['5xx'] = { description: 'Server error (internal_error; db_not_ready, service_unavailable: retry with backoff)', ...ref(ERROR_BODY_SCHEMA) };
  return responses;
}
