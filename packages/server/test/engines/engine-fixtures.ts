/** Shared fixtures of the engine tests: a tenant, passages, requests, and a collector of parts. */
import type { Source } from '@miptech/protocol';
import type { AnswerEngine, AnswerPart, AnswerRequest, ConversationTurn } from '../../src/engines/answer-engine.ts';
import { isAppError, type AppError } from '../../src/base/errors.ts';
import type { Passage } from '../../src/store/knowledge-index.ts';
import type { TenantLlmSettings, TenantRecord } from '../../src/store/store.ts';

export function makeTenant(llm: TenantLlmSettings = {}): TenantRecord {
  return {
    id: 'acme',
    name: 'Acme Corp',
    publishableKey: 'pk_test',
    secretKeyHash: 'x',
    createdAt: new Date(0).toISOString(),
    settings: {
      allowedOrigins: [],
      anonymousWidget: false,
      assistantName: 'Ada',
      greeting: 'Hi!',
      primaryColor: '#000',
      position: 'bottom-right',
      language: 'en',
      rateLimits: { messagesPerMinute: 10, requestsPerMinute: 10, chatsPerHour: 10 },
      llm,
    },
  };
}

export function makePassage(number: number, text: string, extra: Partial<Passage> = {}): Passage {
  return {
    documentId: `doc-${number}`,
    chunkId: `chunk-${number}`,
    title: `Document ${number}`,
    url: `https://acme.test/doc-${number}`,
    heading: null,
    text,
    score: 10 - number,
    ...extra,
  };
}

export const PASSAGES: Passage[] = [
  makePassage(1, 'Acme ships orders within 2 business days.', { heading: 'Shipping > Times' }),
  makePassage(2, 'Returns are accepted for 30 days after delivery.'),
  makePassage(3, 'Support is open Monday to Friday, 9:00 to 17:00 CET.'),
];

export function makeRequest(overrides: Partial<AnswerRequest> & { history?: ConversationTurn[] } = {}): AnswerRequest {
  return {
    tenant: makeTenant(),
    chatId: 'chat-1',
    question: 'How fast do you ship?',
    history: [],
    passages: PASSAGES,
    signal: new AbortController().signal,
    ...overrides,
  };
}

export interface CollectedAnswer {
  parts: AnswerPart[];
  text: string;
  texts: string[];
  sources: Source[] | undefined;
  usage: Extract<AnswerPart, { type: 'usage' }> | undefined;
  error: AppError | undefined;
}

/**
 * Drains the engine's stream; an AppError is captured (anything else fails the test).
 * `onText` runs after each text part (e.g. to abort mid-stream).
 */
export async function collectAnswer(
  engine: AnswerEngine,
  request: AnswerRequest,
  onText?: (count: number) => void,
): Promise<CollectedAnswer> {
  const parts: AnswerPart[] = [];
  let error: AppError | undefined;
  try {
    for await (const part of engine.stream(request)) {
      parts.push(part);
      if (part.type === 'text') onText?.(parts.filter((p) => p.type === 'text').length);
    }
  } catch (caught) {
    if (!isAppError(caught)) throw caught;
    error = caught;
  }
  const texts = parts.flatMap((part) => (part.type === 'text' ? [part.text] : []));
  const sourcesPart = parts.find((part) => part.type === 'sources');
  return {
    parts,
    text: texts.join(''),
    texts,
    sources: sourcesPart?.type === 'sources' ? sourcesPart.sources : undefined,
    usage: parts.find((part): part is Extract<AnswerPart, { type: 'usage' }> => part.type === 'usage'),
    error,
  };
}

/** Resolves with `promise`, or rejects after `ms` so a missing event fails the test instead of hanging it. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
