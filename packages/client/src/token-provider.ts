/**
 * Hands out the token for REST calls and `join_chat`. With `getToken` it asks only when needed —
 * the first time, when the cached JWT expires within `EXPIRY_MARGIN_MS`, and after the server
 * rejected it (`invalidate()`) — and concurrent callers share one call. A static token is returned
 * as is (there is nothing fresher to ask for).
 */
export const EXPIRY_MARGIN_MS = 30_000;

/**
 * The claims of a JWT, read without verifying it (the server verifies; the client only looks at
 * `exp` and `tenant_id`), or null when the token is not a readable JWT.
 */
export function readJwtClaims(token: string): Record<string, unknown> | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '=');
    const claims: unknown = JSON.parse(atob(base64));
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The `exp` claim of a JWT in ms, or null when the token is not a readable JWT. */
export function jwtExpiryMs(token: string): number | null {
  const exp = readJwtClaims(token)?.exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null;
}

export class TokenProvider {
  private cached: string | null | undefined = undefined;
  private pending: Promise<string | null> | null = null;

  constructor(
    private readonly staticToken: string | null,
    private readonly getToken: (() => string | null | Promise<string | null>) | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a rejected token can be replaced by asking again. */
  get canRefresh(): boolean {
    return this.getToken !== undefined;
  }

  async get(): Promise<string | null> {
    if (!this.getToken) return this.staticToken;
    if (this.cached !== undefined && !this.expiresSoon(this.cached)) return this.cached;
    if (!this.pending) {
      const call = this.getToken;
      this.pending = (async () => {
        try {
          const token = await call();
          this.cached = token ?? null;
          return this.cached;
        } finally {
          this.pending = null;
        }
      })();
    }
    return this.pending;
  }

  /** Forget the cached token: the next `get()` asks `getToken()` again. */
  invalidate(): void {
    this.cached = undefined;
  }

  private expiresSoon(token: string | null): boolean {
    if (!token) return false;
    const expiry = jwtExpiryMs(token);
    return expiry !== null && expiry - this.now() < EXPIRY_MARGIN_MS;
  }
}
