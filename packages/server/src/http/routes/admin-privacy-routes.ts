/**
 * The tenant admin API for visitor data and cost control, authenticated with the tenant's secret
 * key like the knowledge admin API (admin-knowledge-routes.ts): the key decides the tenant, so a
 * `sub` is always looked up within it and another tenant's visitor of the same sub is untouched.
 *
 *   DELETE /api/v1/admin/visitors/:sub          erase every record of the visitor; the receipt
 *   GET    /api/v1/admin/visitors/:sub/export   the visitor's chats, messages and token counts as JSON
 *   GET    /api/v1/admin/privacy-settings       retention and budget settings of the tenant
 *   PATCH  /api/v1/admin/privacy-settings       change them (null: back to the server default)
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AppError } from '../../base/errors.ts';
import { eraseVisitor } from '../../chat/visitor-erasure.ts';
import { exportVisitor } from '../../chat/visitor-export.ts';
import type { TenantRecord, TenantSettings } from '../../store/store.ts';
import type { PlatformServices } from '../../transport/platform-services.ts';
import { ERRORS, errorResponses } from '../schemas/resource-schemas.ts';
import { authenticate } from './admin-knowledge-routes.ts';

const ADMIN_SECURITY = [{ secretKey: [] }];
/** A JWT `sub` as the platform stores it (chats.visitor_id). */
const SUB_MAX_CHARS = 1024;

const VISITOR_PARAMS = {
  type: 'object',
  required: ['sub'],
  properties: { sub: { type: 'string', minLength: 1, maxLength: SUB_MAX_CHARS, description: "The visitor's `sub` (JWT subject)" } },
} as const;

const COUNT = { type: 'integer', minimum: 0 } as const;
const NOTED_COUNT = { type: 'object', required: ['entries', 'note'], properties: { entries: COUNT, note: { type: 'string' } } } as const;

const RECEIPT_SCHEMA = {
  description: 'What was deleted, per store',
  type: 'object',
  required: ['tenant_id', 'sub', 'erased_at', 'chat_ids', 'deleted'],
  properties: {
    tenant_id: { type: 'string' },
    sub: { type: 'string' },
    erased_at: { type: 'string', format: 'date-time' },
    chat_ids: { type: 'array', items: { type: 'string' } },
    deleted: {
      type: 'object',
      required: ['database', 'event_log', 'search_index', 'webhooks_queue'],
      properties: {
        database: { type: 'object', required: ['chats', 'messages', 'token_usage'], properties: { chats: COUNT, messages: COUNT, token_usage: COUNT } },
        event_log: {
          type: 'object',
          required: ['chats', 'entries', 'kind'],
          properties: {
            chats: COUNT,
            entries: { ...COUNT, description: 'Retained events (in-process) or Redis keys (redis) deleted' },
            kind: { type: 'string', enum: ['in-process', 'redis', 'none'] },
          },
        },
        search_index: NOTED_COUNT,
        webhooks_queue: NOTED_COUNT,
      },
    },
  },
} as const;

const nullable = (type: string) => ({ type: [type, 'null'] });

const EXPORT_SCHEMA = {
  description: "The visitor's data",
  type: 'object',
  required: ['tenant_id', 'sub', 'exported_at', 'chats', 'token_usage'],
  properties: {
    tenant_id: { type: 'string' },
    sub: { type: 'string' },
    exported_at: { type: 'string', format: 'date-time' },
    chats: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'session_id', 'title', 'channel', 'status', 'context', 'created_at', 'updated_at', 'messages'],
        properties: {
          id: { type: 'string' },
          session_id: nullable('string'),
          title: { type: 'string' },
          channel: nullable('string'),
          status: { type: 'string' },
          context: { type: 'object', additionalProperties: true },
          created_at: { type: 'string' },
          updated_at: { type: 'string' },
          messages: {
            type: 'array',
            items: {
              type: 'object',
              required: ['id', 'role', 'content', 'status', 'created_at'],
              properties: {
                id: { type: 'string' },
                role: { type: 'string', enum: ['user', 'assistant'] },
                content: { type: 'string' },
                status: { type: 'string' },
                client_message_id: nullable('string'),
                reply_to: nullable('string'),
                sources: { type: 'array', items: { type: 'object', additionalProperties: true } },
                model: nullable('string'),
                prompt_tokens: nullable('integer'),
                completion_tokens: nullable('integer'),
                response_time_ms: nullable('integer'),
                created_at: { type: 'string' },
                completed_at: nullable('string'),
              },
            },
          },
        },
      },
    },
    token_usage: {
      type: 'array',
      items: { type: 'object', required: ['day', 'tokens'], properties: { day: { type: 'string' }, tokens: COUNT } },
    },
  },
} as const;

const SETTING = (description: string, maximum: number) => ({ type: ['integer', 'null'], minimum: 0, maximum, description });

const PRIVACY_SETTINGS_PROPERTIES = {
  retention_days: SETTING('Chats with no activity for this many days are purged; null keeps them forever', 36_500),
  visitor_daily_token_budget: SETTING('Tokens one visitor may spend per UTC day; null: the server default; 0: unlimited', 1_000_000_000),
  tenant_daily_token_budget: SETTING('Tokens the tenant may spend per UTC day; null: the server default; 0: unlimited', 1_000_000_000_000),
  max_concurrent_model_calls: SETTING('Model calls of the tenant at once per node; null: the server default; 0: no cap', 100_000),
} as const;

const PRIVACY_SETTINGS_SCHEMA = {
  description: 'Retention and cost-control settings of the tenant',
  type: 'object',
  required: Object.keys(PRIVACY_SETTINGS_PROPERTIES),
  properties: PRIVACY_SETTINGS_PROPERTIES,
} as const;

interface PrivacySettingsBody {
  retention_days?: number | null;
  visitor_daily_token_budget?: number | null;
  tenant_daily_token_budget?: number | null;
  max_concurrent_model_calls?: number | null;
}

function privacySettings(settings: TenantSettings) {
  return {
    retention_days: settings.retentionDays === 0 ? null : (settings.retentionDays ?? null),
    visitor_daily_token_budget: settings.visitorDailyTokenBudget ?? null,
    tenant_daily_token_budget: settings.tenantDailyTokenBudget ?? null,
    max_concurrent_model_calls: settings.maxConcurrentModelCalls ?? null,
  };
}

const authenticatedTenants = new WeakMap<FastifyRequest, TenantRecord>();

function tenantOf(request: FastifyRequest): TenantRecord {
  const tenant = authenticatedTenants.get(request);
  if (!tenant) throw new AppError('auth_required');
  return tenant;
}

const adminPrivacyRoutes: FastifyPluginAsync<PlatformServices> = async (app, services) => {
  const { store } = services;

  // Encapsulated in this plugin: only the routes below run it.
  app.addHook('onRequest', async (request) => {
    authenticatedTenants.set(request, await authenticate(store, request));
  });

  app.delete<{ Params: { sub: string } }>(
    '/api/v1/admin/visitors/:sub',
    {
      schema: {
        tags: ['admin'],
        summary: "Erase one visitor's data (chats, messages, event log, token counts) and get a receipt",
        security: ADMIN_SECURITY,
        params: VISITOR_PARAMS,
        response: { 200: RECEIPT_SCHEMA, ...errorResponses(ERRORS.adminAuth) },
      },
    },
    async (request) => {
      const tenant = tenantOf(request);
      const receipt = await eraseVisitor({ store, eventLog: services.eventLog, chats: services.chats }, tenant.id, request.params.sub);
      request.log.info({ tenantId: tenant.id, chats: receipt.chat_ids.length, deleted: receipt.deleted.database }, 'visitor erased');
      return receipt;
    },
  );

  app.get<{ Params: { sub: string } }>(
    '/api/v1/admin/visitors/:sub/export',
    {
      schema: {
        tags: ['admin'],
        summary: "Export one visitor's data as JSON",
        security: ADMIN_SECURITY,
        params: VISITOR_PARAMS,
        response: { 200: EXPORT_SCHEMA, ...errorResponses(ERRORS.adminAuth) },
      },
    },
    async (request) => exportVisitor(store, tenantOf(request).id, request.params.sub),
  );

  app.get(
    '/api/v1/admin/privacy-settings',
    {
      schema: {
        tags: ['admin'],
        summary: 'Retention and cost-control settings of the tenant',
        security: ADMIN_SECURITY,
        response: { 200: PRIVACY_SETTINGS_SCHEMA, ...errorResponses(ERRORS.adminAuth) },
      },
    },
    async (request) => privacySettings(tenantOf(request).settings),
  );

  app.patch<{ Body: PrivacySettingsBody }>(
    '/api/v1/admin/privacy-settings',
    {
      schema: {
        tags: ['admin'],
        summary: 'Change retention and cost-control settings (a field left out keeps its value)',
        security: ADMIN_SECURITY,
        body: { type: 'object', additionalProperties: false, properties: PRIVACY_SETTINGS_PROPERTIES },
        response: { 200: PRIVACY_SETTINGS_SCHEMA, ...errorResponses(ERRORS.adminAuth, ERRORS.body) },
      },
    },
    async (request) => {
      const tenant = tenantOf(request);
      const body = request.body ?? {};
      const patch: Partial<TenantSettings> = {};
      if (body.retention_days !== undefined) patch.retentionDays = body.retention_days === 0 ? null : body.retention_days;
      if (body.visitor_daily_token_budget !== undefined) patch.visitorDailyTokenBudget = body.visitor_daily_token_budget;
      if (body.tenant_daily_token_budget !== undefined) patch.tenantDailyTokenBudget = body.tenant_daily_token_budget;
      if (body.max_concurrent_model_calls !== undefined) patch.maxConcurrentModelCalls = body.max_concurrent_model_calls;
      const updated = await store.tenants.updateSettings(tenant.id, patch);
      // Answers read the tenant through the directory's cache: the new limits apply from the next one.
      services.tenants.invalidate(tenant.id);
      return privacySettings(updated.settings);
    },
  );
};

export default adminPrivacyRoutes;
