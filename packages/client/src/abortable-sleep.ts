/**
 * A delay that ends early (rejecting with the signal's reason) when the client is closed, so no
 * backoff timer outlives the client and keeps a page or a Node process busy.
 */
import type { TimersLike } from './chat-client-options.ts';

export function abortableSleep(ms: number, timers: TimersLike, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      timers.clearTimeout(handle);
      reject(signal.reason);
    };
    const handle = timers.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
