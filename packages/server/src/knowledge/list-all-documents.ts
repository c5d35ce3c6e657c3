import type { DocumentRecord, DocumentRepository } from '../store/store.ts';

const PAGE = 200;

/** Every document of a tenant, page by page (bounded by the total the store reports). */
export async function listAllDocuments(documents: DocumentRepository, tenantId: string): Promise<DocumentRecord[]> {
  const all: DocumentRecord[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const { items, total } = await documents.list(tenantId, { limit: PAGE, offset });
    all.push(...items);
    if (items.length < PAGE || all.length >= total) return all;
  }
}
