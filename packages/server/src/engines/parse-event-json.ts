import { AppError } from '../base/errors.ts';
import type { ServerSentEvent } from './sse-parser.ts';

/** The JSON payload of a provider's stream event; a garbled one fails the answer as `ai_unavailable`. */
export function parseEventJson<T>(event: ServerSentEvent): T {
  try {
    return JSON.parse(event.data) as T;
  } catch (error) {
    throw new AppError('ai_unavailable', undefined, {
      cause: new Error(`unreadable stream event: ${event.data.slice(0, 200)}`, { cause: error }),
    });
  }
}
