import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInline, parseMarkdown } from '../src/markdown-parser.ts';
import { renderMarkdown, type CreateElement } from '../src/markdown-render.ts';
import { safeHref } from '../src/safe-url.ts';

/** Serialises rendered elements to HTML with escaping, the way a DOM would, to check the output. */
interface Element {
  type: string;
  props: Record<string, unknown>;
  children: Array<Element | string>;
}
const h: CreateElement<Element> = (type, props, ...children) => ({ type, props: props ?? {}, children: children.flat() as Array<Element | string> });
const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
function html(nodes: Array<Element | string>): string {
  return nodes
    .map((node) => {
      if (typeof node === 'string') return escape(node);
      const attributes = Object.entries(node.props)
        .filter(([name]) => name !== 'key')
        .map(([name, value]) => ` ${name === 'className' ? 'class' : name}="${escape(String(value))}"`)
        .join('');
      return node.type === 'br' ? '<br>' : `<${node.type}${attributes}>${html(node.children)}</${node.type}>`;
    })
    .join('');
}
const md = (source: string): string => html(renderMarkdown(source, h));

test('paragraphs, soft line breaks, bold, italic and inline code', () => {
  assert.equal(md('Hello **bold** and *it* and _it2_ and `x < y`.\nNext line\n\nSecond'), '<p>Hello <strong>bold</strong> and <em>it</em> and <em>it2</em> and <code>x &lt; y</code>.<br>Next line</p><p>Second</p>');
});

test('snake_case words and lone asterisks stay literal', () => {
  assert.equal(md('use snake_case_name and 2 * 3 * 4'), '<p>use snake_case_name and 2 * 3 * 4</p>');
});

test('unordered, ordered and nested lists', () => {
  assert.equal(md('- one\n- two\n  - inner\n- three'), '<ul><li>one</li><li><p>two</p><ul><li>inner</li></ul></li><li>three</li></ul>');
  assert.equal(md('3. a\n4. b'), '<ol start="3"><li>a</li><li>b</li></ol>');
  assert.equal(md('Intro:\n1. a\n2. b\n\nAfter'), '<p>Intro:</p><ol><li>a</li><li>b</li></ol><p>After</p>');
});

test('fenced code keeps its text verbatim, also unterminated while streaming', () => {
  assert.equal(md('```html\n<script>alert(1)</script>\n```'), '<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></pre>');
  assert.equal(md('```\nnpm start'), '<pre><code>npm start</code></pre>');
});

test('links open in a new tab without opener; unsafe schemes become plain text', () => {
  assert.equal(md('[docs](https://example.com/a_b)'), '<p><a href="https://example.com/a_b" target="_blank" rel="noopener noreferrer">docs</a></p>');
  assert.equal(md('[mail](mailto:hi@example.com)'), '<p><a href="mailto:hi@example.com" target="_blank" rel="noopener noreferrer">mail</a></p>');
  for (const url of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'java\tscript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:x', '/relative', '//evil.example']) {
    const out = md(`[click](${url})`);
    assert.ok(!out.includes('<a'), `${url} → ${out}`);
    assert.ok(out.includes('click'), out);
  }
  assert.equal(md('see https://example.com/x.'), '<p>see <a href="https://example.com/x" target="_blank" rel="noopener noreferrer">https://example.com/x</a>.</p>');
});

test('raw HTML is text, never markup', () => {
  const out = md('<img src=x onerror=alert(1)> <script>alert(2)</script> <a href="javascript:x">a</a>');
  assert.equal(out, '<p>&lt;img src=x onerror=alert(1)&gt; &lt;script&gt;alert(2)&lt;/script&gt; &lt;a href=&quot;javascript:x&quot;&gt;a&lt;/a&gt;</p>');
});

test('headings, quotes and escapes', () => {
  assert.equal(md('## Title\ntext'), '<p class="md-heading">Title</p><p>text</p>');
  assert.equal(md('> quoted **b**'), '<blockquote><p>quoted <strong>b</strong></p></blockquote>');
  assert.equal(md('\\*not italic\\*'), '<p>*not italic*</p>');
});

test('unfinished syntax while streaming stays literal', () => {
  assert.deepEqual(parseInline('a **bol'), [{ type: 'text', text: 'a **bol' }]);
  assert.deepEqual(parseInline('[lab'), [{ type: 'text', text: '[lab' }]);
});

test('hostile nesting is bounded', () => {
  const deep = '>'.repeat(500) + ' x';
  assert.ok(parseMarkdown(deep).length > 0);
  const stars = '**'.repeat(2000);
  assert.ok(parseInline(stars).length > 0);
});

test('safeHref accepts only absolute http(s) and mailto URLs', () => {
  assert.equal(safeHref('https://example.com'), 'https://example.com/');
  assert.equal(safeHref(' http://example.com/a?b=1 '), 'http://example.com/a?b=1');
  assert.equal(safeHref('mailto:a@b.c'), 'mailto:a@b.c');
  for (const bad of [null, undefined, '', 'javascript:alert(1)', ' javascript:alert(1)', 'data:,x', 'ftp://x', 'file:///etc/passwd', 'example.com', '#x']) {
    assert.equal(safeHref(bad), null, String(bad));
  }
});
