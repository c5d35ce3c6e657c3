/**
 * Public API of @miptech/server, the platform as a library: createPlatform composes store, knowledge,
 * engines, backend, chat and transport. The deployable process (widget assets, demo pages, serve) is
 * @miptech/platform.
 */
export { createPlatform, type Platform, type PlatformOverrides } from './app.ts';
export { ConfigError, loadConfig, type Env, type PlatformConfig } from './base/config.ts';
export { ensureJwtSecret, requireJwtSecret, type ConfigWithJwtSecret } from './base/jwt-secret-file.ts';
export { DATA_DIR_VARIABLE, resolveDataDir } from './base/data-directory.ts';
export { parseDatabaseUrl, type DatabaseLocation } from './base/database-url.ts';
export { createLogger, type Logger } from './base/logger.ts';
export { createTokenService, type TokenService, type VerifiedToken } from './auth/token-service.ts';
export { AppError, isAppError } from './base/errors.ts';
export { systemClock, type Clock, type ClockTimer } from './base/clock.ts';
export { isDatabaseUnavailable } from './store/database-unavailable.ts';
export type { AnswerEngine, AnswerPart, AnswerRequest } from './engines/answer-engine.ts';
export type { Store, TenantRecord, TenantSettings, CreatedTenant, MessageRepository } from './store/store.ts';
export type { KnowledgeIndex } from './store/knowledge-index.ts';
export type { ChatEvent, ChatEventLog, ChatEventOf, NewChatEvent, ReplayResult } from './backend/events/chat-event-log.ts';
export type { RateLimiter } from './backend/rate-limit/rate-limiter.ts';
export { openStore, type OpenedStore, type OpenStoreOptions } from './store/open-store.ts';
export { SCOPES, parseScopeClaim } from '@miptech/protocol';
export { ensureDefaultTenant } from './auth/ensure-default-tenant.ts';
export { ingestDocument, type IngestDocumentInput, type IngestResult } from './knowledge/ingest-document.ts';
export { removeDocument } from './knowledge/remove-document.ts';
export { reindexDocuments, type ReindexResult } from './knowledge/reindex-documents.ts';
export { crawlSite, type CrawlSiteOptions, type CrawlResult, type CrawlPageEvent } from './knowledge/crawl-site.ts';
export { formatFromName, DOCUMENT_FORMATS } from './knowledge/parse-document.ts';
export type { DocumentRecord, DocumentSourceType } from './store/store.ts';
