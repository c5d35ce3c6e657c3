/**
 * The chat REST API (guide §3): idempotent chat creation per (tenant, session_id), reading a chat
 * and its paged history, posting a user message (the guide-era widget sends messages over REST;
 * the answer streams over the WebSocket exactly as for a WebSocket message), and the widget's
 * public configuration. Another tenant's or another visitor's chat is always 404 chat_not_found.
 *
 * Requests are validated by Fastify against the schemas below (the same schemas make the OpenAPI
 * document); tenant, rate limit and credentials are checked first, in preValidation, so a request
 * without valid credentials learns that before anything about its body.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { SCOPES, type Page, type MessageResource, type WidgetConfig } from '@miptech/protocol';
import { anonymousVisitorId, requireScope, type Principal } from '../../auth/principal.ts';
import { toChatResource, toMessageResource } from '../../chat/wire-resources.ts';
import { withStreamingText } from '../../chat/streaming-answer-text.ts';
import { enforceChatCreationLimit } from '../../backend/rate-limit/enforce-chat-creation-limit.ts';
import { enforceRateLimit } from '../../backend/rate-limit/enforce-rate-limit.ts';
import type { TenantRecord } from '../../store/store.ts';
import type { PlatformServices } from '../../transport/platform-services.ts';
import { authenticateRequest, requestSessionId, requireRequestTenant } from '../../transport/request-identity.ts';
import { setSessionCookie } from '../../transport/visitor-session-cookie.ts';
import { checkJsonObject } from '../json-object-limits.ts';
import { presentString } from '../present-string.ts';
import { FIELD_LIMITS, ID_PATTERN, SESSION_ID_PATTERN } from '../schemas/field-limits.ts';
import { CHAT_RESOURCE_SCHEMA, ERRORS, MESSAGE_RESOURCE_SCHEMA, errorResponses, ref } from '../schemas/resource-schemas.ts';

const MINUTE = 60_000;
const SESSION_ID = new RegExp(SESSION_ID_PATTERN);

const optionalString = (maxLength: number, description?: string) => ({ type: ['string', 'null'], maxLength, ...(description ? { description } : {}) });

/** The tenant headers deployed clients send (any one; X-Tenant-ID is the guide's). */
const TENANT_HEADERS = {
  type: 'object',
  properties: {
    'x-tenant-id': { type: 'string', description: 'The tenant (guide §2); X-Tenant and Tenant-ID are accepted too, or tenant_id in the body or query.' },
    'x-session-id': { type: 'string', description: "An anonymous visitor's session id (tenants with the anonymous widget policy)." },
  },
} as const;

const CHAT_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: FIELD_LIMITS.idChars, pattern: ID_PATTERN, description: 'The chat id' } },
} as const;

/** Visitor JWT, or none for a tenant with the anonymous widget policy (from an allowed Origin, with a session id). */
const WIDGET_SECURITY: Array<Record<string, string[]>> = [{ visitorToken: [] }, {}];

const CREATE_CHAT_BODY = {
  type: ['object', 'null'],
  properties: {
    session_id: {
      type: ['string', 'null'],
      maxLength: FIELD_LIMITS.sessionIdChars,
      pattern: SESSION_ID_PATTERN,
      'x-pattern-message': 'Must be printable ASCII without spaces',
      description: "The visitor's session (kept in localStorage): the same session_id gets the same chat back (200) instead of a new one (201).",
    },
    title: optionalString(FIELD_LIMITS.chatTitleChars),
    tenant_id: optionalString(FIELD_LIMITS.tenantIdChars, 'The tenant, when no tenant header is sent.'),
    visitor_id: optionalString(FIELD_LIMITS.visitorIdChars, 'Accepted for older clients and ignored: the visitor is the token\'s subject.'),
    channel: optionalString(FIELD_LIMITS.channelChars),
    context: {
      type: ['object', 'null'],
      description: `Free-form page context, at most ${FIELD_LIMITS.contextJsonBytes} bytes as JSON and ${FIELD_LIMITS.jsonDepth} levels deep.`,
    },
  },
} as const;

const POST_MESSAGE_BODY = {
  type: 'object',
  required: ['content'],
  properties: {
    content: { type: 'string', minLength: 1, maxLength: FIELD_LIMITS.messageChars, pattern: '\\S', 'x-pattern-message': 'Must not be blank' },
    role: { type: ['string', 'null'], enum: ['user', null], description: 'Only user messages can be posted.' },
    client_message_id: optionalString(FIELD_LIMITS.idChars, "The client's id of the message: sending it again returns the stored message (duplicate: true), never a second one."),
    message_id: optionalString(FIELD_LIMITS.idChars, 'Older name of client_message_id.'),
  },
} as const;

const HISTORY_QUERY = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: FIELD_LIMITS.historyPageMax, default: FIELD_LIMITS.historyPageDefault },
    before: { type: 'string', maxLength: FIELD_LIMITS.idChars, pattern: '^[A-Za-z0-9_-]*$', description: 'A message id (next_cursor of the previous page): the page of messages before it.' },
  },
} as const;

const WIDGET_CONFIG_SCHEMA = {
  type: 'object',
  required: ['tenant_id', 'assistant_name', 'greeting', 'primary_color', 'position', 'language', 'anonymous_widget'],
  properties: {
    tenant_id: { type: 'string' },
    assistant_name: { type: 'string' },
    greeting: { type: 'string' },
    primary_color: { type: 'string' },
    position: { type: 'string', enum: ['bottom-right', 'bottom-left'] },
    language: { type: 'string' },
    anonymous_widget: { type: 'boolean', description: 'Whether visitors may chat without a token (from an allowed Origin).' },
  },
} as const;

const MESSAGE_PAGE_SCHEMA = {
  type: 'object',
  required: ['items', 'has_more', 'next_cursor'],
  properties: {
    items: { type: 'array', items: ref(MESSAGE_RESOURCE_SCHEMA), description: 'Oldest first.' },
    has_more: { type: 'boolean' },
    next_cursor: { type: ['string', 'null'], description: 'Pass as `before` for the older page.' },
  },
} as const;

const POSTED_MESSAGE_SCHEMA = {
  type: 'object',
  required: [...MESSAGE_RESOURCE_SCHEMA.required, 'duplicate'],
  properties: {
    ...MESSAGE_RESOURCE_SCHEMA.properties,
    duplicate: { type: 'boolean', description: 'true when this client_message_id was already stored (nothing new was sent).' },
  },
} as const;

interface ChatParams {
  id: string;
}

interface CreateChatBody {
  session_id?: string | null;
  title?: string | null;
  channel?: string | null;
  context?: Record<string, unknown> | null;
}

interface PostMessageBody {
  content: string;
  client_message_id?: string | null;
  message_id?: string | null;
}

/** Who asked, for which tenant (set by the routes' preValidation hook). */
const identities = new WeakMap<FastifyRequest, { tenant: TenantRecord; principal: Principal }>();

function identityOf(request: FastifyRequest): { tenant: TenantRecord; principal: Principal } {
  const identity = identities.get(request);
  if (!identity) throw new Error('chat route without its preValidation hook');
  return identity;
}

const chatRoutes: FastifyPluginAsync<PlatformServices> = async (app, services) => {
  /** Tenant + rate limit + principal: the common start of every chat route. */
  async function begin(request: FastifyRequest): Promise<void> {
    const tenant = await requireRequestTenant(services, request);
    await enforceRateLimit(services.rateLimiter, `rest:${tenant.id}:${request.ip}`, tenant.settings.rateLimits.requestsPerMinute, MINUTE);
    const principal = await authenticateRequest(services, request, tenant);
    identities.set(request, { tenant, principal });
  }

  app.post<{ Body: CreateChatBody | null }>(
    '/api/v1/chat',
    {
      schema: {
        tags: ['chat'],
        summary: 'Create a chat, or get the visitor’s chat of this session_id back',
        description: 'Idempotent per (tenant, session_id): 201 with a new chat, 200 with the existing one. An anonymous visitor without session_id gets a new session (also set as a cookie for the WebSocket handshake).',
        security: WIDGET_SECURITY,
        headers: TENANT_HEADERS,
        body: CREATE_CHAT_BODY,
        response: {
          201: { description: 'A new chat', ...ref(CHAT_RESOURCE_SCHEMA) },
          200: { description: 'The chat of this session_id, created before', ...ref(CHAT_RESOURCE_SCHEMA) },
          ...errorResponses(ERRORS.tenant, ERRORS.visitorAuth, 'session_conflict', ERRORS.body, ERRORS.availability),
        },
      },
      preValidation: begin,
    },
    async (request, reply) => {
      const { tenant, principal: requester } = identityOf(request);
      let principal = requester;
      const body = request.body ?? {};
      checkJsonObject(body.context, ['body', 'context'], FIELD_LIMITS.contextJsonBytes);
      let sessionId = presentString(body.session_id);
      requireScope(principal, SCOPES.chatCreate);
      if (principal.kind === 'anonymous') {
        // An anonymous chat is reachable only through its session id: never create one without.
        const fromRequest = requestSessionId(request, tenant.id);
        sessionId ??= fromRequest && SESSION_ID.test(fromRequest) && fromRequest.length <= FIELD_LIMITS.sessionIdChars ? fromRequest : randomUUID();
        principal = { ...principal, subject: anonymousVisitorId(tenant.id, sessionId) };
      }
      const { chat, created } = await services.chats.createChat(
        principal,
        { sessionId, title: presentString(body.title) ?? undefined, channel: presentString(body.channel) ?? 'rest', context: body.context ?? undefined },
        { beforeCreate: () => enforceChatCreationLimit(services, tenant, request.ip) },
      );
      // The session id reaches the WebSocket handshake as a cookie (the guide-era widget joins with a chat id only).
      if (principal.kind === 'anonymous' && chat.sessionId) setSessionCookie(reply, request, tenant.id, chat.sessionId);
      return reply.status(created ? 201 : 200).send(toChatResource(chat));
    },
  );

  app.get<{ Querystring: { tenant_id?: string } }>(
    '/api/v1/chat/config',
    {
      schema: {
        tags: ['chat'],
        summary: 'The widget’s public configuration of a tenant (no token needed)',
        headers: TENANT_HEADERS,
        querystring: { type: 'object', properties: { tenant_id: { type: 'string', maxLength: FIELD_LIMITS.tenantIdChars, description: 'The tenant, when no tenant header is sent.' } } },
        response: { 200: { description: 'The widget configuration', ...WIDGET_CONFIG_SCHEMA }, ...errorResponses(ERRORS.tenant, 'db_not_ready') },
      },
    },
    async (request) => {
      const tenant = await requireRequestTenant(services, request);
      const settings = tenant.settings;
      const config: WidgetConfig = {
        tenant_id: tenant.id,
        assistant_name: settings.assistantName,
        greeting: settings.greeting,
        primary_color: settings.primaryColor,
        position: settings.position,
        language: settings.language,
        anonymous_widget: settings.anonymousWidget,
      };
      return config;
    },
  );

  app.get<{ Params: ChatParams }>(
    '/api/v1/chat/:id',
    {
      schema: {
        tags: ['chat'],
        summary: 'A chat of the visitor',
        security: WIDGET_SECURITY,
        headers: TENANT_HEADERS,
        params: CHAT_PARAMS,
        response: { 200: { description: 'The chat', ...ref(CHAT_RESOURCE_SCHEMA) }, ...errorResponses(ERRORS.tenant, ERRORS.visitorAuth, 'chat_not_found', ERRORS.availability) },
      },
      config: { notFoundCode: 'chat_not_found' },
      preValidation: begin,
    },
    async (request) => {
      const { principal } = identityOf(request);
      requireScope(principal, SCOPES.chatSend, SCOPES.chatCreate);
      return toChatResource(await services.chats.getChat(principal, request.params.id));
    },
  );

  app.get<{ Params: ChatParams; Querystring: { limit: number; before?: string } }>(
    '/api/v1/chat/:id/messages',
    {
      schema: {
        tags: ['chat'],
        summary: 'A page of the chat’s history, newest page first',
        description: 'Answers still being stored when their end was published are waited for, so a client reading right after response_complete finds them.',
        security: WIDGET_SECURITY,
        headers: TENANT_HEADERS,
        params: CHAT_PARAMS,
        querystring: HISTORY_QUERY,
        response: { 200: { description: 'A page of messages', ...MESSAGE_PAGE_SCHEMA }, ...errorResponses(ERRORS.tenant, ERRORS.visitorAuth, 'chat_not_found', 'validation_error', ERRORS.availability) },
      },
      config: { notFoundCode: 'chat_not_found' },
      preValidation: begin,
    },
    async (request) => {
      const { tenant, principal } = identityOf(request);
      requireScope(principal, SCOPES.chatSend, SCOPES.chatCreate);
      const chat = await services.chats.getChat(principal, request.params.id);
      await services.chats.answersStored(tenant.id, chat.id);
      const { items, hasMore } = await services.store.messages.list(tenant.id, chat.id, { limit: request.query.limit, before: presentString(request.query.before) });
      const page: Page<MessageResource> = {
        items: await withStreamingText(services, tenant.id, chat.id, items.map(toMessageResource)),
        has_more: hasMore,
        next_cursor: hasMore && items.length > 0 ? items[0]!.id : null,
      };
      return page;
    },
  );

  app.post<{ Params: ChatParams; Body: PostMessageBody }>(
    '/api/v1/chat/:id/messages',
    {
      schema: {
        tags: ['chat'],
        summary: 'Post a user message; the answer streams over the WebSocket',
        description: 'The message is announced (message_received) and answered on the chat’s WebSocket exactly as one sent over the socket. Idempotent per client_message_id.',
        security: WIDGET_SECURITY,
        headers: TENANT_HEADERS,
        params: CHAT_PARAMS,
        body: POST_MESSAGE_BODY,
        response: {
          201: { description: 'The stored message', ...POSTED_MESSAGE_SCHEMA },
          200: { description: 'The message of this client_message_id, stored before', ...POSTED_MESSAGE_SCHEMA },
          ...errorResponses(ERRORS.tenant, ERRORS.visitorAuth, 'chat_not_found', ERRORS.body, ERRORS.availability, 'budget_exceeded'),
        },
      },
      config: { notFoundCode: 'chat_not_found' },
      preValidation: begin,
    },
    async (request, reply) => {
      const { tenant, principal } = identityOf(request);
      const body = request.body;
      requireScope(principal, SCOPES.chatSend);
      const chat = await services.chats.getChat(principal, request.params.id);
      // A spent daily token budget answers 429 budget_exceeded (Retry-After: to the next UTC day) before the message is stored.
      await services.chats.checkBudget(tenant, chat);
      const { message, duplicate } = await services.chats.submitUserMessage(tenant, chat, {
        text: body.content,
        clientMessageId: presentString(body.client_message_id) ?? presentString(body.message_id),
        rateLimitKey: principal.subject ?? `ip:${request.ip}`,
      });
      return reply.status(duplicate ? 200 : 201).send({ ...toMessageResource(message), duplicate });
    },
  );
};

export default chatRoutes;
