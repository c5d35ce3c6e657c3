/**
 * Security headers of the demo pages (issue #15): a Content-Security-Policy and framing
 * protection. The pages are the platform's own, served from its origin, so everything they load is
 * 'self'; their one inline script is allowed by its hash, computed from the page as served (an
 * edit of the page cannot forget to update a hash). Styles may be inline: the pages have a
 * `<style>` block and the widget puts its stylesheet into its shadow root as a `<style>` element.
 * No other site may frame the pages (frame-ancestors, and X-Frame-Options for old browsers).
 */
import { createHash } from 'node:crypto';

const INLINE_SCRIPT = /<script>([\s\S]*?)<\/script>/g;

/** The headers for a demo page whose HTML is `html`. */
export function demoPageSecurityHeaders(html: string): Record<string, string> {
  const scriptHashes = [...html.matchAll(INLINE_SCRIPT)].map((match) => `'sha256-${createHash('sha256').update(match[1]!, 'utf8').digest('base64')}'`);
  const policy = [
    "default-src 'none'",
    `script-src 'self'${scriptHashes.map((hash) => ` ${hash}`).join('')}`,
    "style-src 'self' 'unsafe-inline'",
    // The widget's REST calls and its WebSocket go to the page's own origin.
    "connect-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'content-security-policy': policy,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
  };
}
