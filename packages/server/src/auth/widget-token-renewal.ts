/**
 * Which `previous_token` POST /api/v1/auth/widget-token may renew, keeping the visitor's `sub`.
 * A leaked token must not become a visitor's identity for good, so a renewal needs all of:
 * - a good signature (HS256 only), a token still valid or expired less than the grace ago
 *   (WIDGET_TOKEN_RENEWAL_GRACE_SECONDS) and no `nbf` in the future;
 * - the same tenant;
 * - a widget token (`iss` = WIDGET_TOKEN_ISSUER): a token the tenant's own backend signed (the
 *   CLI, the guide's §10 tokens) is the backend's to renew, not the browser's;
 * - every scope the new token gets already in the old one (a renewal never widens scopes);
 * - a session younger than WIDGET_SESSION_MAX_AGE_SECONDS: `auth_time` is copied from token to
 *   renewed token, so a chain of renewals ends at that age and the visitor starts a new identity.
 * Anything else is refused with a stable code: token_expired, invalid_token, tenant_mismatch or
 * token_not_renewable.
 */
import { AppError } from '../base/errors.ts';
import type { TokenService, VerifiedToken } from './token-service.ts';

/** The `iss` of the tokens POST /api/v1/auth/widget-token signs. */
export const WIDGET_TOKEN_ISSUER = 'miptech:widget';

export interface RenewalPolicy {
  graceSeconds: number;
  maxSessionAgeSeconds: number;
}

export interface RenewableSession {
  subject: string;
  /** When the session began (seconds): the renewed token's `auth_time`. */
  authTime: number;
  previous: VerifiedToken;
}

export async function verifyRenewableToken(
  tokens: TokenService,
  previousToken: string,
  tenantId: string,
  grantedScopes: readonly string[],
  policy: RenewalPolicy,
): Promise<RenewableSession> {
  const previous = await tokens.verifyWithGrace(previousToken, policy.graceSeconds);
  if (previous.tenantId !== tenantId) throw new AppError('tenant_mismatch');
  if (previous.issuer !== WIDGET_TOKEN_ISSUER) {
    throw new AppError('token_not_renewable', 'Only widget tokens are renewed here; this token was issued by the tenant');
  }
  if (previous.subject === null) throw new AppError('token_not_renewable', 'The token has no sub');
  if (!grantedScopes.every((scope) => previous.scopes.includes(scope))) {
    throw new AppError('token_not_renewable', 'A renewal cannot widen the token’s scopes');
  }
  const authTime = previous.authTime ?? previous.issuedAt;
  if (authTime === null) throw new AppError('token_not_renewable', 'The token has no auth_time or iat');
  if (Math.floor(Date.now() / 1000) - authTime > policy.maxSessionAgeSeconds) {
    throw new AppError('token_not_renewable', 'The visitor session reached its maximum age; start a new one');
  }
  return { subject: previous.subject, authTime, previous };
}
