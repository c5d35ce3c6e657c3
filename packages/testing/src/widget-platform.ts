/**
 * The real platform for browser tests (server test support: 127.0.0.1, port 0, temporary SQLite),
 * with the default tenant allowing the platform's own address — in tests the page is served by
 * the platform itself on a random port, not by the configured PUBLIC_URL.
 */
import { startTestPlatform, type StartTestPlatformOptions, type TestPlatform } from '@miptech/testing/test-platform.ts';

export type { TestPlatform };

export async function startWidgetPlatform(options: StartTestPlatformOptions = {}): Promise<TestPlatform> {
  const tp = await startTestPlatform(options);
  try {
    await allowOwnOrigin(tp);
  } catch (error) {
    await tp.close();
    throw error;
  }
  return tp;
}

async function allowOwnOrigin(tp: TestPlatform): Promise<void> {
  const { store, tenants } = tp.platform.services;
  const tenant = await store.tenants.get(tp.tenantId);
  if (!tenant) throw new Error(`default tenant ${tp.tenantId} missing`);
  const origins = new Set([...tenant.settings.allowedOrigins, tp.url, `http://127.0.0.1:${tp.port}`, `http://localhost:${tp.port}`]);
  await store.tenants.updateSettings(tp.tenantId, { allowedOrigins: [...origins] });
  tenants.invalidate(tp.tenantId);
}

/**
 * Stops the platform but keeps its data, so `restartOnSamePort` can bring it back. Like a process
 * that exits, it also drops the browser's idle keep-alive and pre-connected HTTP sockets: a graceful
 * close alone waits for those to time out (about a minute), far longer than a real restart takes.
 */
export async function stopKeepingData(tp: TestPlatform): Promise<void> {
  const closing = tp.close({ graceMs: 500, keepData: true });
  tp.platform.app.server.closeAllConnections();
  await closing;
}

/** A new platform on the same port and data directory (what a visitor sees as a server restart). */
export async function restartOnSamePort(tp: TestPlatform, options: StartTestPlatformOptions = {}): Promise<TestPlatform> {
  return startWidgetPlatform({ ...options, dataDir: tp.dataDir, port: tp.port });
}

