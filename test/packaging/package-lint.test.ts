/**
 * publint and @arethetypeswrong/cli on the tarball of every publishable package, as `npm pack`
 * makes it: zero problems. attw runs with its `esm-only` profile — these packages are ESM only by
 * design (`"type": "module"`, no `require` condition), so the CommonJS resolutions are not checked.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { packWorkspacePackages, REPO_ROOT, run } from '@miptech/testing/package-tarballs.ts';

const PUBLISHABLE = [
  '@miptech/protocol',
  '@miptech/client',
  '@miptech/react',
  '@miptech/widget',
  '@miptech/server',
  '@miptech/platform',
  '@miptech/cli',
];
/** attw's command (its package exports no entry for it). */
const ATTW = (() => {
  const manifest = createRequire(join(REPO_ROOT, 'package.json')).resolve('@arethetypeswrong/cli/package.json');
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: { attw: string } };
  return join(dirname(manifest), bin.attw);
})();

let workDir: string;
before(() => {
  workDir = mkdtempSync(join(tmpdir(), 'miptech-package-lint-'));
});
after(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

for (const name of PUBLISHABLE) {
  test(`${name}: publint and attw find no problem in its tarball`, async () => {
    const tarball = (await packWorkspacePackages([name], join(workDir, 'tarballs'))).get(name)!;

    const bytes = readFileSync(tarball);
    const tarballBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const { messages, pkg } = await publint({ pack: { tarball: tarballBuffer }, level: 'suggestion', strict: true });
    assert.deepEqual(
      messages.map((message) => `${message.type}: ${formatMessage(message, pkg, { color: false }) ?? message.code}`),
      [],
      'publint',
    );

    // attw exits non-zero when it finds a problem the profile does not ignore.
    const attw = await run(process.execPath, [ATTW, tarball, '--profile', 'esm-only', '--format', 'ascii', '--no-color'], {
      cwd: workDir,
      timeoutMs: 60_000,
    }).then(
      () => '',
      (error: Error) => error.message,
    );
    assert.equal(attw, '', 'attw');
  });
}
