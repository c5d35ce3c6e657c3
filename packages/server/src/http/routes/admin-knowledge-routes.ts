/**
 * The tenant admin API for the knowledge base, authenticated with the tenant's secret key
 * (`Authorization: Bearer sk_…`). The key decides the tenant: there is no tenant parameter to
 * get wrong, so one tenant's key can never reach another tenant's documents. Browser keys
 * (`pk_…`) and JWTs are refused — the secret key never belongs in a web page.
 *
 *   POST   /api/v1/admin/documents        add or replace {title?, content, format, url?, external_id?}
 *   GET    /api/v1/admin/documents        list (?limit, ?offset)
 *   GET    /api/v1/admin/documents/:id    one document, with its stored text
 *   DELETE /api/v1/admin/documents/:id    remove it and its chunks
 *   POST   /api/v1/admin/reindex          rebuild the tenant's index from the stored texts
 *   GET    /api/v1/admin/search?q=…       what retrieval returns for a question
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AppError } from '../../base/errors.ts';
import type { KnowledgeIndex } from '../../store/knowledge-index.ts';
import { DOCUMENT_FORMATS } from '../../knowledge/parse-document.ts';
import { ingestDocument } from '../../knowledge/ingest-document.ts';
import { reindexDocuments } from '../../knowledge/reindex-documents.ts';
import { removeDocument } from '../../knowledge/remove-document.ts';
import type { DocumentRecord, Store, TenantRecord } from '../../store/store.ts';
import { InputReader } from '../input-reader.ts';

export interface AdminKnowledgeRoutesOptions {
  store: Store;
  knowledge: KnowledgeIndex;
  /** Largest document upload (the JSON body, base64 PDFs included). @default 10 MiB */
  maxDocumentBytes?: number;
}

const DEFAULT_MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;

/** The wire shape of a document (snake_case, as every REST answer of the platform). */
function documentBody(document: DocumentRecord) {
  return {
    id: document.id,
    external_id: document.externalId,
    title: document.title,
    url: document.url,
    format: document.sourceType,
    content_hash: document.contentHash,
    chunk_count: document.chunkCount,
    created_at: document.createdAt,
    updated_at: document.updatedAt,
  };
}

/** Resolves the tenant from `Authorization: Bearer sk_…`. */
async function authenticate(store: Store, request: FastifyRequest): Promise<TenantRecord> {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || header.trim() === '') throw new AppError('auth_required', 'Authorization: Bearer sk_… required');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header.trim());
  const key = match?.[1];
  if (!key || !key.startsWith('sk_')) throw new AppError('invalid_api_key', 'The admin API needs the tenant secret key (sk_…)');
  const tenant = await store.tenants.findBySecretKey(key);
  if (!tenant) throw new AppError('invalid_api_key');
  return tenant;
}

/** The tenant each admin request authenticated as (set by the plugin's onRequest hook). */
const authenticatedTenants = new WeakMap<FastifyRequest, TenantRecord>();

function tenantOf(request: FastifyRequest): TenantRecord {
  const tenant = authenticatedTenants.get(request);
  if (!tenant) throw new AppError('auth_required');
  return tenant;
}

const adminKnowledgeRoutes: FastifyPluginAsync<AdminKnowledgeRoutesOptions> = async (app, options) => {
  const { store, knowledge } = options;
  const deps = { store, knowledge };

  // Encapsulated in this plugin: only the admin routes below run it.
  app.addHook('onRequest', async (request) => {
    authenticatedTenants.set(request, await authenticate(store, request));
  });

  app.post('/api/v1/admin/documents', { bodyLimit: options.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES }, async (request, reply) => {
    const tenant = tenantOf(request);
    const body = new InputReader(request.body, 'body', { required: true });
    const title = body.optionalString('title', { maxLength: 500 });
    const content = body.requiredString('content');
    const format = body.optionalEnum('format', DOCUMENT_FORMATS) ?? 'markdown';
    const url = body.optionalString('url', { maxLength: 2048, pattern: /^https?:\/\/\S+$/i, patternMessage: 'Must be an http(s) URL' });
    const externalId = body.optionalString('external_id', { maxLength: 2048 });
    body.finish();

    const result = await ingestDocument(deps, tenant.id, { format, content, title, url, externalId: externalId ?? url ?? null });
    return reply.status(result.changed ? 201 : 200).send({ ...documentBody(result.document), changed: result.changed });
  });

  app.get('/api/v1/admin/documents', async (request) => {
    const tenant = tenantOf(request);
    const query = new InputReader(request.query, 'query');
    const limit = query.optionalInteger('limit', 1, 200) ?? 50;
    const offset = query.optionalInteger('offset', 0, 1_000_000_000) ?? 0;
    query.finish();
    const { items, total } = await store.documents.list(tenant.id, { limit, offset });
    return { items: items.map(documentBody), total, limit, offset };
  });

  app.get<{ Params: { id: string } }>('/api/v1/admin/documents/:id', async (request) => {
    const tenant = tenantOf(request);
    const document = await store.documents.get(tenant.id, request.params.id);
    if (!document) throw new AppError('document_not_found');
    const content = store.documents.getContent ? await store.documents.getContent(tenant.id, document.id) : null;
    return { ...documentBody(document), content };
  });

  app.delete<{ Params: { id: string } }>('/api/v1/admin/documents/:id', async (request, reply) => {
    const tenant = tenantOf(request);
    if (!(await removeDocument(deps, tenant.id, request.params.id))) throw new AppError('document_not_found');
    return reply.status(204).send();
  });

  app.post('/api/v1/admin/reindex', async (request) => {
    const tenant = tenantOf(request);
    const result = await reindexDocuments(deps, tenant.id);
    return { reindexed: result.reindexed, skipped: result.skipped };
  });

  app.get('/api/v1/admin/search', async (request) => {
    const tenant = tenantOf(request);
    const query = new InputReader(request.query, 'query');
    const q = query.requiredString('q', { maxLength: 2000 });
    const limit = query.optionalInteger('limit', 1, 50) ?? 5;
    query.finish();
    const passages = await knowledge.search(tenant.id, q, { limit });
    return {
      query: q,
      items: passages.map((passage) => ({
        document_id: passage.documentId,
        chunk_id: passage.chunkId,
        title: passage.title,
        url: passage.url,
        heading: passage.heading,
        text: passage.text,
        score: passage.score,
      })),
    };
  });
};

export default adminKnowledgeRoutes;
