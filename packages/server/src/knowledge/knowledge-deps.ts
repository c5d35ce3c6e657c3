import type { DocumentRepository } from '../store/store.ts';
import type { KnowledgeIndex } from '../store/knowledge-index.ts';
import type { DocumentPreparer } from './document-preparer-pool.ts';

/** What the ingestion functions need: the document rows and the search index (as `openStore` returns them). */
export interface KnowledgeDeps {
  store: { readonly documents: DocumentRepository };
  knowledge: KnowledgeIndex;
  /** Prepares documents off the event loop (the platform's worker pool); inline without it. */
  preparer?: DocumentPreparer;
}
