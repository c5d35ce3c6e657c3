/**
 * Entry of `widget.js`, the script a tenant puts on its site:
 * `<script src="https://PLATFORM/widget.js" data-tenant="…" data-key="pk_…" async></script>`.
 * Calls made before the script loaded (`window.MIPTechChat = {q: [['open']]}` style) are replayed.
 */
import { createChatClient } from '@miptech/client';
import { findWidgetScript, readEmbedOptions } from './embed-options.ts';
import { mountWidget, type MIPTechChatApi } from './mount-widget.tsx';

type QueuedCall = [method: string, ...args: unknown[]];
declare global {
  interface Window {
    MIPTechChat?: MIPTechChatApi | { q?: QueuedCall[] };
  }
}

function boot(): void {
  const existing = window.MIPTechChat;
  if (existing && 'version' in existing) return; // the script was included twice
  const script = findWidgetScript();
  const options = readEmbedOptions(script, location.href);
  if ('error' in options) {
    console.error(`[MIPTechChat] ${options.error}`);
    return;
  }
  const start = (): void => {
    const { api } = mountWidget(options, ({ getToken, storage }) =>
      createChatClient({ apiUrl: options.apiUrl, tenantId: options.tenantId, getToken, storage }),
    );
    const queued = existing && 'q' in existing && Array.isArray(existing.q) ? existing.q : [];
    window.MIPTechChat = api;
    for (const [method, ...args] of queued) {
      const fn = (api as unknown as Record<string, unknown>)[method];
      if (typeof fn === 'function') (fn as (...a: unknown[]) => unknown).apply(api, args);
    }
  };
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start, { once: true });
}

boot();
