/**
 * How much text each element of a page holds, how much of it sits in links, and whether it holds the
 * headline: the figures prune's rules weigh a block by. Computed once, bottom-up. Pure.
 */
import { BLOCK_TAGS, NON_CONTENT, type DomNode } from './clean-dom-node.js';

export interface Stats {
  /** Characters of visible-ish text (whitespace collapsed approximately). */
  text: number;
  /** Characters inside links. */
  linkText: number;
  /** Links whose content is inline (a menu item or a teaser headline, not a whole card). */
  inlineLinks: number;
  inlineLinkText: number;
  /** Holds the page's headline (see mainHeadline in clean-dom.ts). */
  hasH1: boolean;
  hasBlock: boolean;
}

function textLength(s: string): number {
  // Counting non-space characters is cheap and close enough for shares and thresholds.
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 32 && c !== 160) n++;
  }
  return n;
}

/** Per-element text statistics, computed once bottom-up. */
export function computeStats(root: DomNode, headline: DomNode | undefined): Map<DomNode, Stats> {
  const stats = new Map<DomNode, Stats>();
  // Iterative post-order: generated pages nest deeply enough to make recursion a risk.
  const stack: Array<[DomNode, boolean]> = [[root, false]];
  while (stack.length > 0) {
    const [node, done] = stack.pop()!;
    if (!done) {
      stack.push([node, true]);
      const ch = node.children ?? [];
      for (let i = ch.length - 1; i >= 0; i--) {
        const c = ch[i]!;
        if (c.type === 'tag' || c.type === 'root') stack.push([c, false]);
      }
      continue;
    }
    const s: Stats = { text: 0, linkText: 0, inlineLinks: 0, inlineLinkText: 0, hasH1: node === headline, hasBlock: false };
    if (!(node.name && NON_CONTENT.has(node.name))) {
      for (const c of node.children ?? []) {
        if (c.type === 'text') s.text += textLength(c.data ?? '');
        else {
          const cs = stats.get(c);
          if (!cs) continue;
          s.text += cs.text;
          s.linkText += cs.linkText;
          s.inlineLinks += cs.inlineLinks;
          s.inlineLinkText += cs.inlineLinkText;
          s.hasH1 ||= cs.hasH1;
          s.hasBlock ||= cs.hasBlock || (c.name !== undefined && BLOCK_TAGS.has(c.name));
        }
      }
      if (node.name === 'a' && node.attribs?.href !== undefined) {
        s.linkText = s.text;
        if (!s.hasBlock) {
          s.inlineLinks = 1;
          s.inlineLinkText = s.text;
        }
      }
    }
    stats.set(node, s);
  }
  return stats;
}
