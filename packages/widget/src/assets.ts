/**
 * `@miptech/widget/assets` — Node only: where the built browser files are, so a server can serve
 * them. Kept out of the package's main entry, which is browser code.
 */
import { fileURLToPath } from 'node:url';

// From src/ (development) and dist/ (installed) alike, the package root is one folder up.
const packageRoot = fileURLToPath(new URL('..', import.meta.url));

export const WIDGET_ASSETS = {
  /** The embeddable widget, one IIFE script (`<script src=…>`), built by `npm run build`. */
  widgetScript: `${packageRoot}dist/widget.js`,
  /** The client SDK as one self-contained ES module, for `<script type="module">` pages. */
  clientModule: `${packageRoot}dist/miptech-client.js`,
} as const;
