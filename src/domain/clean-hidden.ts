/**
 * Which elements of a page are hidden from people: by attribute (hidden, aria-hidden), by inline
 * style (display:none, off-screen, zero size, ...), by the hiding classes of common frameworks, and
 * by simple rules of the page's own stylesheets. Pure.
 */
import type { DomNode } from './clean-dom-node.js';

const HIDDEN_STYLE = new RegExp(
  [
    String.raw`(?:^|;)\s*display\s*:\s*none`,
    String.raw`(?:^|;)\s*visibility\s*:\s*(?:hidden|collapse)`,
    String.raw`(?:^|;)\s*opacity\s*:\s*0*(?:\.0+)?\s*(?:!important\s*)?(?:;|$)`,
    String.raw`(?:^|;)\s*font-size\s*:\s*0+(?:\.0+)?(?:px|em|rem|pt|%)?\s*(?:!important\s*)?(?:;|$)`,
    // Off-screen: thousands of pixels left or up (page layouts use a few hundred).
    String.raw`(?:^|;)\s*(?:left|top|text-indent)\s*:\s*-\d{4,}(?:\.\d+)?px`,
    String.raw`(?:^|;)\s*(?:left|top|text-indent)\s*:\s*-\d{3,}(?:\.\d+)?(?:em|rem)`,
    String.raw`(?:^|;)\s*color\s*:\s*transparent`,
    String.raw`(?:^|;)\s*clip\s*:\s*rect\(\s*0`,
    String.raw`(?:^|;)\s*transform\s*:\s*scale\(\s*0\s*\)`,
  ].join('|'),
  'i',
);
// Zero-size boxes: width or height 0 with the overflow clipped.
const ZERO_SIZE = /(?:^|;)\s*(?:max-)?(?:width|height)\s*:\s*0(?:px)?\s*(?:!important\s*)?(?:;|$)/i;
const OVERFLOW_HIDDEN = /(?:^|;)\s*overflow\s*:\s*hidden/i;

// Classes that hide an element (Bootstrap, Tailwind, WordPress, screen-reader-only text) ...
const HIDDEN_CLASSES = new Set(['hidden', 'd-none', 'is-hidden', 'hide', 'invisible', 'sr-only', 'visually-hidden', 'screen-reader-text', 'screen-reader-only', 'visuallyhidden', 'element-invisible', 'u-hidden', 'hidden-xs-up']);
// ... unless a responsive variant shows it again on some screen.
const RESPONSIVE_SHOW = /(?:^|\s)(?:[a-z0-9]+:(?:block|flex|grid|inline|inline-block|inline-flex|table|contents)|d-[a-z]+-(?:block|flex|inline|inline-block|grid|table)|visible-[a-z]+)(?:\s|$)/;

/** Selectors of simple rules in the page's own stylesheets that hide elements: `.x{display:none}`, `#y{visibility:hidden}`. */
export function hiddenByStylesheet(css: string): { classes: Set<string>; ids: Set<string> } {
  const classes = new Set<string>();
  const ids = new Set<string>();
  // Top-level rules only: a rule inside @media hides on some screens and shows on others.
  let depth = 0;
  let start = 0;
  for (let i = 0; i < css.length; i++) {
    const c = css[i];
    if (c === '{') {
      if (depth === 0) {
        const selector = css.slice(start, i).trim();
        const end = css.indexOf('}', i);
        if (end < 0) break;
        const body = css.slice(i + 1, end);
        if (!selector.startsWith('@') && /display\s*:\s*none|visibility\s*:\s*hidden/i.test(body)) {
          for (const part of selector.split(',')) {
            const m = /^\s*(?:[a-z0-9]+)?([.#])([A-Za-z_][\w-]*)\s*$/.exec(part);
            if (m) (m[1] === '.' ? classes : ids).add(m[2]!);
          }
          i = end;
          start = end + 1;
          continue;
        }
      }
      depth++;
    } else if (c === '}') {
      depth = Math.max(0, depth - 1);
      if (depth === 0) start = i + 1;
    }
  }
  return { classes, ids };
}

/** Class and id names the page's own stylesheets hide (see hiddenByStylesheet). */
export interface HiddenSelectors {
  hiddenClasses: Set<string>;
  hiddenIds: Set<string>;
}

export function isHidden(el: DomNode, ctx: HiddenSelectors): boolean {
  const a = el.attribs ?? {};
  if (a.hidden !== undefined) return true;
  if (a['aria-hidden'] === 'true') return true;
  if (el.name === 'input' && a.type?.toLowerCase() === 'hidden') return true;
  const style = a.style;
  if (style && (HIDDEN_STYLE.test(style) || (ZERO_SIZE.test(style) && OVERFLOW_HIDDEN.test(style)))) return true;
  const cls = a.class;
  if (cls) {
    const tokens = cls.split(/\s+/);
    if (tokens.some((t) => HIDDEN_CLASSES.has(t) || ctx.hiddenClasses.has(t)) && !RESPONSIVE_SHOW.test(cls)) return true;
  }
  if (a.id && ctx.hiddenIds.has(a.id)) return true;
  return false;
}
