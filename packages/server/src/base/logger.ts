/**
 * The platform logger (pino). Credentials never reach a log line: Authorization, cookies, API
 * keys and any `token`-like field are redacted, and URLs are logged with sensitive query values
 * masked — a token a client wrongly put in a URL is neither accepted nor written down.
 */
import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.ts';

export type { Logger } from 'pino';

const SENSITIVE_QUERY_KEYS = /^(token|access_token|accesstoken|jwt|auth|authorization|api_key|apikey|key|secret|password)$/i;

/** Masks the values of credential-like query parameters (`?token=abc` → `?token=[REDACTED]`). */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  const query = url
    .slice(queryStart + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = eq === -1 ? pair : pair.slice(0, eq);
      let decoded = key;
      try {
        decoded = decodeURIComponent(key);
      } catch {
        // keep the raw key
      }
      return SENSITIVE_QUERY_KEYS.test(decoded) ? `${key}=[REDACTED]` : pair;
    })
    .join('&');
  return `${url.slice(0, queryStart)}?${query}`;
}

const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  'token',
  '*.token',
  'previous_token',
  '*.previous_token',
  'publishable_key',
  '*.publishable_key',
  'secret',
  '*.secret',
  'secretKey',
  '*.secretKey',
  'jwtSecret',
  '*.jwtSecret',
  'apiKey',
  '*.apiKey',
  'llmApiKey',
  '*.llmApiKey',
];

interface RequestLike {
  method?: string;
  url?: string;
  id?: string;
  ip?: string;
  headers?: Record<string, unknown>;
}

/** Creates the root logger. `destination` is for tests that capture output. */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      serializers: {
        req(request: RequestLike) {
          return {
            id: request.id,
            method: request.method,
            url: request.url === undefined ? undefined : redactUrl(request.url),
            remoteAddress: request.ip,
            origin: request.headers?.origin,
          };
        },
      },
    },
    destination,
  );
}
