/**
 * Turns the Markdown tree into elements through any `createElement`-style function (Preact's `h`,
 * React's `createElement`), so the widget and the React demo share one safe renderer. Text is always
 * passed as a child string: the UI library puts it in a text node, so it can never become markup.
 */
import type { BlockNode, InlineNode } from './markdown-parser.ts';
import { parseMarkdown } from './markdown-parser.ts';

/** The common shape of Preact's `h` and React's `createElement`. */
export type CreateElement<Node> = (
  type: string,
  props: Record<string, unknown> | null,
  ...children: Array<Node | string | Array<Node | string>>
) => Node;

/** Renders Markdown `source` to a list of elements. */
export function renderMarkdown<Node>(source: string, h: CreateElement<Node>): Node[] {
  return renderBlocks(parseMarkdown(source), h);
}

function renderBlocks<Node>(blocks: BlockNode[], h: CreateElement<Node>): Node[] {
  return blocks.map((block, key) => renderBlock(block, key, h));
}

function renderBlock<Node>(block: BlockNode, key: number, h: CreateElement<Node>): Node {
  switch (block.type) {
    case 'paragraph':
      return h('p', { key }, renderInlines(block.children, h));
    case 'heading':
      // Headings inside a chat bubble are emphasis, not document outline: keep them small.
      return h('p', { key, className: 'md-heading' }, renderInlines(block.children, h));
    case 'code':
      return h('pre', { key }, h('code', null, block.text));
    case 'quote':
      return h('blockquote', { key }, renderBlocks(block.blocks, h));
    case 'list': {
      const items = block.items.map((item, index) => {
        const only = item.blocks[0];
        const tight = item.blocks.length === 1 && only?.type === 'paragraph';
        return h('li', { key: index }, tight ? renderInlines(only.children, h) : renderBlocks(item.blocks, h));
      });
      return block.ordered && block.start !== 1
        ? h('ol', { key, start: block.start }, items)
        : h(block.ordered ? 'ol' : 'ul', { key }, items);
    }
  }
}

function renderInlines<Node>(nodes: InlineNode[], h: CreateElement<Node>): Array<Node | string> {
  return nodes.map((node, key) => renderInline(node, key, h));
}

function renderInline<Node>(node: InlineNode, key: number, h: CreateElement<Node>): Node | string {
  switch (node.type) {
    case 'text':
      return node.text;
    case 'break':
      return h('br', { key });
    case 'code':
      return h('code', { key }, node.text);
    case 'strong':
      return h('strong', { key }, renderInlines(node.children, h));
    case 'em':
      return h('em', { key }, renderInlines(node.children, h));
    case 'link':
      return h('a', { key, href: node.href, target: '_blank', rel: 'noopener noreferrer' }, renderInlines(node.children, h));
  }
}
