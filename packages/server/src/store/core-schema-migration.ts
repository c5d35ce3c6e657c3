/**
 * Migration 0001: the relational schema shared by both dialects. Column types that must differ
 * (byte-wise sortable text, auto-increment keys) come from the dialect; the rest is portable SQL.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { StoreDialect } from './store-dialect.ts';

export function coreSchemaMigration(dialect: StoreDialect): Migration {
  const key = dialect.sortableText;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('tenants')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('publishable_key', 'text', (c) => c.notNull().unique())
        .addColumn('secret_key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('created_at', key, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('chats')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('tenant_id', key, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('session_id', 'text')
        .addColumn('visitor_id', 'text')
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('channel', 'text')
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
        .addColumn('context', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('seq_ceiling', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', key, (c) => c.notNull())
        .addColumn('updated_at', key, (c) => c.notNull())
        // NULL session ids never collide (SQL NULLs are distinct), so chats without one are free.
        .addUniqueConstraint('chats_tenant_session_unique', ['tenant_id', 'session_id'])
        // Target of the messages' composite foreign key: a message can only point at a chat of its own tenant.
        .addUniqueConstraint('chats_tenant_id_unique', ['tenant_id', 'id'])
        .addCheckConstraint('chats_status_check', sql`status in ('active', 'closed')`)
        .execute();

      await db.schema
        .createTable('messages')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('tenant_id', key, (c) => c.notNull())
        .addColumn('chat_id', key, (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('client_message_id', 'text')
        .addColumn('reply_to', key)
        .addColumn('sources', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('model', 'text')
        .addColumn('prompt_tokens', 'integer')
        .addColumn('completion_tokens', 'integer')
        .addColumn('response_time_ms', 'integer')
        .addColumn('lease_owner', 'text')
        .addColumn('lease_expires_at', key)
        .addColumn('created_at', key, (c) => c.notNull())
        .addColumn('completed_at', key)
        .addForeignKeyConstraint('messages_chat_fk', ['tenant_id', 'chat_id'], 'chats', ['tenant_id', 'id'], (fk) =>
          fk.onDelete('cascade'),
        )
        // The idempotency key of user messages; NULLs (assistant messages, clients without ids) never collide.
        .addUniqueConstraint('messages_client_id_unique', ['tenant_id', 'chat_id', 'client_message_id'])
        .addCheckConstraint('messages_role_check', sql`role in ('user', 'assistant')`)
        .addCheckConstraint(
          'messages_status_check',
          sql`status in ('complete', 'streaming', 'stopped', 'interrupted', 'error')`,
        )
        .execute();
      // Paging a chat's history: ids are time-sortable, so (chat, id) is (chat, creation time).
      await db.schema.createIndex('messages_chat_page_idx').on('messages').columns(['tenant_id', 'chat_id', 'id']).execute();
      await db.schema.createIndex('messages_reply_idx').on('messages').columns(['tenant_id', 'reply_to']).execute();
      // The lease sweeper's query: streaming messages whose lease ran out.
      await db.schema
        .createIndex('messages_lease_idx')
        .on('messages')
        .columns(['status', 'lease_expires_at'])
        .where(sql.ref('status'), '=', 'streaming')
        .execute();

      await db.schema
        .createTable('documents')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('tenant_id', key, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('external_id', 'text')
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('url', 'text')
        .addColumn('source_type', 'text', (c) => c.notNull())
        .addColumn('content_hash', 'text', (c) => c.notNull())
        .addColumn('chunk_count', 'integer', (c) => c.notNull().defaultTo(0))
        // The normalised text the chunks were made from, kept so re-indexing needs no original file.
        .addColumn('content', 'text')
        .addColumn('created_at', key, (c) => c.notNull())
        .addColumn('updated_at', key, (c) => c.notNull())
        .addUniqueConstraint('documents_tenant_external_unique', ['tenant_id', 'external_id'])
        .execute();
      await db.schema.createIndex('documents_tenant_created_idx').on('documents').columns(['tenant_id', 'created_at']).execute();

      const seq = dialect.autoIncrementKey;
      await db.schema
        .createTable('knowledge_chunks')
        .addColumn('seq', seq.type, (c) => (seq.sqliteAutoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('tenant_id', key, (c) => c.notNull())
        .addColumn('document_id', key, (c) => c.notNull())
        .addColumn('chunk_id', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('url', 'text')
        .addColumn('heading', 'text')
        .addColumn('text', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('knowledge_chunks_document_idx')
        .on('knowledge_chunks')
        .columns(['tenant_id', 'document_id', 'position'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['knowledge_chunks', 'documents', 'messages', 'chats', 'tenants']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}
