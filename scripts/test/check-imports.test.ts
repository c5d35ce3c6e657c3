/**
 * The import-direction check: the workspace passes it, and each kind of forbidden import in a small
 * workspace of its own makes it fail with a line naming the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const checker = new URL('../check-imports.mjs', import.meta.url).pathname;
const repoRoot = new URL('../..', import.meta.url).pathname;

function run(root: string) {
  return spawnSync(process.execPath, [checker, root], { encoding: 'utf8' });
}

function workspace(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'import-rules-'));
  const all: Record<string, string> = {
    'package.json': JSON.stringify({ workspaces: ['packages/a', 'packages/b', 'packages/server'] }),
    'packages/a/package.json': JSON.stringify({ name: '@miptech/a' }),
    'packages/b/package.json': JSON.stringify({ name: '@miptech/b' }),
    'packages/server/package.json': JSON.stringify({ name: '@miptech/server' }),
    'import-rules.json': JSON.stringify({
      packages: { '@miptech/a': [], '@miptech/b': ['@miptech/a'], '@miptech/server': [] },
      testOnly: ['@miptech/b'],
      layers: { 'packages/server/src': { base: [], chat: ['base'] } },
    }),
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test('the workspace follows import-rules.json', () => {
  const result = run(repoRoot);
  assert.equal(result.status, 0, result.stderr);
});

test('allowed imports pass', () => {
  const root = workspace({
    'packages/b/src/index.ts': "import { x } from '@miptech/a';\nexport const y = x;\n",
    'packages/server/src/chat/chat.ts': "import { c } from '../base/config.ts';\nexport const d = c;\n",
    'packages/server/src/base/config.ts': 'export const c = 1;\n',
    'packages/a/test/a.test.ts': "import { y } from '@miptech/b';\n",
  });
  try {
    const result = run(root);
    assert.equal(result.status, 0, result.stderr);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('each forbidden import is reported', () => {
  const root = workspace({
    'packages/a/src/index.ts': "import { y } from '@miptech/b';\nexport const x = 1;\n",
    'packages/a/src/reach.ts': "export { z } from '../../b/src/z.ts';\n",
    'packages/b/src/z.ts': 'export const z = 1;\n',
    'packages/server/src/base/config.ts': "import { d } from '../chat/chat.ts';\nexport const c = d;\n",
    'packages/server/src/chat/chat.ts': 'export const d = 1;\n',
    'packages/server/src/lazy.ts': "export const load = () => import('@miptech/b');\n",
  });
  try {
    const result = run(root);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /packages\/a\/src\/index\.ts: product code imports test support @miptech\/b/);
    assert.match(result.stderr, /packages\/a\/src\/reach\.ts: '\.\.\/\.\.\/b\/src\/z\.ts' reaches outside @miptech\/a by path/);
    assert.match(result.stderr, /packages\/server\/src\/base\/config\.ts: layer 'base' may not import layer 'chat'/);
    assert.match(result.stderr, /packages\/server\/src\/lazy\.ts: product code imports test support @miptech\/b/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
