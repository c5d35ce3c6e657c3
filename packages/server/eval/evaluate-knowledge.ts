/**
 * The knowledge evaluation: a fixture knowledge base of a fictional company (Lumen Bikes:
 * Markdown and HTML pages) and questions that each name the document answering them and a key
 * fact the answer must contain. Measures retrieval (hit@1, hit@3: is the right document the first
 * / among the first three passages?) and the extractive engine (does the answer contain the key
 * fact; does it decline the questions the knowledge base cannot answer?).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createExtractiveEngine } from '../src/engines/extractive-engine.ts';
import { ingestDocument } from '../src/knowledge/ingest-document.ts';
import { formatFromName } from '../src/knowledge/parse-document.ts';
import { openStore } from '../src/store/open-store.ts';
import { dropSchema } from '@miptech/testing/test-databases.ts';

interface EvalQuestion {
  question: string;
  document: string;
  fact: string;
}

interface EvalSet {
  tenant: string;
  fixtures: string;
  questions: EvalQuestion[];
  /** Written after the engine was tuned on `questions` and never tuned on: an honest estimate. */
  holdout: EvalQuestion[];
  unanswerable: string[];
}

export interface QuestionOutcome extends EvalQuestion {
  /** Fixture file names of the retrieved passages, best first. */
  retrieved: string[];
  hitAt1: boolean;
  hitAt3: boolean;
  factInAnswer: boolean;
  answer: string;
}

export interface EvalScores {
  questions: number;
  hitAt1: number;
  hitAt3: number;
  /** Share of answers of the extractive engine that contain the key fact. */
  factRecall: number;
}

export interface EvalReport extends EvalScores {
  /** The store whose search was measured (the SQLite FTS5 and PostgreSQL tsvector indexes rank differently). */
  store: 'sqlite' | 'postgres';
  documents: number;
  holdout: EvalScores;
  /** Share of unanswerable questions the engine declined. */
  declined: number;
  outcomes: QuestionOutcome[];
  holdoutOutcomes: QuestionOutcome[];
  unanswerable: Array<{ question: string; answer: string; declined: boolean }>;
}

const EVAL_DIR = import.meta.dirname;
/** How many passages the chat service retrieves for a question (see chat/answer-generation.ts). */
const RETRIEVAL_LIMIT = 5;

const flatten = (text: string) => text.replace(/\s+/g, ' ').toLowerCase();

export interface EvaluateKnowledgeOptions {
  /** Default: a fresh SQLite file in a temporary directory. */
  databaseUrl?: string;
  /** PostgreSQL only: measure in a fresh schema of its own, dropped afterwards (concurrent runs never meet). */
  temporarySchema?: boolean;
}

/** Runs the evaluation on a fresh SQLite database (or `databaseUrl`) and returns the numbers. */
export async function evaluateKnowledge(options: EvaluateKnowledgeOptions = {}): Promise<EvalReport> {
  const set = JSON.parse(readFileSync(join(EVAL_DIR, 'questions.json'), 'utf8')) as EvalSet;
  const fixturesDir = join(EVAL_DIR, set.fixtures);
  const tempDir = options.databaseUrl ? null : mkdtempSync(join(tmpdir(), 'miptech-eval-'));
  const databaseUrl = options.databaseUrl ?? `sqlite:${join(tempDir ?? '', 'eval.db')}`;
  const schema = options.temporarySchema ? `eval_${process.pid}_${randomBytes(4).toString('hex')}` : undefined;
  let opened: Awaited<ReturnType<typeof openStore>>;
  try {
    opened = await openStore({ databaseUrl, ...(schema ? { schema } : {}) });
  } catch (error) {
    if (schema) await dropSchema(databaseUrl, schema).catch(() => undefined);
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    throw error;
  }
  const { store, knowledge } = opened;
  try {
    const tenant = (await store.tenants.get(set.tenant)) ?? (await store.tenants.create({ id: set.tenant, name: 'Lumen Bikes' })).tenant;
    const fileOfDocument = new Map<string, string>();
    const files = readdirSync(fixturesDir).sort();
    for (const file of files) {
      const format = formatFromName(file);
      if (!format) continue;
      const { document } = await ingestDocument({ store, knowledge }, tenant.id, {
        format,
        content: readFileSync(join(fixturesDir, file), 'utf8'),
        externalId: `eval:${file}`,
        fileName: file,
      });
      fileOfDocument.set(document.id, file);
    }

    const engine = createExtractiveEngine();
    const answer = async (question: string) => {
      const passages = await knowledge.search(tenant.id, question, { limit: RETRIEVAL_LIMIT });
      let text = '';
      const request = { tenant, chatId: 'eval', question, history: [], passages, signal: new AbortController().signal };
      for await (const part of engine.stream(request)) if (part.type === 'text') text += part.text;
      return { passages, text };
    };
    const fallbackMarker = flatten((await answer('zzqx unknowable qqzz')).text).slice(0, 40);

    const run = async (items: EvalQuestion[]) => {
      const outcomes: QuestionOutcome[] = [];
      for (const item of items) {
        const { passages, text } = await answer(item.question);
        const retrieved = passages.map((passage) => fileOfDocument.get(passage.documentId) ?? passage.documentId);
        outcomes.push({
          ...item,
          retrieved,
          hitAt1: retrieved[0] === item.document,
          hitAt3: retrieved.slice(0, 3).includes(item.document),
          factInAnswer: flatten(text).includes(flatten(item.fact)),
          answer: text,
        });
      }
      return outcomes;
    };
    const share = (count: number, total: number) => (total === 0 ? 0 : count / total);
    const scores = (outcomes: QuestionOutcome[]): EvalScores => ({
      questions: outcomes.length,
      hitAt1: share(outcomes.filter((o) => o.hitAt1).length, outcomes.length),
      hitAt3: share(outcomes.filter((o) => o.hitAt3).length, outcomes.length),
      factRecall: share(outcomes.filter((o) => o.factInAnswer).length, outcomes.length),
    });
    const outcomes = await run(set.questions);
    const holdoutOutcomes = await run(set.holdout);
    const unanswerable = [];
    for (const question of set.unanswerable) {
      const { text } = await answer(question);
      unanswerable.push({ question, answer: text, declined: flatten(text).startsWith(fallbackMarker) });
    }
    return {
      store: store.dialect,
      documents: fileOfDocument.size,
      ...scores(outcomes),
      holdout: scores(holdoutOutcomes),
      declined: share(unanswerable.filter((u) => u.declined).length, unanswerable.length),
      outcomes,
      holdoutOutcomes,
      unanswerable,
    };
  } finally {
    await store.close();
    if (schema) await dropSchema(databaseUrl, schema);
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  }
}

