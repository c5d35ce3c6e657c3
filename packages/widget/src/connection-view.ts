import type { ChatSnapshot } from './chat-client-port.ts';
import type { Strings } from './strings.ts';

/** How the panel shows the connection: a short status in the header and, when needed, a banner. */
export interface ConnectionView {
  tone: 'ready' | 'busy' | 'failed';
  /** Short text for the header. */
  status: string;
  /** Longer explanation under the header, or null when all is well. */
  banner: string | null;
  /** The server's or the client's reason, shown with terminal errors. */
  reason: string | null;
  /** Offer a Retry button (terminal states only: transient ones retry by themselves). */
  canRetry: boolean;
}

/**
 * Maps the client's connection state to honest words. Every state that waits says what it waits
 * for; the states that will not recover on their own (failed, closed) say why and offer Retry.
 */
export function describeConnection(chat: ChatSnapshot | null, online: boolean, strings: Strings): ConnectionView {
  const state = chat?.connection.state ?? 'connecting';
  const queued = chat?.messages.some((message) => message.status === 'queued') ?? false;
  // The browser knows first when the network is gone (the socket may take a heartbeat to notice).
  if (!online && state !== 'failed' && state !== 'closed') {
    return { tone: 'busy', status: strings.statusOffline, banner: strings.stateOffline, reason: null, canRetry: false };
  }
  switch (state) {
    case 'ready':
      return { tone: 'ready', status: strings.stateOnline, banner: null, reason: null, canRetry: false };
    case 'failed':
    case 'closed': {
      const reason = chat?.connection.reason ?? chat?.error?.message ?? null;
      return {
        tone: 'failed',
        status: state === 'failed' ? strings.stateFailed : strings.stateClosed,
        banner: state === 'failed' ? strings.stateFailed : strings.stateClosed,
        reason: reason && reason.trim() !== '' ? reason : null,
        canRetry: true,
      };
    }
    default: {
      // idle, connecting, joining, reconnecting: transient, the client is working on it. A
      // connection attempt after a loss (attempt > 0) is still "reconnecting" to the visitor: the
      // header must not flicker between "connecting" and "reconnecting" on every attempt.
      const recovering = state === 'reconnecting' || (chat?.connection.attempt ?? 0) > 0;
      if (queued && recovering) {
        return { tone: 'busy', status: strings.statusOffline, banner: strings.stateOffline, reason: null, canRetry: false };
      }
      if (recovering) {
        return { tone: 'busy', status: strings.statusReconnecting, banner: strings.stateReconnecting, reason: null, canRetry: false };
      }
      return { tone: 'busy', status: strings.stateConnecting, banner: null, reason: null, canRetry: false };
    }
  }
}
