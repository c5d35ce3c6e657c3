import type { MessageRepository } from '@miptech/server';
import { manualGate } from './scripted-engine.ts';

/**
 * Holds the next assistant row insert of a platform until `release()`: the window between
 * `message_received` and the answer's start. `entered` resolves once the insert was asked for.
 * Later inserts go through untouched.
 */
export function holdNextAnswerStart(platform: { services: { store: { messages: MessageRepository } } }): {
  entered: Promise<void>;
  release(): void;
} {
  const messages = platform.services.store.messages;
  const original = messages.startAssistant;
  const entered = manualGate();
  const gate = manualGate();
  messages.startAssistant = async (...args: Parameters<MessageRepository['startAssistant']>) => {
    messages.startAssistant = original;
    entered.open();
    await gate.promise;
    return original.apply(messages, args);
  };
  return { entered: entered.promise, release: gate.open };
}
