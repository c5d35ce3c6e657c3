import { SqlChatRepository } from './chat-repository.ts';
import { SqlDocumentRepository } from './document-repository.ts';
import { SqlMessageRepository } from './message-repository.ts';
import { SqlPrivacyRepository } from './privacy-repository.ts';
import { SqlTokenUsageRepository } from './token-usage-repository.ts';
import { SqlTokenRevocationRepository } from './token-revocation-repository.ts';
import type { StoreDialect } from './store-dialect.ts';
import { schemaIsCurrent } from './store-migrations.ts';
import type { DatabaseHealth, Store } from './store.ts';
import { SqlTenantRepository } from './tenant-repository.ts';

/** The Store over either dialect: repositories share one Kysely instance. */
export class SqlStore implements Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly tenants: SqlTenantRepository;
  readonly chats: SqlChatRepository;
  readonly messages: SqlMessageRepository;
  readonly documents: SqlDocumentRepository;
  readonly privacy: SqlPrivacyRepository;
  readonly tokenUsage: SqlTokenUsageRepository;
  readonly tokenRevocations: SqlTokenRevocationRepository;
  private closed: Promise<void> | null = null;

  constructor(private readonly database: StoreDialect) {
    this.dialect = database.name;
    this.tenants = new SqlTenantRepository(database.db);
    this.chats = new SqlChatRepository(database.db);
    this.messages = new SqlMessageRepository(database.db);
    this.documents = new SqlDocumentRepository(database.db);
    this.privacy = new SqlPrivacyRepository(database.db);
    this.tokenUsage = new SqlTokenUsageRepository(database.db);
    this.tokenRevocations = new SqlTokenRevocationRepository(database.db);
  }

  /**
   * Ready when the database answers and every migration of this build is applied. Checked on
   * each call (no caching), so readiness follows a database outage and its recovery.
   */
  async health(): Promise<DatabaseHealth> {
    if (this.closed) return { ready: false, code: 'db_not_ready', detail: 'store closed' };
    try {
      await this.database.ping();
    } catch (error) {
      return { ready: false, code: 'db_not_ready', detail: error instanceof Error ? error.message : String(error) };
    }
    if (!(await schemaIsCurrent(this.database))) {
      return { ready: false, code: 'schema_unavailable', detail: 'database migrations are not at the latest version' };
    }
    return { ready: true };
  }

  /** Closes the connection(s); safe to call more than once. */
  close(): Promise<void> {
    this.closed ??= this.database.close();
    return this.closed;
  }
}
