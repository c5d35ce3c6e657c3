/**
 * Server-side entry of @miptech/widget: where the built bundles and the demo page templates are, so
 * the platform can serve them. (The browser entry of the widget is src/embed.ts, built to dist/widget.js.)
 */
import { fileURLToPath } from 'node:url';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));

export const WIDGET_ASSETS = {
  /** The embeddable widget, built by `npm run build`. */
  widgetScript: `${packageRoot}dist/widget.js`,
  /** The React demo's bundle, built by `npm run build`. */
  reactDemoScript: `${packageRoot}dist/demo-react.js`,
  /** Demo page templates; `{{NAME}}` placeholders are filled by the server (see demo/README.md). */
  demoPage: `${packageRoot}demo/index.html`,
  reactDemoPage: `${packageRoot}demo/react.html`,
} as const;

