/** What the embedding page told the widget through its `<script>` tag. */
export interface EmbedOptions {
  tenantId: string;
  publishableKey: string | null;
  /** Platform origin (no trailing slash): `data-api`, else the origin the script was loaded from. */
  apiUrl: string;
  /** `data-lang`: overrides the page language. */
  language: string | null;
}

/**
 * Reads the embed options from the widget's own script tag:
 * `<script src="https://PLATFORM/widget.js" data-tenant="…" data-key="pk_…" data-lang="it" data-api="…">`.
 * Returns null (and the caller logs why) when there is no tenant.
 */
export function readEmbedOptions(script: HTMLScriptElement | null, pageUrl: string): EmbedOptions | { error: string } {
  if (!script) return { error: 'could not find the widget <script> tag' };
  const tenantId = script.dataset.tenant?.trim();
  if (!tenantId) return { error: 'the <script> tag needs data-tenant="your-tenant-id"' };
  const fallbackOrigin = script.src ? new URL(script.src, pageUrl).origin : new URL(pageUrl).origin;
  let apiUrl = fallbackOrigin;
  const apiAttribute = script.dataset.api?.trim();
  if (apiAttribute) {
    try {
      const parsed = new URL(apiAttribute, pageUrl);
      apiUrl = `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, '');
    } catch {
      return { error: `data-api is not a URL: ${apiAttribute}` };
    }
  }
  return {
    tenantId,
    publishableKey: script.dataset.key?.trim() || null,
    apiUrl,
    language: script.dataset.lang?.trim() || null,
  };
}

/**
 * The widget's script element. `document.currentScript` is set while a classic (also async) script
 * runs; the selector is the fallback for loaders that inject the code another way.
 */
export function findWidgetScript(): HTMLScriptElement | null {
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement && current.dataset.tenant !== undefined) return current;
  return document.querySelector<HTMLScriptElement>('script[data-tenant][src*="widget"]');
}
