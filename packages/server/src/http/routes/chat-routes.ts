/**
 * The chat REST API (guide §3): idempotent chat creation per (tenant, session_id), reading a chat
 * and its paged history, posting a user message (the guide-era widget sends messages over REST;
 * the answer streams over the WebSocket exactly as for a WebSocket message), and the widget's
 * public configuration. Another tenant's or another visitor's chat is always 404 chat_not_found.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { MAX_MESSAGE_CHARS, SCOPES, type Page, type MessageResource, type WidgetConfig } from '@miptech/protocol';
import { anonymousVisitorId, requireScope, type Principal } from '../../auth/principal.ts';
import { toChatResource, toMessageResource } from '../../chat/wire-resources.ts';
import { AppError } from '../../base/errors.ts';
import { enforceChatCreationLimit } from '../../backend/rate-limit/enforce-chat-creation-limit.ts';
import { enforceRateLimit } from '../../backend/rate-limit/enforce-rate-limit.ts';
import type { TenantRecord } from '../../store/store.ts';
import { InputReader } from '../input-reader.ts';
import type { PlatformServices } from '../../transport/platform-services.ts';
import { authenticateRequest, requestSessionId, requireRequestTenant } from '../../transport/request-identity.ts';
import { setSessionCookie } from '../../transport/visitor-session-cookie.ts';

const MINUTE = 60_000;
const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const SESSION_ID = { maxLength: 128, pattern: /^[\x21-\x7e]+$/, patternMessage: 'Must be printable ASCII without spaces' };

interface ChatParams {
  id: string;
}

const chatRoutes: FastifyPluginAsync<PlatformServices> = async (app, services) => {
  /** Tenant + rate limit + principal: the common start of every chat route. */
  async function begin(request: FastifyRequest): Promise<{ tenant: TenantRecord; principal: Principal }> {
    const tenant = await requireRequestTenant(services, request);
    await enforceRateLimit(services.rateLimiter, `rest:${tenant.id}:${request.ip}`, tenant.settings.rateLimits.requestsPerMinute, MINUTE);
    const principal = await authenticateRequest(services, request, tenant);
    return { tenant, principal };
  }

  function chatIdParam(request: FastifyRequest<{ Params: ChatParams }>): string {
    const id = request.params.id;
    if (!ID_PATTERN.test(id)) throw new AppError('chat_not_found');
    return id;
  }

  app.post('/api/v1/chat', async (request, reply) => {
    const { tenant, principal: requester } = await begin(request);
    let principal = requester;
    const body = new InputReader(request.body ?? {}, 'body');
    let sessionId = body.optionalString('session_id', SESSION_ID);
    body.optionalString('visitor_id', { maxLength: 128 });
    body.optionalString('tenant_id', { maxLength: 64 });
    const title = body.optionalString('title', { maxLength: 200 });
    const channel = body.optionalString('channel', { maxLength: 64 });
    const context = body.optionalObject('context', { maxJsonBytes: 8192 });
    body.finish();
    requireScope(principal, SCOPES.chatCreate);
    if (principal.kind === 'anonymous') {
      // An anonymous chat is reachable only through its session id: never create one without.
      const fromRequest = requestSessionId(request, tenant.id);
      sessionId ??= fromRequest && SESSION_ID.pattern.test(fromRequest) && fromRequest.length <= SESSION_ID.maxLength ? fromRequest : randomUUID();
      principal = { ...principal, subject: anonymousVisitorId(tenant.id, sessionId) };
    }
    const { chat, created } = await services.chats.createChat(
      principal,
      { sessionId, title: title ?? undefined, channel: channel ?? 'rest', context: context ?? undefined },
      { beforeCreate: () => enforceChatCreationLimit(services, tenant, request.ip) },
    );
    // The session id reaches the WebSocket handshake as a cookie (the guide-era widget joins with a chat id only).
    if (principal.kind === 'anonymous' && chat.sessionId) setSessionCookie(reply, request, tenant.id, chat.sessionId);
    return reply.status(created ? 201 : 200).send(toChatResource(chat));
  });

  app.get('/api/v1/chat/config', async (request) => {
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
  });

  app.get<{ Params: ChatParams }>('/api/v1/chat/:id', async (request) => {
    const chatId = chatIdParam(request);
    const { principal } = await begin(request);
    requireScope(principal, SCOPES.chatSend, SCOPES.chatCreate);
    return toChatResource(await services.chats.getChat(principal, chatId));
  });

  app.get<{ Params: ChatParams }>('/api/v1/chat/:id/messages', async (request) => {
    const chatId = chatIdParam(request);
    const { tenant, principal } = await begin(request);
    const query = new InputReader(request.query, 'query');
    const limit = query.optionalInteger('limit', 1, 200) ?? 50;
    const before = query.optionalString('before', { maxLength: 128, pattern: ID_PATTERN });
    query.finish();
    requireScope(principal, SCOPES.chatSend, SCOPES.chatCreate);
    const chat = await services.chats.getChat(principal, chatId);
    await services.chats.answersStored(tenant.id, chat.id);
    const { items, hasMore } = await services.store.messages.list(tenant.id, chat.id, { limit, before });
    const page: Page<MessageResource> = {
      items: items.map(toMessageResource),
      has_more: hasMore,
      next_cursor: hasMore && items.length > 0 ? items[0]!.id : null,
    };
    return page;
  });

  app.post<{ Params: ChatParams }>('/api/v1/chat/:id/messages', async (request, reply) => {
    const chatId = chatIdParam(request);
    const { tenant, principal } = await begin(request);
    const body = new InputReader(request.body, 'body', { required: true });
    const content = body.requiredString('content', { maxLength: MAX_MESSAGE_CHARS });
    body.optionalEnum('role', ['user']);
    const clientMessageId =
      body.optionalString('client_message_id', { maxLength: 128 }) ?? body.optionalString('message_id', { maxLength: 128 });
    body.finish();
    if (content.trim() === '') throw new AppError('validation_error', 'content is empty', { detail: [{ loc: ['body', 'content'], msg: 'Must not be blank' }] });
    requireScope(principal, SCOPES.chatSend);
    const chat = await services.chats.getChat(principal, chatId);
    const { message, duplicate } = await services.chats.submitUserMessage(tenant, chat, {
      text: content,
      clientMessageId,
      rateLimitKey: principal.subject ?? `ip:${request.ip}`,
    });
    return reply.status(duplicate ? 200 : 201).send({ ...toMessageResource(message), duplicate });
  });
};

export default chatRoutes;
