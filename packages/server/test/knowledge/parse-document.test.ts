import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFromName, parseDocumentSource } from '../../src/knowledge/parse-document.ts';
import { parseHtml } from '../../src/knowledge/parse-html.ts';
import { AppError } from '../../src/base/errors.ts';
import { makeTestPdf } from './make-test-pdf.ts';

const page = `<!doctype html>
<html lang="en">
<head>
  <title>Shipping | Acme</title>
  <link rel="canonical" href="/help/shipping">
  <script>window.tracking = "SECRET_SCRIPT_TEXT";</script>
  <style>.x { color: red } /* STYLE_TEXT */</style>
</head>
<body>
  <header><div class="logo">Acme</div><nav><a href="/">Home</a> <a href="/help/returns">Returns</a></nav></header>
  <div class="cookie-banner">We use cookies COOKIE_TEXT</div>
  <main>
    <article>
      <h1>Shipping &amp; delivery</h1>
      <p>Orders ship within <strong>2 business days</strong>. Read the <a href="returns">returns policy</a>.</p>
      <h2>Countries</h2>
      <ul><li>Italy</li><li>France<ul><li>Corsica too</li></ul></li></ul>
      <h2>Tracking</h2>
      <pre><code class="language-bash">curl https://acme.test/track?id=42
echo done</code></pre>
      <table><tr><th>Method</th><th>Days</th></tr><tr><td>Express</td><td>1</td></tr></table>
      <div hidden>HIDDEN_TEXT</div>
      <aside>ASIDE_TEXT</aside>
    </article>
  </main>
  <footer>FOOTER_TEXT © Acme</footer>
</body>
</html>`;

test('HTML: content kept as Markdown, boilerplate dropped, title and canonical URL kept', () => {
  const parsed = parseHtml(page, { url: 'https://acme.test/help/shipping?utm=x' });
  assert.equal(parsed.title, 'Shipping & delivery');
  assert.equal(parsed.url, 'https://acme.test/help/shipping');
  assert.match(parsed.text, /^# Shipping & delivery$/m);
  assert.match(parsed.text, /Orders ship within \*\*2 business days\*\*/);
  assert.match(parsed.text, /\[returns policy\]\(https:\/\/acme\.test\/help\/returns\)/);
  assert.match(parsed.text, /^## Countries\n\n- Italy\n- France\n {2}- Corsica too$/m);
  assert.match(parsed.text, /```bash\ncurl https:\/\/acme\.test\/track\?id=42\necho done\n```/);
  assert.match(parsed.text, /\| Method \| Days \|\n\| --- \| --- \|\n\| Express \| 1 \|/);
  for (const boilerplate of ['SECRET_SCRIPT_TEXT', 'STYLE_TEXT', 'COOKIE_TEXT', 'HIDDEN_TEXT', 'ASIDE_TEXT', 'FOOTER_TEXT', 'Home']) {
    assert.ok(!parsed.text.includes(boilerplate), boilerplate);
  }
  assert.ok(parsed.links.includes('https://acme.test/help/returns'));
  assert.ok(parsed.links.includes('https://acme.test/'));
});

test('HTML without <main> keeps the body and still drops page header and footer', () => {
  const parsed = parseHtml('<html><head><title>Plain page</title></head><body><header>TOP</header><p>Body text here.</p><footer>BOTTOM</footer></body></html>');
  assert.equal(parsed.title, 'Plain page');
  assert.equal(parsed.text, 'Body text here.');
  assert.equal(parseHtml('<meta name="robots" content="noindex, nofollow"><p>x</p>').robots.noindex, true);
});

test('HTML that is broken still parses', () => {
  const parsed = parseHtml('<p>Unclosed <b>bold <i>and <p>next paragraph &lt;not a tag&gt;');
  assert.match(parsed.text, /Unclosed \*\*bold and/);
  assert.match(parsed.text, /<not a tag>/);
});

test('Markdown: front matter title, comments removed, H1 fallback title', async () => {
  const parsed = await parseDocumentSource({ format: 'markdown', content: '---\ntitle: "Widget guide"\n---\n<!-- hidden -->\n# Embedding\r\n\r\nText.  \n\n\n\nMore.' });
  assert.equal(parsed.title, 'Widget guide');
  assert.equal(parsed.text, '# Embedding\n\nText.\n\nMore.');
  const second = await parseDocumentSource({ format: 'markdown', content: '# The `config` file\n\nBody' });
  assert.equal(second.title, 'The config file');
  const named = await parseDocumentSource({ format: 'markdown', content: 'no heading', fileName: 'docs/faq.md' });
  assert.equal(named.title, 'faq');
});

test('plain text: first short line is the title', async () => {
  const parsed = await parseDocumentSource({ format: 'text', content: '\uFEFFOpening hours\n\nWe are open 9 to 5.' });
  assert.equal(parsed.title, 'Opening hours');
  assert.equal(parsed.text, 'Opening hours\n\nWe are open 9 to 5.');
  const given = await parseDocumentSource({ format: 'text', content: 'x', title: 'Given' });
  assert.equal(given.title, 'Given');
});

test('PDF: the text layer of every page, title from metadata; a broken file is a validation error', async () => {
  const pdf = makeTestPdf([['Refund policy', 'Refunds are paid within 14 days.'], ['Second page (with parens)']], 'Acme Refunds');
  const parsed = await parseDocumentSource({ format: 'pdf', content: pdf });
  assert.equal(parsed.title, 'Acme Refunds');
  assert.match(parsed.text, /Refunds are paid within 14 days\./);
  assert.match(parsed.text, /Second page \(with parens\)/);
  const fromBase64 = await parseDocumentSource({ format: 'pdf', content: Buffer.from(pdf).toString('base64') });
  assert.equal(fromBase64.text, parsed.text);
  await assert.rejects(
    parseDocumentSource({ format: 'pdf', content: new Uint8Array([1, 2, 3, 4]) }),
    (error: unknown) => error instanceof AppError && error.code === 'validation_error',
  );
});

test('format from a file name or URL', () => {
  assert.equal(formatFromName('docs/a.md'), 'markdown');
  assert.equal(formatFromName('https://x.test/page.html?x=1'), 'html');
  assert.equal(formatFromName('notes.TXT'), 'text');
  assert.equal(formatFromName('file.pdf'), 'pdf');
  assert.equal(formatFromName('archive.zip'), null);
});
