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
import type { DocumentPreparer } from '../../knowledge/document-preparer-pool.ts';
import { reindexDocuments } from '../../knowledge/reindex-documents.ts';
import { removeDocument } from '../../knowledge/remove-document.ts';
import type { DocumentRecord, DocumentSourceType, Store, TenantRecord } from '../../store/store.ts';
import { presentString } from '../present-string.ts';
import { FIELD_LIMITS, ID_PATTERN } from '../schemas/field-limits.ts';
import { DOCUMENT_SCHEMA, ERRORS, errorResponses, ref } from '../schemas/resource-schemas.ts';

export interface AdminKnowledgeRoutesOptions {
  store: Store;
  knowledge: KnowledgeIndex;
  /** Parses uploads off the event loop; inline without it. */
  preparer?: DocumentPreparer;
  /** Largest document upload (the JSON body, base64 PDFs included). @default 10 MiB */
  maxDocumentBytes?: number;
}

const DEFAULT_MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;

const ADMIN_SECURITY = [{ secretKey: [] }];

const DOCUMENT_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: FIELD_LIMITS.idChars, pattern: ID_PATTERN, description: 'The document id' } },
} as const;

const DOCUMENT_BODY = {
  type: 'object',
  required: ['content'],
  properties: {
    content: { type: 'string', minLength: 1, description: 'The text; base64 for format pdf.' },
    format: { type: 'string', enum: [...DOCUMENT_FORMATS], default: 'markdown' },
    title: { type: ['string', 'null'], maxLength: FIELD_LIMITS.documentTitleChars, description: 'By default the first heading, or the file name of the URL.' },
    url: {
      type: ['string', 'null'],
      maxLength: FIELD_LIMITS.urlChars,
      pattern: '^([Hh][Tt][Tt][Pp][Ss]?://\\S+)?$',
      'x-pattern-message': 'Must be an http(s) URL',
      description: 'Where the document lives; cited with its passages.',
    },
    external_id: {
      type: ['string', 'null'],
      maxLength: FIELD_LIMITS.externalIdChars,
      description: 'Your id of the document (by default its url): adding a document with the same external_id replaces it.',
    },
  },
} as const;

interface DocumentBody {
  content: string;
  format: DocumentSourceType;
  title?: string | null;
  url?: string | null;
  external_id?: string | null;
}

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

/** A document as stored, and whether this request changed it. */
const DOCUMENT_CHANGE_SCHEMA = {
  type: 'object',
  required: [...DOCUMENT_SCHEMA.required, 'changed'],
  properties: { ...DOCUMENT_SCHEMA.properties, changed: { type: 'boolean' } },
} as const;

const SEARCH_RESULT_SCHEMA = {
  type: 'object',
  required: ['query', 'items'],
  properties: {
    query: { type: 'string' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['document_id', 'chunk_id', 'title', 'url', 'heading', 'text', 'score'],
        properties: {
          document_id: { type: 'string' },
          chunk_id: { type: 'string' },
          title: { type: 'string' },
          url: { type: ['string', 'null'] },
          heading: { type: ['string', 'null'] },
          text: { type: 'string' },
          score: { type: 'number' },
        },
      },
    },
  },
} as const;

/** Resolves the tenant from `Authorization: Bearer sk_…`. */
export async function authenticate(store: Store, request: FastifyRequest): Promise<TenantRecord> {
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
  const { store, knowledge, preparer } = options;
  const deps = { store, knowledge, ...(preparer ? { preparer } : {}) };

  // Encapsulated in this plugin: only the admin routes below run it.
  app.addHook('onRequest', async (request) => {
    authenticatedTenants.set(request, await authenticate(store, request));
  });

  app.post<{ Body: DocumentBody }>(
    '/api/v1/admin/documents',
    {
      bodyLimit: options.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES,
      schema: {
        tags: ['admin'],
        summary: 'Add a document, or replace the one with the same external_id',
        description: 'Parsed, chunked and indexed before the answer. 201 when the content changed, 200 when it was already the same.',
        security: ADMIN_SECURITY,
        body: DOCUMENT_BODY,
        response: {
          201: { description: 'Stored and indexed', ...DOCUMENT_CHANGE_SCHEMA },
          200: { description: 'Unchanged', ...DOCUMENT_CHANGE_SCHEMA },
          ...errorResponses(ERRORS.adminAuth, ERRORS.body),
        },
      },
    },
    async (request, reply) => {
      const tenant = tenantOf(request);
      const { content, format } = request.body;
      const title = presentString(request.body.title);
      const url = presentString(request.body.url);
      const externalId = presentString(request.body.external_id);

      const result = await ingestDocument(deps, tenant.id, { format, content, title, url, externalId: externalId ?? url ?? null });
      return reply.status(result.changed ? 201 : 200).send({ ...documentBody(result.document), changed: result.changed });
    },
  );

  app.get<{ Querystring: { limit: number; offset: number } }>(
    '/api/v1/admin/documents',
    {
      schema: {
        tags: ['admin'],
        summary: "The tenant's documents, newest first",
        security: ADMIN_SECURITY,
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: FIELD_LIMITS.documentPageMax, default: FIELD_LIMITS.documentPageDefault },
            offset: { type: 'integer', minimum: 0, maximum: FIELD_LIMITS.documentOffsetMax, default: 0 },
          },
        },
        response: {
          200: {
            description: 'A page of documents',
            type: 'object',
            required: ['items', 'total', 'limit', 'offset'],
            properties: { items: { type: 'array', items: ref(DOCUMENT_SCHEMA) }, total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' } },
          },
          ...errorResponses(ERRORS.adminAuth, 'validation_error'),
        },
      },
    },
    async (request) => {
      const tenant = tenantOf(request);
      const { limit, offset } = request.query;
      const { items, total } = await store.documents.list(tenant.id, { limit, offset });
      return { items: items.map(documentBody), total, limit, offset };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/admin/documents/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'One document, with its stored text',
        security: ADMIN_SECURITY,
        params: DOCUMENT_PARAMS,
        response: {
          200: {
            description: 'The document',
            type: 'object',
            required: [...DOCUMENT_SCHEMA.required, 'content'],
            properties: { ...DOCUMENT_SCHEMA.properties, content: { type: ['string', 'null'], description: 'The text as stored (null when the store keeps no text)' } },
          },
          ...errorResponses(ERRORS.adminAuth, 'document_not_found'),
        },
      },
      config: { notFoundCode: 'document_not_found' },
    },
    async (request) => {
      const tenant = tenantOf(request);
      const document = await store.documents.get(tenant.id, request.params.id);
      if (!document) throw new AppError('document_not_found');
      const content = store.documents.getContent ? await store.documents.getContent(tenant.id, document.id) : null;
      return { ...documentBody(document), content };
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/admin/documents/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Remove a document and its passages',
        security: ADMIN_SECURITY,
        params: DOCUMENT_PARAMS,
        response: { 204: { description: 'Removed', type: 'null' }, ...errorResponses(ERRORS.adminAuth, 'document_not_found') },
      },
      config: { notFoundCode: 'document_not_found' },
    },
    async (request, reply) => {
      const tenant = tenantOf(request);
      if (!(await removeDocument(deps, tenant.id, request.params.id))) throw new AppError('document_not_found');
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/v1/admin/reindex',
    {
      schema: {
        tags: ['admin'],
        summary: "Rebuild the tenant's index from the stored texts",
        security: ADMIN_SECURITY,
        response: {
          200: {
            description: 'What was reindexed',
            type: 'object',
            required: ['reindexed', 'skipped'],
            properties: {
              reindexed: { type: 'integer' },
              skipped: { type: 'array', items: { type: 'string' }, description: 'Ids of documents without a stored text (re-import them instead)' },
            },
          },
          ...errorResponses(ERRORS.adminAuth),
        },
      },
    },
    async (request) => {
      const tenant = tenantOf(request);
      const result = await reindexDocuments(deps, tenant.id);
      return { reindexed: result.reindexed, skipped: result.skipped };
    },
  );

  app.get<{ Querystring: { q: string; limit: number } }>(
    '/api/v1/admin/search',
    {
      schema: {
        tags: ['admin'],
        summary: 'What retrieval finds for a question',
        security: ADMIN_SECURITY,
        querystring: {
          type: 'object',
          required: ['q'],
          properties: {
            q: { type: 'string', minLength: 1, maxLength: FIELD_LIMITS.searchQueryChars, description: 'The question, as a visitor would ask it' },
            limit: { type: 'integer', minimum: 1, maximum: FIELD_LIMITS.searchLimitMax, default: FIELD_LIMITS.searchLimitDefault },
          },
        },
        response: { 200: { description: 'The passages, best first', ...SEARCH_RESULT_SCHEMA }, ...errorResponses(ERRORS.adminAuth, 'validation_error') },
      },
    },
    async (request) => {
      const tenant = tenantOf(request);
      const { q, limit } = request.query;
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
    },
  );
};

export default adminKnowledgeRoutes;
