/** What a Redis-backed component tells readiness. */
export interface RedisHealth {
  ready: boolean;
  /** Why not, for logs and the readiness body. */
  detail?: string;
}
