/** JWT scopes (guide §10). */
export const SCOPES = {
  /** REST chat creation. */
  chatCreate: 'chat:create',
  /** Joining and sending over the WebSocket. */
  chatSend: 'chat:send',
} as const;

export type Scope = (typeof SCOPES)[keyof typeof SCOPES];

/** A token's `scope` claim may be an array or a space-separated string; both mean the same. */
export function parseScopeClaim(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((s): s is string => typeof s === 'string');
  if (typeof claim === 'string') return claim.split(/[\s,]+/).filter(Boolean);
  return [];
}
