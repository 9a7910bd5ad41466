/**
 * The visible text of what prune keeps: a subtree as one collapsed line (flatText) or as one line
 * per block element (blockText). What never shows as text is left out, except the toggles of
 * accordions (keepControlText). Pure.
 */
import { BLOCK_TAGS, NON_CONTENT, type DomNode } from './clean-dom-node.js';

export const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The text of a subtree, as one collapsed line (for short elements: headings, banners). */
export function flatText(node: DomNode): string {
  let out = '';
  const stack: DomNode[] = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.type === 'text') out += n.data ?? '';
    else if (n.type === 'tag' || n.type === 'root') {
      if (n !== node && n.name && NON_CONTENT.has(n.name) && !keepControlText(n)) continue;
      if (n.name && BLOCK_TAGS.has(n.name)) out += ' ';
      const ch = n.children ?? [];
      for (let i = ch.length - 1; i >= 0; i--) stack.push(ch[i]!);
    }
  }
  return collapse(out);
}

/**
 * Buttons and labels are form chrome ("Subscribe", "Email*"), except the toggles of accordions,
 * which often hold an FAQ's questions: a button that controls a panel, a label that asks something.
 */
export function keepControlText(el: DomNode): boolean {
  if (el.name === 'button') {
    const a = el.attribs ?? {};
    if (a['aria-expanded'] === undefined && a['aria-controls'] === undefined) return false;
    return flatTextRaw(el).length >= 12;
  }
  if (el.name === 'label') {
    const text = flatTextRaw(el);
    return text.length >= 12 && text.endsWith('?');
  }
  return false;
}

function flatTextRaw(el: DomNode): string {
  return collapse(collapseChildrenText(el));
}

export function collapseChildrenText(n: DomNode): string {
  let out = '';
  const stack = [n];
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (x.type === 'text') out += x.data ?? '';
    else if (x.children) for (let i = x.children.length - 1; i >= 0; i--) stack.push(x.children[i]!);
  }
  return out;
}

/** A line that ends a sentence (or a label, a quote, a bracket): what follows starts a new one. */
const SENTENCE_CLOSED = /[.!?:;…。！？"”»)\]]$/u;

/** A line of at least this many links, next to no other words, is a row of links (a menu written inline), not text. */
const LINK_ROW_MIN_LINKS = 3;
const LINK_ROW_LINK_SHARE = 0.9;

/**
 * Visible text, one line per block element, whitespace inside a line collapsed to single spaces.
 * A line that is only a row of links ("About Pricing Customers Blog", links side by side in the
 * content with no list or nav around them) is left out: block rules see no element to remove.
 */
export function blockText(root: DomNode, onHeading?: (level: number, node: DomNode) => void): string {
  const lines: string[] = [];
  let line = '';
  let links = 0;
  let linkLetters = 0;
  const letters = (t: string) => t.match(/\p{L}/gu)?.length ?? 0;
  // A <br> before the line just ended: the line may go on a sentence the break cut.
  let afterBr = false;
  const breakLine = (br = false) => {
    const text = collapse(line);
    const linkRow = links >= LINK_ROW_MIN_LINKS && linkLetters >= LINK_ROW_LINK_SHARE * letters(text);
    const last = lines.length - 1;
    if (text && !linkRow && lines[last] !== text) {
      // "... von Open Source Projekten<br>oder in die Begleitung ... Initiativen.": a sentence set
      // in short lines goes on in small letters after a line that ends no sentence, and ends one
      // (a name and a handle or an address under it do not); it stays one line.
      if (afterBr && last >= 0 && !SENTENCE_CLOSED.test(lines[last]!) && /^\p{Ll}/u.test(text) && /[.!?…。！？]$/u.test(text)) lines[last] += ` ${text}`;
      else lines.push(text);
    }
    afterBr = br && text !== '';
    line = '';
    links = 0;
    linkLetters = 0;
  };
  const inLink = (n: DomNode) => {
    for (let p = n.parent; p; p = p.parent) if (p.name === 'a') return true;
    return false;
  };
  const stack: Array<DomNode | 'break'> = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node === 'break') {
      breakLine();
      continue;
    }
    if (node.type === 'text') {
      line += node.data ?? '';
      if (inLink(node)) linkLetters += letters(node.data ?? '');
      continue;
    }
    if (node.type !== 'tag' && node.type !== 'root') continue;
    if (node.name === 'a') links++;
    if (node.name && NON_CONTENT.has(node.name) && !keepControlText(node)) continue;
    if (onHeading && node.name && /^h[1-3]$/.test(node.name)) onHeading(Number(node.name[1]), node);
    if (node.name === 'br') {
      breakLine(true);
      continue;
    }
    const block = node.name !== undefined && BLOCK_TAGS.has(node.name);
    if (block) {
      breakLine();
      stack.push('break');
    }
    const children = node.children ?? [];
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  breakLine();
  return lines.join('\n');
}
