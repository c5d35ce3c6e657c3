import type { ChatSnapshot } from './chat-client-port.ts';
import type { Strings } from './strings.ts';

/** How the panel shows the connection: a short status in the header and, when needed, a banner. */
export interface ConnectionView {
  tone: 'ready' | 'busy' | 'failed';
  /** Short text for the header. */
  status: string;
  /** Longer explanation under the header, or null when all is well. */
  banner: string | null;
  /** Why, in the visitor's language, shown with terminal errors. */
  reason: string | null;
  /** The error code behind the reason (for the site owner), or null. */
  code: string | null;
  /** The banner's icon: work under way (spinner), no network, or an error. */
  icon: 'working' | 'offline' | 'error' | null;
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
    return offline(strings);
  }
  switch (state) {
    case 'ready':
      return { tone: 'ready', status: strings.stateOnline, banner: null, reason: null, code: null, icon: null, canRetry: false };
    case 'failed':
    case 'closed': {
      const code = chat?.error?.code ?? null;
      const raw = chat?.connection.reason ?? chat?.error?.message ?? null;
      return {
        tone: 'failed',
        status: state === 'failed' ? strings.stateFailed : strings.stateClosed,
        banner: state === 'failed' ? strings.stateFailed : strings.stateClosed,
        // The client's and server's reasons are English and technical: the visitor gets words in
        // their language, the site owner the code. A reason without a code is shown as it is.
        reason: code ? explain(code, strings) : raw && raw.trim() !== '' ? raw : null,
        code,
        icon: 'error',
        canRetry: true,
      };
    }
    default: {
      // idle, connecting, joining, reconnecting: transient, the client is working on it. A
      // connection attempt after a loss (attempt > 0) is still "reconnecting" to the visitor: the
      // header must not flicker between "connecting" and "reconnecting" on every attempt.
      const recovering = state === 'reconnecting' || (chat?.connection.attempt ?? 0) > 0;
      if (queued && recovering) return offline(strings);
      if (recovering) {
        return { tone: 'busy', status: strings.statusReconnecting, banner: strings.stateReconnecting, reason: null, code: null, icon: 'working', canRetry: false };
      }
      return { tone: 'busy', status: strings.stateConnecting, banner: null, reason: null, code: null, icon: null, canRetry: false };
    }
  }
}

function offline(strings: Strings): ConnectionView {
  // Waiting for the network is not work under way: an offline icon, no spinner.
  return { tone: 'busy', status: strings.statusOffline, banner: strings.stateOffline, reason: null, code: null, icon: 'offline', canRetry: false };
}

/** Codes that mean "this site or visitor is not let in", as opposed to "the server is unreachable". */
const NOT_ALLOWED = /^(invalid_api_key|origin_not_allowed|tenant_|auth_required|invalid_token|token_expired|insufficient_scope|chat_access_denied)/;
const UNAVAILABLE = /^(service_unavailable|internal_error|db_not_ready|schema_unavailable|rate_limited|server_shutting_down|heartbeat_timeout)$/;

function explain(code: string, strings: Strings): string {
  if (NOT_ALLOWED.test(code)) return strings.reasonNotAllowed;
  if (UNAVAILABLE.test(code)) return strings.reasonUnavailable;
  return strings.reasonOther;
}
