/**
 * The end of an answer on the wire: its `response_complete`, preceded by an `error` when the
 * answer failed or was interrupted. Every way an answer ends builds it here — generated (complete,
 * stopped, failed, interrupted by a shutdown), never started (start failure), taken over by a
 * lease sweeper (interrupted), and sent again as a join's catch-up — so the frame clients rely on
 * ("exactly one response_complete whose content is the concatenation of the chunks") has one shape.
 */
import { ERROR_CODES, type ErrorCode, type ErrorData, type MessageStatus, type ResponseCompleteData, type Source } from '@miptech/protocol';
import type { ChatEventLog } from '../backend/events/chat-event-log.ts';
import type { MessageRecord } from '../store/store.ts';

/** Why an answer did not complete, as its `error` frame reports it. */
export interface AnswerFailure {
  code: ErrorCode;
  message: string;
  /** Seconds to wait before trying again (a rate-limited provider, a database outage). */
  retryAfter?: number;
  /**
   * The user message whose answer could not even be started: named in the error (with the client's
   * id) so the client can resend it.
   */
  unansweredMessage?: { id: string; clientMessageId: string | null };
}

/** How an answer ended: everything its `response_complete` reports. */
export interface AnswerOutcome {
  tenantId: string;
  chatId: string;
  /** The assistant message. */
  messageId: string;
  userMessageId: string;
  /** The whole answer: the concatenation of the chunks sent. */
  content: string;
  status: MessageStatus;
  sources: Source[];
  model: string;
  promptTokens: number;
  completionTokens: number;
  responseTimeMs: number;
  /** When the assistant message was created. */
  createdAt: string;
  /** Set when the answer failed or was interrupted: published as an `error` first, and as `error_code`. */
  failure?: AnswerFailure;
}

/** The `data` of the answer's `response_complete`. */
export function responseCompleteData(outcome: AnswerOutcome): ResponseCompleteData {
  const { messageId, content, createdAt } = outcome;
  const data: ResponseCompleteData = {
    message_id: messageId,
    user_message_id: outcome.userMessageId,
    chat_id: outcome.chatId,
    content,
    role: 'assistant',
    status: outcome.status,
    sources: outcome.sources,
    llm_model: outcome.model,
    prompt_tokens: outcome.promptTokens,
    completion_tokens: outcome.completionTokens,
    total_tokens: outcome.promptTokens + outcome.completionTokens,
    response_time_ms: outcome.responseTimeMs,
    created_at: createdAt,
    message: { id: messageId, role: 'assistant', content, created_at: createdAt },
  };
  if (outcome.failure) data.error_code = outcome.failure.code;
  return data;
}

/** The `data` of the `error` that precedes a failed answer's `response_complete`. */
function answerErrorData(outcome: AnswerOutcome, failure: AnswerFailure): ErrorData {
  const data: ErrorData = { code: failure.code, message: failure.message, retryable: ERROR_CODES[failure.code].retryable };
  if (failure.retryAfter !== undefined) data.retry_after = failure.retryAfter;
  data.message_id = outcome.messageId;
  data.chat_id = outcome.chatId;
  if (failure.unansweredMessage) {
    data.user_message_id = failure.unansweredMessage.id;
    data.client_message_id = failure.unansweredMessage.clientMessageId;
  }
  return data;
}

/**
 * The outcome of a finished answer as its stored row has it. The row keeps no error code, and an
 * assistant row always answers a user message (`replyTo`); the fallbacks are for rows of old data.
 */
export function storedAnswerOutcome(message: MessageRecord): AnswerOutcome {
  return {
    tenantId: message.tenantId,
    chatId: message.chatId,
    messageId: message.id,
    userMessageId: message.replyTo ?? '',
    content: message.content,
    status: message.status,
    sources: message.sources,
    model: message.model ?? 'unknown',
    promptTokens: message.promptTokens ?? 0,
    completionTokens: message.completionTokens ?? 0,
    responseTimeMs: message.responseTimeMs ?? 0,
    createdAt: message.createdAt,
  };
}

/**
 * A response_complete sent again, outside the chat's event stream, to a client that joined
 * without `last_seq` and may have missed it (no `seq`; see join-catch-up.ts).
 */
export function catchUpData(end: ResponseCompleteData): ResponseCompleteData {
  return { ...end, catch_up: true };
}

/** Publishes the end of an answer to its chat: `error` first when it failed, then `response_complete`. */
export async function publishAnswerEnd(eventLog: ChatEventLog, outcome: AnswerOutcome): Promise<void> {
  const ids = { tenantId: outcome.tenantId, chatId: outcome.chatId, messageId: outcome.messageId };
  if (outcome.failure) await eventLog.append({ ...ids, type: 'error', data: answerErrorData(outcome, outcome.failure) });
  await eventLog.append({ ...ids, type: 'response_complete', data: responseCompleteData(outcome) });
}
