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
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
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

const STATUS_ERROR_CODES: Record<number, ErrorCode> = {
  400: 'invalid_json',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  414: 'uri_too_long',
  431: 'headers_too_large',
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
    return new AppError(STATUS_ERROR_CODES[status] ?? 'invalid_json', undefined, { cause: error });
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

/**
 * Fastify's `frameworkErrors`: errors its router raises before any route or hook runs — a path
 * parameter longer than the router's maxParamLength (414) or a URL that cannot be decoded — get
 * the typed error body too instead of Fastify's own.
 */
export function frameworkErrorHandler(metrics?: PlatformMetrics) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const code: ErrorCode = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'uri_too_long' : error.code === 'FST_ERR_BAD_URL' ? 'not_found' : 'bad_request';
    metrics?.errorReported('rest', code);
    void sendError(reply, request, new AppError(code));
  };
}

/**
 * Fastify's `clientErrorHandler`: Node's HTTP parser failed (malformed request, headers too large)
 * or the request did not arrive within HTTP_REQUEST_TIMEOUT_MS / HTTP_HEADERS_TIMEOUT_MS. No
 * request object exists, so the typed body is written on the socket, which is then closed.
 */
export function clientErrorHandler(metrics?: PlatformMetrics) {
  return (error: Error & { code?: string }, socket: Duplex): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const code: ErrorCode =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'request_timeout' : error.code === 'HPE_HEADER_OVERFLOW' ? 'headers_too_large' : error.code === 'HPE_URI_TOO_LONG' ? 'uri_too_long' : 'bad_request';
    metrics?.errorReported('rest', code);
    if (socket.writable) {
      const appError = new AppError(code);
      const body = JSON.stringify({ code, message: appError.message, request_id: randomUUID() } satisfies ErrorBody);
      socket.write(
        `HTTP/1.1 ${appError.status} ${STATUS_CODES[appError.status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}

/** The request's own connection was closed by the client before its body arrived. */
function isClientAbort(error: unknown, request: FastifyRequest): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (code === 'ECONNRESET' || code === 'ECONNABORTED' || code === 'ERR_STREAM_PREMATURE_CLOSE') && (request.raw.aborted || request.raw.socket.destroyed);
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
    // A client that hung up mid-body surfaces as a connection reset, which for a database driver
    // would mean "database unavailable": it is neither that nor a server error, and nobody is
    // left to answer.
    if (isClientAbort(error, request)) {
      request.log.debug({ err: error }, 'client aborted the request');
      metrics?.errorReported('rest', 'bad_request');
      return reply.status(400).send();
    }
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
