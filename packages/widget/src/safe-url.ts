const ALLOWED_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/**
 * Returns a normalised absolute URL when `raw` is safe to put in an `href`, otherwise `null`.
 * Only http(s) and mailto are allowed: `javascript:`, `data:`, `vbscript:` and relative URLs (which
 * would resolve against the host page) are refused. Parsing with `URL` first means obfuscations like
 * `java\tscript:` or upper case are judged the way the browser would judge them.
 */
export function safeHref(raw: string | null | undefined): string | null {
  if (typeof raw !== 'string') return null;
  const trimmed = raw.trim();
  if (trimmed === '' || /[\u0000-\u001f\u007f\s]/.test(trimmed)) return null;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return null;
  }
  return ALLOWED_PROTOCOLS.has(url.protocol) ? url.href : null;
}
