import type { KnowledgeDeps } from './knowledge-deps.ts';

/** Removes a document of `tenantId` from the index and the store; false when it does not exist. */
export async function removeDocument(deps: KnowledgeDeps, tenantId: string, documentId: string): Promise<boolean> {
  const document = await deps.store.documents.get(tenantId, documentId);
  if (!document) return false;
  // Index first: a row without chunks is harmless, chunks without a row would still be retrieved.
  await deps.knowledge.removeDocument(tenantId, documentId);
  return deps.store.documents.remove(tenantId, documentId);
}
