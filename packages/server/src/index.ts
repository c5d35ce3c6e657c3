/** Public API of @miptech/server: start a platform in-process (CLI, tests, benchmark). */
export { createPlatform, type Platform, type PlatformOverrides } from './app.ts';
export { ConfigError, loadConfig, type Env, type PlatformConfig } from './config.ts';
export { main, startFromEnv } from './main.ts';
export { createLogger, type Logger } from './logger.ts';
export { createTokenService, type TokenService, type VerifiedToken } from './auth/token-service.ts';
export { AppError, isAppError } from './errors.ts';
export type { AnswerEngine, AnswerPart, AnswerRequest } from './engines/answer-engine.ts';
export type { Store, TenantRecord, TenantSettings } from './store/store.ts';
export type { KnowledgeIndex } from './knowledge/knowledge-index.ts';
export type { ChatEventLog } from './events/chat-event-log.ts';
export type { RateLimiter } from './rate-limit/rate-limiter.ts';
export { openStore, type OpenedStore, type OpenStoreOptions } from './store/open-store.ts';
export { SCOPES, parseScopeClaim } from '@miptech/protocol';
export { ensureDefaultTenant } from './auth/ensure-default-tenant.ts';
