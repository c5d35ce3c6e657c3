/**
 * The ingestion worker pool on its own: it prepares exactly what the inline path prepares, a bad
 * PDF fails with the same typed AppError, the queue is bounded, close() ends the workers and
 * refuses new jobs, and the compiled package (dist/, no tsx, no source condition) runs its worker.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AppError } from '../../src/base/errors.ts';
import { createDocumentPreparerPool } from '../../src/knowledge/document-preparer-pool.ts';
import { prepareDocument } from '../../src/knowledge/prepare-document.ts';

const BAD_PDF = Buffer.from('not a pdf').toString('base64');

function largeMarkdown(sections: number): string {
  return Array.from({ length: sections }, (_, section) => `## Part ${section}\n\n${'lorem ipsum dolor sit amet '.repeat(40)}\n`).join('\n');
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AppError, `an AppError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('document preparer pool (worker threads)', () => {
  test('prepares what the inline path prepares; a bad PDF fails with the same typed error', async () => {
    const pool = createDocumentPreparerPool();
    try {
      const source = { format: 'html' as const, content: '<title>Guide</title><h1>Guide</h1><p>Returns are accepted for thirty days.</p><pre>code</pre>' };
      assert.deepEqual(await pool.prepare(source), await prepareDocument(source));
      const markdown = { format: 'markdown' as const, content: largeMarkdown(50) };
      const chunking = { maxChars: 400 };
      assert.deepEqual(await pool.prepare(markdown, chunking), await prepareDocument(markdown, chunking));

      const inline = await rejection(prepareDocument({ format: 'pdf', content: BAD_PDF }));
      const pooled = await rejection(pool.prepare({ format: 'pdf', content: BAD_PDF }));
      assert.equal(pooled.code, 'validation_error');
      assert.equal(pooled.status, 422);
      assert.equal(pooled.message, inline.message);
      assert.deepEqual(pooled.detail, inline.detail);
      const empty = await rejection(pool.prepare({ format: 'html', content: '<script>only()</script>' }));
      assert.equal(empty.code, 'validation_error');
      // The worker survives a failed job and serves the next.
      assert.ok((await pool.prepare({ format: 'text', content: 'still working' })).chunks.length === 1);
    } finally {
      await pool.close();
    }
  });

  test('jobs beyond the workers and the queue are refused 503 with Retry-After; close ends the rest', async () => {
    const pool = createDocumentPreparerPool({ size: 1, maxQueued: 1 });
    const big = { format: 'markdown' as const, content: largeMarkdown(4000) };
    const running = pool.prepare(big);
    const queued = pool.prepare(big);
    const refused = await rejection(pool.prepare(big));
    assert.equal(refused.code, 'service_unavailable');
    assert.equal(refused.status, 503);
    assert.equal(refused.retryAfter, 1);
    assert.ok((await running).chunks.length > 100);
    assert.ok((await queued).chunks.length > 100);

    // One running in the worker, one in the queue: both end when the pool closes.
    const pending = rejection(pool.prepare(big));
    const waiting = rejection(pool.prepare(big));
    await pool.close();
    assert.equal((await pending).code, 'server_shutting_down');
    assert.equal((await waiting).code, 'server_shutting_down');
    assert.equal((await rejection(pool.prepare(big))).code, 'server_shutting_down');
  });

  const compiledPool = fileURLToPath(new URL('../../dist/knowledge/document-preparer-pool.js', import.meta.url));
  test('the compiled package runs its worker from dist/ (no tsx, no source condition)', { skip: existsSync(compiledPool) ? false : 'not built: npm run build -w @miptech/server' }, async () => {
    const script = `
      const { createDocumentPreparerPool } = await import(${JSON.stringify(compiledPool)});
      const pool = createDocumentPreparerPool();
      const prepared = await pool.prepare({ format: 'markdown', content: '# Title\\n\\nSome text.' });
      let code = null;
      try { await pool.prepare({ format: 'pdf', content: ${JSON.stringify(BAD_PDF)} }); } catch (error) { code = error.code; }
      await pool.close();
      console.log(JSON.stringify({ title: prepared.parsed.title, chunks: prepared.chunks.length, code }));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, NODE_OPTIONS: '' },
      timeout: 30_000,
    });
    assert.deepEqual(JSON.parse(stdout.trim()), { title: 'Title', chunks: 1, code: 'validation_error' });
  });
});
