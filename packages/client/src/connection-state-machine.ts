/**
 * The connection's allowed transitions, in one table. The controller asks `canTransition` before
 * every change, so an unexpected event (a late callback, a double close) cannot move the client into
 * a state it should not reach, e.g. back to `ready` after `closed`.
 */
import type { ConnectionState } from './chat-snapshot.ts';

const TRANSITIONS: Readonly<Record<ConnectionState, readonly ConnectionState[]>> = {
  idle: ['connecting', 'closed'],
  connecting: ['joining', 'reconnecting', 'failed', 'closed'],
  joining: ['ready', 'reconnecting', 'failed', 'closed'],
  ready: ['reconnecting', 'failed', 'closed'],
  reconnecting: ['connecting', 'failed', 'closed'],
  // `connect()` after `close()` starts over (a React tree mounted again); `retry()` leaves `failed`.
  closed: ['connecting'],
  failed: ['connecting', 'closed'],
};

export function canTransition(from: ConnectionState, to: ConnectionState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** States in which a `connect()` is already under way or done. */
export function isActive(state: ConnectionState): boolean {
  return state === 'connecting' || state === 'joining' || state === 'ready' || state === 'reconnecting';
}
