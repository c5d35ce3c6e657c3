/**
 * Browser moments when waiting for the backoff timer is pointless: the network came back
 * (`online`), the page was restored from the back/forward cache (`pageshow`), or the tab became
 * visible again (`visibilitychange`). Returns the function that stops listening.
 */
import type { LifecycleEnvironment } from './chat-client-options.ts';

export function defaultLifecycle(): LifecycleEnvironment | null {
  const scope = globalThis as { window?: unknown; document?: unknown };
  const hasListener = (value: unknown): boolean =>
    typeof value === 'object' && value !== null && typeof (value as { addEventListener?: unknown }).addEventListener === 'function';
  const win = hasListener(scope.window) ? (scope.window as LifecycleEnvironment['window']) : null;
  const doc = hasListener(scope.document) ? (scope.document as LifecycleEnvironment['document']) : null;
  return win || doc ? { window: win, document: doc } : null;
}

export function watchPageLifecycle(environment: LifecycleEnvironment | null, onWake: (reason: string) => void): () => void {
  if (!environment) return () => {};
  const { window: win, document: doc } = environment;
  const onOnline = (): void => onWake('online');
  const onPageShow = (): void => onWake('pageshow');
  const onVisibility = (): void => {
    if (!doc || doc.visibilityState === undefined || doc.visibilityState === 'visible') onWake('visible');
  };
  win?.addEventListener('online', onOnline);
  win?.addEventListener('pageshow', onPageShow);
  doc?.addEventListener('visibilitychange', onVisibility);
  return () => {
    win?.removeEventListener('online', onOnline);
    win?.removeEventListener('pageshow', onPageShow);
    doc?.removeEventListener('visibilitychange', onVisibility);
  };
}
