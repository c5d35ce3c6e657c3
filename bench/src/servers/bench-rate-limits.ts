/**
 * The load comes from one address and far exceeds a visitor's pace; these limits let it through.
 * They are set on the default tenant of a run's throw-away database only: the platform's
 * defaults and every real deployment keep their own limits, and the limiter still runs on every
 * request and message as in production.
 */
export const BENCH_RATE_LIMITS = { messagesPerMinute: 1_000_000, requestsPerMinute: 100_000_000, chatsPerHour: 100_000_000 };
