import type { DocumentRepository } from '../store/store.ts';
import type { KnowledgeIndex } from '../store/knowledge-index.ts';

/** What the ingestion functions need: the document rows and the search index (as `openStore` returns them). */
export interface KnowledgeDeps {
  store: { readonly documents: DocumentRepository };
  knowledge: KnowledgeIndex;
}
