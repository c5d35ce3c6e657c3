/**
 * Polls `check` until it returns a truthy value and resolves with it; fails after `timeoutMs`
 * with `what` in the message. For a state the test cannot be told about directly (a row another
 * node stores, a Redis key); a frame is awaited with WsTestClient.waitFor, and time the server
 * decides is moved with a ManualClock (manual-clock.ts) instead of being waited for.
 */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000, intervalMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
