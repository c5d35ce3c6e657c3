import type { Kysely } from 'kysely';
import { tenantNotFoundOnForeignKey } from './constraint-violation.ts';
import type { DocumentsTable, StoreDatabase } from './database-schema.ts';
import { newId } from './ids.ts';
import type { DocumentRecord, DocumentRepository, UpsertDocumentInput } from './store.ts';

/** Every column but `content`, which can be large and is read on its own by getContent(). */
const DOCUMENT_COLUMNS = [
  'id',
  'tenant_id',
  'external_id',
  'title',
  'url',
  'source_type',
  'content_hash',
  'chunk_count',
  'created_at',
  'updated_at',
] as const;

type DocumentRow = Pick<DocumentsTable, (typeof DOCUMENT_COLUMNS)[number]>;

function toDocument(row: DocumentRow): DocumentRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    externalId: row.external_id,
    title: row.title,
    url: row.url,
    sourceType: row.source_type,
    contentHash: row.content_hash,
    chunkCount: Number(row.chunk_count),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Knowledge-base documents of each tenant (their chunks live in the KnowledgeIndex). */
export class SqlDocumentRepository implements DocumentRepository {
  constructor(private readonly db: Kysely<StoreDatabase>) {}

  async upsert(tenantId: string, input: UpsertDocumentInput): Promise<{ document: DocumentRecord; changed: boolean }> {
    const now = new Date().toISOString();
    // One statement: insert, or update the row with the same external id only when the content
    // hash differs. No row back means the stored document already has this content.
    const written = await this.db
      .insertInto('documents')
      .values({
        id: newId('doc'),
        tenant_id: tenantId,
        external_id: input.externalId,
        title: input.title,
        url: input.url,
        source_type: input.sourceType,
        content_hash: input.contentHash,
        chunk_count: input.chunkCount,
        content: input.content ?? null,
        created_at: now,
        updated_at: now,
      })
      .onConflict((conflict) =>
        conflict
          .columns(['tenant_id', 'external_id'])
          .doUpdateSet((eb) => ({
            title: eb.ref('excluded.title'),
            url: eb.ref('excluded.url'),
            source_type: eb.ref('excluded.source_type'),
            content_hash: eb.ref('excluded.content_hash'),
            chunk_count: eb.ref('excluded.chunk_count'),
            content: eb.ref('excluded.content'),
            updated_at: eb.ref('excluded.updated_at'),
          }))
          .where('documents.content_hash', '<>', (eb) => eb.ref('excluded.content_hash')),
      )
      .returning(DOCUMENT_COLUMNS)
      .executeTakeFirst()
      .catch(tenantNotFoundOnForeignKey);
    if (written) return { document: toDocument(written), changed: true };
    // externalId is set here: a NULL external id never conflicts, so it always inserts.
    const stored = await this.findByExternalId(tenantId, input.externalId ?? '');
    if (!stored) throw new Error('document upsert returned no row and none is stored');
    return { document: stored, changed: false };
  }

  async get(tenantId: string, documentId: string): Promise<DocumentRecord | null> {
    const row = await this.db
      .selectFrom('documents')
      .select(DOCUMENT_COLUMNS)
      .where('tenant_id', '=', tenantId)
      .where('id', '=', documentId)
      .executeTakeFirst();
    return row ? toDocument(row) : null;
  }

  async findByExternalId(tenantId: string, externalId: string): Promise<DocumentRecord | null> {
    const row = await this.db
      .selectFrom('documents')
      .select(DOCUMENT_COLUMNS)
      .where('tenant_id', '=', tenantId)
      .where('external_id', '=', externalId)
      .executeTakeFirst();
    return row ? toDocument(row) : null;
  }

  async list(tenantId: string, options: { limit: number; offset: number }): Promise<{ items: DocumentRecord[]; total: number }> {
    const [rows, count] = await Promise.all([
      this.db
        .selectFrom('documents')
        .select(DOCUMENT_COLUMNS)
        .where('tenant_id', '=', tenantId)
        .orderBy('created_at')
        .orderBy('id')
        .limit(Math.max(0, Math.floor(options.limit)))
        .offset(Math.max(0, Math.floor(options.offset)))
        .execute(),
      this.db
        .selectFrom('documents')
        .select((eb) => eb.fn.countAll().as('total'))
        .where('tenant_id', '=', tenantId)
        .executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map(toDocument), total: Number(count.total) };
  }

  async getContent(tenantId: string, documentId: string): Promise<string | null> {
    const row = await this.db
      .selectFrom('documents')
      .select('content')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', documentId)
      .executeTakeFirst();
    return row?.content ?? null;
  }

  /** Also drops the document's indexed chunks, so a caller that forgets the index leaves no orphans. */
  async remove(tenantId: string, documentId: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('knowledge_chunks')
        .where('tenant_id', '=', tenantId)
        .where('document_id', '=', documentId)
        .execute();
      const result = await trx
        .deleteFrom('documents')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', documentId)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }
}
