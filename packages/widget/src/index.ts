/**
 * `@miptech/widget` for bundlers: the widget as an ES module (`mountWidget`), plus the pieces the
 * platform's React demo shares with it (safe Markdown, safe links, visitor tokens, storage).
 *
 * Browser code only — no `node:` imports. The `<script>` build is `@miptech/widget/widget.js`
 * (src/embed.ts), the browser ESM build of the client is `@miptech/widget/client.js`, and where the
 * built files are on disk (for a server that serves them) is `@miptech/widget/assets`.
 */
export { mountWidget, WIDGET_VERSION, type MIPTechChatApi } from './mount-widget.tsx';
export type { EmbedOptions } from './embed-options.ts';
export type { WidgetEvents, CreateClientOptions, WidgetControllerOptions, WidgetController } from './widget-controller.ts';
export { renderMarkdown, type CreateElement } from './markdown-render.ts';
export { safeHref } from './safe-url.ts';
export { safeStorage, memoryStorage, prefixedStorage, type KeyValueStorage } from './safe-storage.ts';
export { createVisitorTokenSource, type VisitorTokenSource, type VisitorTokenSourceOptions } from './visitor-token-source.ts';
