/**
 * The client-side packages as a user gets them: `npm pack` of @miptech/protocol, client, react and
 * widget, the tarballs installed (not linked) into fresh projects under the OS temp folder, run and
 * compiled there without the `@miptech/source` condition — so only dist/, the `files` list and the
 * `exports` maps are exercised:
 * (a) a Node 20 ESM script chats with a running platform and prints the streamed answer;
 * (b) `tsc --noEmit`, strict, over a file importing every public entry, with `module: NodeNext`
 *     and again with `moduleResolution: bundler`;
 * (c) an app written like the current create-vite react-ts template (its compiler options) that
 *     renders useChatSession builds with `npm run build` (tsc -b && vite build), and the built app
 *     chats with a platform in Chromium.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import { cleanPackageEnv, installTarballs, packWorkspacePackages, run } from '@miptech/testing/package-tarballs.ts';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { startWidgetPlatform } from '@miptech/testing/widget-platform.ts';
import { createScriptedEngine } from '@miptech/testing/scripted-engine.ts';
import { api } from '@miptech/testing/api-client.ts';

const CLIENT_PACKAGES = ['@miptech/protocol', '@miptech/client', '@miptech/react', '@miptech/widget'];
const STEP_TIMEOUT_MS = 120_000;
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** As in packages/widget/test/support/browser.ts: headless, no sandbox, no background network. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** The versions of the create-vite 9.3 react-ts template, pinned so the test is repeatable. */
const VITE_TEMPLATE_DEPENDENCIES = { react: '19.3.1', 'react-dom': '19.3.1' };
const VITE_TEMPLATE_DEV_DEPENDENCIES = {
  '@types/node': '20.19.43',
  '@types/react': '19.3.0',
  '@types/react-dom': '19.3.0',
  '@vitejs/plugin-react': '6.3.1',
  typescript: '7.0.2',
  vite: '8.4.1',
};

let workDir: string;
let tarballs: Map<string, string>;
let nodeProject: string;

before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'miptech-consumers-'));
  tarballs = await packWorkspacePackages(CLIENT_PACKAGES, join(workDir, 'tarballs'));
  nodeProject = join(workDir, 'node-consumer');
  await installTarballs(nodeProject, tarballs, {
    extraDependencies: { ws: '8.23.0', react: '18.3.1' },
    extraDevDependencies: { typescript: '5.9.3', '@types/react': '18.3.31' },
    timeoutMs: STEP_TIMEOUT_MS,
  });
});

after(() => {
  // MIPTECH_KEEP_CONSUMERS=1 keeps the projects for a look after a failure.
  if (workDir && process.env.MIPTECH_KEEP_CONSUMERS !== '1') rmSync(workDir, { recursive: true, force: true });
  else if (workDir) console.log(`consumer projects kept in ${workDir}`);
});

test('the tarballs hold dist/, README and LICENSE, and no tests', async () => {
  for (const [name, tarball] of tarballs) {
    const { stdout } = await run('tar', ['tzf', tarball], { cwd: workDir, timeoutMs: 10_000 });
    const files = stdout.trim().split('\n');
    assert.ok(files.includes('package/dist/index.js'), `${name} ships dist/index.js`);
    assert.ok(files.includes('package/dist/index.d.ts'), `${name} ships dist/index.d.ts`);
    assert.ok(files.includes('package/dist/index.js.map'), `${name} ships source maps`);
    assert.ok(files.includes('package/README.md'), `${name} ships a README`);
    assert.ok(files.includes('package/LICENSE'), `${name} ships the LICENSE`);
    assert.deepEqual(files.filter((file) => /(^|\/)test\/|\.test\.tsx?$/.test(file)), [], `${name} ships no tests`);
  }
  const widget = (await run('tar', ['tzf', tarballs.get('@miptech/widget')!], { cwd: workDir, timeoutMs: 10_000 })).stdout.split('\n');
  for (const file of ['widget.js', 'miptech-client.js', 'assets.js', 'miptech-client.d.ts', 'assets.d.ts']) {
    assert.ok(widget.includes(`package/dist/${file}`), `the widget ships dist/${file}`);
  }
});

test('(a) a Node 20 ESM script on the installed client chats with a running platform', async (t) => {
  const chunks = ['Installed ', 'from ', 'the ', 'tarball, ', 'streamed ', 'to ', 'Node.'];
  const tp: TestPlatform = await startTestPlatform({ overrides: { engine: createScriptedEngine({ chunks, delayMs: 5 }) } });
  t.after(() => tp.close());
  const token = await tp.mintToken();

  writeFileSync(
    join(nodeProject, 'chat.mjs'),
    `import { createChatClient } from '@miptech/client';
import WebSocket from 'ws';

const { MIPTECH_API_URL: apiUrl, MIPTECH_TENANT_ID: tenantId, MIPTECH_TOKEN: token } = process.env;
const client = createChatClient({ apiUrl, tenantId, token, WebSocket, lifecycle: null });
const answered = new Promise((resolve) => client.on('response_complete', (frame) => resolve(frame.data)));
client.on('response_chunk', (frame) => process.stdout.write(frame.data.content));

await client.connect();
await client.send('Does the installed client work?');
const answer = await answered;
client.close();
console.error(JSON.stringify({ chatId: answer.chat_id, resolved: import.meta.resolve('@miptech/client') }));
`,
  );
  const { stdout, stderr } = await run(process.execPath, ['chat.mjs'], {
    cwd: nodeProject,
    timeoutMs: 30_000,
    env: cleanPackageEnv({ MIPTECH_API_URL: tp.url, MIPTECH_TENANT_ID: tp.tenantId, MIPTECH_TOKEN: token }),
  });
  const report = JSON.parse(stderr.trim().split('\n').at(-1)!) as { chatId: string; resolved: string };
  assert.match(report.resolved, /\/node-consumer\/node_modules\/@miptech\/client\/dist\/index\.js$/, 'the installed dist/, not the workspace');

  const messages = await api(tp.url, 'GET', `/api/v1/chat/${report.chatId}/messages`, { token, tenantId: tp.tenantId });
  assert.equal(messages.status, 200);
  const stored = (messages.body as { items: Array<{ role: string; content: string; status: string }> }).items.filter((m) => m.role === 'assistant');
  assert.equal(stored.length, 1);
  assert.equal(stored[0]!.status, 'complete');
  assert.equal(stdout, stored[0]!.content, 'the printed streamed answer is the stored one');
  assert.equal(stdout, chunks.join(''));
});

test('every JavaScript entry loads from the installed packages, and the widget finds its built files', async () => {
  writeFileSync(
    join(nodeProject, 'entries.mjs'),
    `import { existsSync } from 'node:fs';
const protocol = await import('@miptech/protocol');
const client = await import('@miptech/client');
const react = await import('@miptech/react');
const widget = await import('@miptech/widget');
const browserClient = await import('@miptech/widget/client.js');
const { WIDGET_ASSETS } = await import('@miptech/widget/assets');
console.log(JSON.stringify({
  protocolVersion: protocol.PROTOCOL_VERSION,
  createChatClient: typeof client.createChatClient,
  useChatSession: typeof react.useChatSession,
  mountWidget: typeof widget.mountWidget,
  renderMarkdown: typeof widget.renderMarkdown,
  browserCreateChatClient: typeof browserClient.createChatClient,
  assets: Object.values(WIDGET_ASSETS).map((path) => [path.includes('/node_modules/@miptech/widget/dist/'), existsSync(path)]),
}));
`,
  );
  const { stdout } = await run(process.execPath, ['entries.mjs'], { cwd: nodeProject, timeoutMs: 30_000 });
  assert.deepEqual(JSON.parse(stdout), {
    protocolVersion: '3.2',
    createChatClient: 'function',
    useChatSession: 'function',
    mountWidget: 'function',
    renderMarkdown: 'function',
    browserCreateChatClient: 'function',
    assets: [
      [true, true],
      [true, true],
    ],
  });
});

/** Uses every public entry, so that the compiler checks each one's declarations. */
const EVERY_ENTRY = `import { CLOSE_CODES, ERROR_CODES, PROTOCOL_VERSION, parseClientFrame, type ServerFrame } from '@miptech/protocol';
import { ChatApiError, createChatClient, type ChatClient, type ChatSnapshot } from '@miptech/client';
import { useChatSession, type ChatSession, type UseChatSessionOptions } from '@miptech/react';
import { createVisitorTokenSource, mountWidget, renderMarkdown, WIDGET_VERSION, type MIPTechChatApi } from '@miptech/widget';
import * as browserClient from '@miptech/widget/client.js';
import '@miptech/widget/widget.js';
import { WIDGET_ASSETS } from '@miptech/widget/assets';

export const version: string = PROTOCOL_VERSION;
export const goingAway: number = CLOSE_CODES.goingAway;
export const rateLimitedStatus: number = ERROR_CODES.rate_limited.status;
export const parsed = parseClientFrame('{"type":"ping"}');
export function chunkText(frame: ServerFrame<'response_chunk'>): string {
  return frame.data.content;
}

export const client: ChatClient = createChatClient({ apiUrl: 'https://api.example.com', tenantId: 'acme', token: 't' });
export const state: ChatSnapshot['connection']['state'] = client.getSnapshot().connection.state;
export const isApiError = (error: unknown): boolean => error instanceof ChatApiError;
export const sameClient: typeof createChatClient = browserClient.createChatClient;

const options: UseChatSessionOptions = { apiUrl: 'https://api.example.com', tenantId: 'acme', token: 't' };
export function useChat(): ChatSession {
  return useChatSession(options);
}

export const widgetVersion: string = WIDGET_VERSION;
export function embed(): MIPTechChatApi {
  const tokens = createVisitorTokenSource({ apiUrl: 'https://api.example.com', tenantId: 'acme', publishableKey: null, storage: window.localStorage });
  const { api } = mountWidget(
    { apiUrl: 'https://api.example.com', tenantId: 'acme', publishableKey: null, language: null },
    ({ storage }) => createChatClient({ apiUrl: 'https://api.example.com', tenantId: 'acme', getToken: tokens.getToken, storage }),
  );
  return api;
}
export const paragraphs: string[] = renderMarkdown<string>('**hi**', (type) => type);
export const widgetScript: string = WIDGET_ASSETS.widgetScript;
`;

for (const [mode, compilerOptions] of [
  ['module: NodeNext', { module: 'NodeNext', moduleResolution: 'NodeNext' }],
  ['moduleResolution: bundler', { module: 'ESNext', moduleResolution: 'bundler' }],
] as const) {
  test(`(b) strict tsc --noEmit with ${mode} over every public entry: zero errors`, async () => {
    const dir = join(nodeProject, `typecheck-${compilerOptions.moduleResolution.toLowerCase()}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'every-entry.ts'), EVERY_ENTRY);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          ...compilerOptions,
          target: 'ES2022',
          lib: ['ES2023', 'DOM', 'DOM.Iterable'],
          strict: true,
          noEmit: true,
          // The packages' own declarations are what is under test: check them too.
          skipLibCheck: false,
          verbatimModuleSyntax: true,
          types: [],
        },
        files: ['every-entry.ts'],
      }),
    );
    const tsc = join(nodeProject, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { cwd: dir, timeoutMs: STEP_TIMEOUT_MS }).catch(
      (error: Error) => ({ stdout: error.message, stderr: '' }),
    );
    assert.equal(result.stdout.trim(), '', 'no compiler errors');
  });
}

test('(c) a create-vite react-ts app rendering useChatSession builds (tsc -b && vite build) and chats in Chromium', async (t) => {
  const chunks = ['Built ', 'with ', 'Vite ', 'from ', 'the ', 'tarballs.'];
  // Closed in this order: the page's socket first, so the platform need not wait for it.
  const cleanup: Array<() => Promise<unknown>> = [];
  t.after(async () => {
    for (const step of cleanup.reverse()) await step();
  });
  const tp: TestPlatform = await startWidgetPlatform({ overrides: { engine: createScriptedEngine({ chunks, delayMs: 5 }) } });
  cleanup.push(() => tp.close());

  const app = join(workDir, 'vite-react-ts');
  writeViteReactTsApp(app);
  await installTarballs(
    app,
    new Map(['@miptech/protocol', '@miptech/client', '@miptech/react'].map((name) => [name, tarballs.get(name)!])),
    { extraDependencies: VITE_TEMPLATE_DEPENDENCIES, extraDevDependencies: VITE_TEMPLATE_DEV_DEPENDENCIES, timeoutMs: STEP_TIMEOUT_MS },
  );
  const env = cleanPackageEnv({ VITE_MIPTECH_API_URL: tp.url, VITE_MIPTECH_TENANT_ID: tp.tenantId, VITE_MIPTECH_TOKEN: await tp.mintToken() });
  const { stdout } = await run('npm', ['run', 'build'], { cwd: app, timeoutMs: STEP_TIMEOUT_MS, env });
  assert.match(stdout, /built in/);
  const bundles = readdirSync(join(app, 'dist', 'assets')).filter((file) => file.endsWith('.js'));
  assert.equal(bundles.length, 1);
  assert.ok(readFileSync(join(app, 'dist', 'assets', bundles[0]!), 'utf8').includes('/api/v1/ws/chat'), 'the client is in the bundle');

  // The built app from its own origin (allowed by the tenant), in Chromium, against the platform.
  const site = await serveFolder(join(app, 'dist'));
  cleanup.push(() => site.close());
  await allowOrigin(tp, site.url);
  const profile = mkdtempSync(join(tmpdir(), 'miptech-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
  cleanup.push(async () => {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  });
  browser.setDefaultTimeout(15_000);
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(site.url);
  await page.getByText('Connection: ready').waitFor();
  await page.getByRole('textbox', { name: 'Message' }).fill('Does the Vite app work?');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByText(`assistant: ${chunks.join('')}`).waitFor();
  await page.getByText('user: Does the Vite app work?').waitFor();
  assert.deepEqual(errors, []);
});

/** A static file server for a built app (index.html for `/`), on 127.0.0.1 and a free port. */
async function serveFolder(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const file = normalize(join(dir, path === '/' ? 'index.html' : path));
    if (!file.startsWith(dir) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': `${types[extname(file)] ?? 'application/octet-stream'}; charset=utf-8` });
    response.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function allowOrigin(tp: TestPlatform, origin: string): Promise<void> {
  const { store, tenants } = tp.platform.services;
  const tenant = (await store.tenants.get(tp.tenantId))!;
  await store.tenants.updateSettings(tp.tenantId, { allowedOrigins: [...tenant.settings.allowedOrigins, origin] });
  tenants.invalidate(tp.tenantId);
}

/** The files of create-vite 9.3's react-ts template (its compiler options unchanged), with an App that chats. */
function writeViteReactTsApp(dir: string): void {
  mkdirSync(join(dir, 'src'), { recursive: true });
  const files: Record<string, string> = {
    'package.json': JSON.stringify(
      {
        name: 'vite-react-typescript-starter',
        private: true,
        version: '0.0.0',
        type: 'module',
        scripts: { dev: 'vite', build: 'tsc -b && vite build', preview: 'vite preview' },
      },
      null,
      2,
    ),
    'index.html': `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <title>Vite + React + TS</title>
  </head>
  <body>
    <div id="root"></div>
    <script type="module" src="/src/main.tsx"></script>
  </body>
</html>
`,
    'tsconfig.json': JSON.stringify({ files: [], references: [{ path: './tsconfig.app.json' }, { path: './tsconfig.node.json' }] }, null, 2),
    'tsconfig.app.json': JSON.stringify(
      {
        compilerOptions: {
          tsBuildInfoFile: './node_modules/.tmp/tsconfig.app.tsbuildinfo',
          target: 'es2023',
          lib: ['ES2023', 'DOM'],
          module: 'esnext',
          types: ['vite/client'],
          allowArbitraryExtensions: true,
          skipLibCheck: true,
          moduleResolution: 'bundler',
          allowImportingTsExtensions: true,
          verbatimModuleSyntax: true,
          moduleDetection: 'force',
          noEmit: true,
          jsx: 'react-jsx',
          noUnusedLocals: true,
          noUnusedParameters: true,
          erasableSyntaxOnly: true,
          noFallthroughCasesInSwitch: true,
        },
        include: ['src'],
      },
      null,
      2,
    ),
    'tsconfig.node.json': JSON.stringify(
      {
        compilerOptions: {
          tsBuildInfoFile: './node_modules/.tmp/tsconfig.node.tsbuildinfo',
          target: 'es2023',
          lib: ['ES2023'],
          types: ['node'],
          skipLibCheck: true,
          module: 'nodenext',
          allowImportingTsExtensions: true,
          verbatimModuleSyntax: true,
          moduleDetection: 'force',
          noEmit: true,
          noUnusedLocals: true,
          noUnusedParameters: true,
          erasableSyntaxOnly: true,
          noFallthroughCasesInSwitch: true,
        },
        include: ['vite.config.ts'],
      },
      null,
      2,
    ),
    'vite.config.ts': `import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

export default defineConfig({
  plugins: [react()],
})
`,
    'src/main.tsx': `import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import App from './App.tsx'

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
`,
    'src/App.tsx': `import { useState, type FormEvent } from 'react'
import { useChatSession } from '@miptech/react'

function App() {
  const { status, messages, streamingContent, sendMessage } = useChatSession({
    apiUrl: import.meta.env.VITE_MIPTECH_API_URL,
    tenantId: import.meta.env.VITE_MIPTECH_TENANT_ID,
    getToken: async () => import.meta.env.VITE_MIPTECH_TOKEN,
  })
  const [text, setText] = useState('')

  const submit = (event: FormEvent) => {
    event.preventDefault()
    void sendMessage(text)
    setText('')
  }

  return (
    <main>
      <p>Connection: {status}</p>
      <ul>
        {messages.map((message) => (
          <li key={message.clientMessageId ?? message.id}>
            {message.role}: {message.content}
          </li>
        ))}
      </ul>
      {streamingContent && <p>{streamingContent}</p>}
      <form onSubmit={submit}>
        <input aria-label="Message" value={text} onChange={(event) => setText(event.target.value)} />
        <button type="submit">Send</button>
      </form>
    </main>
  )
}

export default App
`,
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}
