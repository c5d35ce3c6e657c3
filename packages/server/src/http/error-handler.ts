/**
 * The one place REST errors become responses: `{code, message, request_id}` with the status from
 * the protocol's table, plus `detail` for 422 and `retry_after` + Retry-After for 429/503.
 * Fastify's own errors (malformed JSON, oversized body, wrong content type, unknown route) are
 * mapped to stable codes; anything unexpected is logged and answered as internal_error. A known
 * path asked with a method it does not answer is 405 method_not_allowed with `Allow`. Schema
 * validation failures arrive here already as validation_error (request-validation.ts), except a
 * path parameter that cannot name anything: that is the route's not-found code. Every error
 * answer is counted in the metrics by code.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorBody, ErrorCode } from '@miptech/protocol';
import { AppError, isAppError } from '../base/errors.ts';
import { databaseUnavailableError } from '../store/database-unavailable.ts';
import { RouteMethods } from './route-methods.ts';
import type { PlatformMetrics } from '../observability/platform-metrics.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The code of a path parameter that fails its schema (an id that cannot exist): e.g. chat_not_found. @default not_found */
    notFoundCode?: ErrorCode;
  }
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_VALIDATION: 'validation_error',
};

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'invalid_json',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/** Any thrown value → AppError (a lost database → db_not_ready). Returns null for an unexpected (5xx) failure. */
export function toAppError(error: unknown, notFoundCode: ErrorCode = 'not_found'): AppError | null {
  const databaseUnavailable = databaseUnavailableError(error);
  if (databaseUnavailable) return databaseUnavailable;
  if ((error as { validationContext?: string } | null)?.validationContext === 'params') return new AppError(notFoundCode, undefined, { cause: error });
  if (isAppError(error)) return error;
  const fastifyError = error as Partial<FastifyError> | null;
  const mapped = fastifyError?.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (mapped) return new AppError(mapped, undefined, { cause: error });
  if (error instanceof SyntaxError) return new AppError('invalid_json', undefined, { cause: error });
  const status = fastifyError?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError(STATUS_CODES[status] ?? 'invalid_json', undefined, { cause: error });
  }
  return null;
}

export function sendError(reply: FastifyReply, request: FastifyRequest, error: AppError): FastifyReply {
  const body: ErrorBody = { code: error.code, message: error.message, request_id: String(request.id) };
  if (error.detail) body.detail = error.detail;
  if (error.retryAfter !== undefined || error.status === 429 || error.status === 503) {
    const seconds = error.retryAfter ?? 1;
    body.retry_after = seconds;
    void reply.header('retry-after', String(seconds));
  }
  return reply.status(error.status).send(body);
}

/** Call before the routes are registered (their methods are recorded as they are added). */
export function registerErrorHandling(app: FastifyInstance, metrics?: PlatformMetrics): void {
  const routes = new RouteMethods();
  const respond = (reply: FastifyReply, request: FastifyRequest, error: AppError) => {
    metrics?.errorReported('rest', error.code);
    return sendError(reply, request, error);
  };
  app.addHook('onRoute', (route) => routes.add(route.method, route.url));
  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error, request.routeOptions.config.notFoundCode);
    if (appError && appError !== error && appError.code === 'db_not_ready') request.log.warn({ err: error }, 'database unavailable');
    if (appError) return respond(reply, request, appError);
    request.log.error({ err: error }, 'unhandled error');
    return respond(reply, request, new AppError('internal_error'));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = routes.allowedFor(path);
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      void reply.header('allow', [...allowed, 'OPTIONS'].join(', '));
      return respond(reply, request, new AppError('method_not_allowed', `${request.method} is not allowed on ${path}`));
    }
    return respond(reply, request, new AppError('not_found', `No route for ${request.method} ${path}`));
  });
}
