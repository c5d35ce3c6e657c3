/**
 * Who is making a request or joining a chat, resolved the same way for REST and WebSocket:
 * - `token`: a verified JWT of this tenant;
 * - `anonymous`: no token, accepted because the tenant runs the anonymous-widget policy and the
 *   browser Origin is one of its allowed origins; the visitor is identified by its session id;
 * - `open`: no token while JWTs are switched off (WIDGET_JWT_REQUIRED / WS_JWT_REQUIRED=false,
 *   development only). There is no identity then, so chats are not bound to visitors.
 */
import { createHash, randomUUID } from 'node:crypto';
import { SCOPES } from '@miptech/protocol';
import { AppError } from '../base/errors.ts';
import type { ChatRecord, TenantRecord } from '../store/store.ts';
import { isOriginAllowed } from './origin-policy.ts';
import type { TokenService } from './token-service.ts';

export interface Principal {
  kind: 'token' | 'anonymous' | 'open';
  tenantId: string;
  /** Owner identity of the chats this principal creates; null for operator tokens and open mode without a session. */
  subject: string | null;
  scopes: ReadonlySet<string>;
}

const VISITOR_SCOPES: ReadonlySet<string> = new Set([SCOPES.chatCreate, SCOPES.chatSend]);

/** Stable visitor id for an anonymous session; hashed so the id never reveals the session id. */
export function anonymousVisitorId(tenantId: string, sessionId: string): string {
  return `anon_${createHash('sha256').update(`${tenantId}\u0000${sessionId}`).digest('base64url').slice(0, 22)}`;
}

export interface ResolvePrincipalInput {
  tenant: TenantRecord;
  token: string | null;
  origin: string | null;
  /** Visitor session id from the request (body, query, join data or cookie), if any. */
  sessionId: string | null;
  jwtRequired: boolean;
  tokens: TokenService;
}

/** Throws AppError auth_required, invalid_token, token_expired or tenant_mismatch. */
export async function resolvePrincipal(input: ResolvePrincipalInput): Promise<Principal> {
  const { tenant, token, origin, sessionId, jwtRequired, tokens } = input;
  if (token) {
    const verified = await tokens.verify(token);
    if (verified.tenantId !== tenant.id) throw new AppError('tenant_mismatch');
    return { kind: 'token', tenantId: tenant.id, subject: verified.subject, scopes: new Set(verified.scopes) };
  }
  const subject = sessionId ? anonymousVisitorId(tenant.id, sessionId) : null;
  if (!jwtRequired) return { kind: 'open', tenantId: tenant.id, subject, scopes: VISITOR_SCOPES };
  if (tenant.settings.anonymousWidget && isOriginAllowed(tenant, origin)) {
    return { kind: 'anonymous', tenantId: tenant.id, subject: subject ?? `anon_${randomUUID()}`, scopes: VISITOR_SCOPES };
  }
  throw new AppError('auth_required');
}

export function requireScope(principal: Principal, ...anyOf: string[]): void {
  if (!anyOf.some((scope) => principal.scopes.has(scope))) {
    throw new AppError('insufficient_scope', `Token needs the ${anyOf.join(' or ')} scope`);
  }
}

/** Whether the principal may see the chat: same tenant, and the chat's own visitor (except in open mode). */
export function canAccessChat(principal: Principal, chat: ChatRecord): boolean {
  if (chat.tenantId !== principal.tenantId) return false;
  if (principal.kind === 'open') return true;
  return chat.visitorId === principal.subject;
}
