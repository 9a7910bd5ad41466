/**
 * The DOM side of cleanPage: which elements of a parsed page are not main content (hidden from
 * people, site chrome, consent banners, forms, related-post and teaser blocks, comments, bylines,
 * share and tag lists, sidebars and menus built from plain divs), removed by prune. What counts as
 * hidden is in clean-hidden.ts, the per-element figures the rules weigh in clean-stats.ts, and the
 * visible text of the rest in clean-text.ts. Works on the domhandler tree cheerio parses into, in a
 * few linear passes. Pure.
 */
import { isElement, NON_CONTENT, type DomNode } from './clean-dom-node.js';
import { isHidden, type HiddenSelectors } from './clean-hidden.js';
import { computeStats, type Stats } from './clean-stats.js';
import { collapseChildrenText, flatText, keepControlText } from './clean-text.js';

// Where a sentence lives: the block a form control's sentence is cut out with.
const SENTENCE_BLOCKS = new Set(['p', 'li', 'dd', 'dt', 'td', 'th', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'div', 'span', 'figcaption', 'blockquote', 'section']);

// Consent management platforms, by the names their banners carry. Not Adobe AEM's `cmp-*`
// component classes (cmp-text, cmp-container, ...), which hold the content of AEM-built sites.
const CONSENT_NAME =
  /cookie|consent|gdpr|onetrust|optanon|cookiebot|cybot|didomi|usercentrics|quantcast|qc-cmp|truste|trustarc|cc-window|cc-banner|cmpbox|cmpwrapper|iubenda|termly|osano|klaro|borlabs|complianz|cookieyes|cky-consent|cookie-law|sp_message|sp-message/i;
const CONSENT_TEXT = /cookie/i;
const CONSENT_ACTION = /accept|agree|allow all|got it|i understand|einverstanden|akzeptieren|zustimmen|alle zulassen|accepter|j'accepte|aceptar|accetta|aceitar|ok\b/i;
const CONSENT_MAX_CHARS = 2000;

// Parts of class and id names (split at -, _ and camelCase) that name boilerplate inside the content area.
const BOILERPLATE_PARTS = new Set([
  'related', 'relatedposts', 'comment', 'comments', 'commentlist', 'disqus', 'dsq', 'livefyre', 'share', 'sharing', 'sharedaddy',
  'addtoany', 'addthis', 'sharethis', 'newsletter', 'subscribe', 'subscription', 'optin', 'mailchimp', 'sidebar', 'breadcrumb',
  'breadcrumbs', 'outbrain', 'taboola', 'zergnet', 'recirc', 'trending', 'byline', 'cookie', 'cookies',
  'consent', 'gdpr', 'advert', 'advertisement', 'adsbygoogle', 'adslot', 'adunit', 'dfp', 'mostread', 'mostpopular', 'onetrust',
  'cookiebot', 'usercentrics', 'didomi', 'cmpbox', 'skiplink', 'socialshare', 'socialbar', 'relatedarticles', 'recommended',
  'recommendations', 'promoted', 'sponsored', 'sponsor', 'sponsors', 'suggested', 'recirculation', 'keepreading', 'readmore',
  'moreposts', 'morestories', 'postpreview', 'teasers', 'upsell', 'crosssell',
]);
// Whole class or id names of boilerplate (too generic as parts).
const BOILERPLATE_NAMES = new Set([
  'tags', 'tag-list', 'taglist', 'tag-cloud', 'tagcloud', 'post-tags', 'entry-tags', 'tags-links', 'article-tags', 'author',
  'post-author', 'author-info', 'author-bio', 'author-box', 'about-author', 'article-author', 'entry-meta', 'post-meta',
  'article-meta', 'entry-footer', 'post-footer', 'footer', 'site-footer', 'global-footer', 'page-footer', 'site-header',
  'global-header', 'menu', 'main-menu', 'mega-menu', 'navbar', 'nav', 'navigation', 'site-nav', 'topbar', 'top-bar',
  'toolbar', 'utility-nav', 'skip-link', 'skip-to-content', 'popular-posts', 'popular', 'more-stories', 'read-next',
  'readnext', 'you-may-like', 'ad', 'ads', 'ad-container', 'ad-slot', 'social-share', 'social-links', 'social-icons',
  'social-media', 'socials', 'follow-us', 'post-navigation', 'nav-links', 'prev-next', 'widget-area', 'signup', 'sign-up',
  'modal', 'popup', 'cta-newsletter', 'site-info', 'copyright', 'colophon', 'secondary', 'masthead', 'latest-news',
  'top-stories', 'more-from', 'recent-posts', 'pagination', 'pager', 'page-numbers', 'paging', 'wp-pagenavi',
]);
// Modifier names say what a block has or how it shows, not what it is: "has-sidebar" wraps the
// whole layout, "td_with_ajax_pagination" a list of articles.
const MODIFIER = /^(?:has|with|no|is|show|hide|enable|disable|without|can|allow)$|_with_|_has_/;
// A price: a currency sign or code next to a number.
const PRICE = /(?:[$€£¥₹]|\b(?:EUR|USD|GBP|CHF)\b)\s?\d|\d(?:[\d.,\s]*\d)?\s?(?:[$€£¥₹]|\b(?:EUR|USD|GBP|CHF|Euro)\b)/;
// A short line that leads into a list of links to other stories: "Read more:", "Leia mais:".
const LEAD_IN = /^(?:read (?:more|also|next)|related(?: stories| articles| posts)?|see also|more on this|more:|also read|lesen sie auch|mehr zum thema|lire aussi|à lire aussi|leia (?:mais|também)|veja também|lea también|leer más|te puede interesar|potrebbe interessarti|leggi anche)\s*:?$/i;
// WordPress sidebar widgets: widget_recent_entries, widget_categories, ...
const WIDGET_CLASS = /^widget_/;

// Headings that open a block of boilerplate: related posts, teasers, comments, sharing.
const BOILERPLATE_HEADING = new RegExp(
  '^(?:' +
    [
      'related', 'you (?:might|may|will) (?:also )?(?:like|enjoy|be interested)', 'more (?:from|stories|news|on|in|like this|articles|posts|episodes|to read|reading)',
      'read (?:next|more|also)', 'recommended', 'popular', 'trending', 'latest (?:news|posts|stories|articles|headlines)', 'top (?:stories|news|rated comments)',
      'most (?:read|popular|viewed|shared)', 'further reading', 'suggested reading', 'other stories', 'recent (?:posts|articles|stories|comments)',
      '\\d+\\s+comments?\\b', 'comments\\b', '\\d+\\s+(?:replies|responses)\\b', 'leave a (?:reply|comment)', 'post a comment', 'add (?:a|your) comment', 'join (?:the )?discussion',
      'share (?:this|on|the)', 'sponsored', 'from our partners', 'popular on', 'see also', 'what to read next', 'keep reading', 'up next', 'next article',
      'news you can use', 'around the web', 'we recommend', 'similar (?:posts|articles|products)', 'customers (?:also|who)', 'sie könnten auch',
      'ähnliche', 'verwandte', 'das könnte', 'weitere (?:artikel|beiträge|news)', 'kommentare', 'leia (?:mais|também)', 'artículos relacionados',
      'relacionad', 'noticias relacionadas', 'articles similaires', 'à lire aussi', 'lire aussi', 'lesen sie auch', 'próxima notícia', 'tags?:', 'share:',
    ].join('|') +
    ')',
  'i',
);

const MENU_MIN_LINKS = 5;
const MENU_LINK_SHARE = 0.8;
const MENU_MAX_LINK_CHARS = 30;

function nameParts(value: string): string[] {
  return value
    .replace(/([a-z])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .split(/[\s_-]+/)
    .filter(Boolean);
}

export interface PruneContext extends HiddenSelectors {
  /** The page's <title>: tells the headline among several h1 (a logo's, a teaser card's). */
  title?: string;
  /** Told of every element removed and why (for eval/why.ts). */
  trace?: (node: DomNode, reason: string) => void;
  /** Collects the tags of every tag list removed (by its name or its links): the page's topics, kept beside its text. */
  tags?: string[];
}

function boilerplateName(el: DomNode): boolean {
  const a = el.attribs ?? {};
  const names = [a.class ?? '', a.id ?? ''];
  for (const value of names) {
    if (!value) continue;
    for (const token of value.split(/\s+/)) {
      if (!token) continue;
      const lower = token.toLowerCase();
      if (BOILERPLATE_NAMES.has(lower) || WIDGET_CLASS.test(lower)) return true;
      const parts = nameParts(token);
      if (MODIFIER.test(lower) || MODIFIER.test(parts[0] ?? '')) continue;
      for (const part of parts) if (BOILERPLATE_PARTS.has(part)) return true;
    }
  }
  const role = a.role;
  return role === 'navigation' || role === 'search' || role === 'menu' || role === 'menubar' || role === 'toolbar' || role === 'dialog' || role === 'alertdialog' || a['aria-modal'] === 'true';
}

// Parts of names of site chrome that some sites also give big content blocks: only short or
// link-heavy blocks named so are removed.
const CHROME_PARTS = new Set(['popular', 'footer', 'masthead', 'menu', 'navigation', 'topbar', 'login', 'popup', 'modal', 'interstitial', 'alert', 'announcement', 'lightbox', 'drawer', 'offcanvas']);

function chromeName(el: DomNode): boolean {
  const a = el.attribs ?? {};
  for (const value of [a.class ?? '', a.id ?? '']) {
    for (const token of value.split(/\s+/)) {
      const parts = nameParts(token);
      if (MODIFIER.test(token.toLowerCase()) || MODIFIER.test(parts[0] ?? '')) continue;
      for (const part of parts) if (CHROME_PARTS.has(part)) return true;
    }
  }
  return false;
}

function consentByName(el: DomNode): boolean {
  const a = el.attribs ?? {};
  return CONSENT_NAME.test(`${a.id ?? ''} ${a.class ?? ''} ${a['aria-label'] ?? ''}`);
}

/** The heading opens the block it sits at the top of: climbs while the heading is the block's first text. */
function headedBlock(heading: DomNode, stats: Map<DomNode, Stats>, protectedText: number): DomNode[] {
  let block = heading;
  for (let parent = heading.parent; parent && parent.type === 'tag' && parent.name !== 'body' && parent.name !== 'main'; parent = parent.parent) {
    const ps = stats.get(parent);
    if (!ps || ps.hasH1 || ps.text >= protectedText || parent.name === 'article') break;
    if (firstTextElement(parent) !== heading) break;
    block = parent;
  }
  if (block !== heading) return [block];
  // The heading sits in the middle of its parent: it and what follows it up to the next heading of its rank or higher.
  const siblings = heading.parent?.children ?? [];
  const level = /^h([1-6])$/.exec(heading.name ?? '')?.[1] ?? '6';
  const out: DomNode[] = [heading];
  for (let i = siblings.indexOf(heading) + 1; i < siblings.length; i++) {
    const sib = siblings[i]!;
    const m = /^h([1-6])$/.exec(sib.name ?? '');
    if (m && m[1]! <= level) break;
    out.push(sib);
  }
  return out;
}

/** The first element in document order that holds text, looking through wrappers. */
function firstTextElement(node: DomNode): DomNode | undefined {
  const stack: DomNode[] = [...(node.children ?? [])].reverse();
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.type === 'text') {
      if ((n.data ?? '').trim()) return n.parent ?? undefined;
      continue;
    }
    if (n.type !== 'tag' || (n.name && NON_CONTENT.has(n.name))) continue;
    if (/^h[1-6]$/.test(n.name ?? '') || n.attribs?.role === 'heading') return n;
    const ch = n.children ?? [];
    for (let i = ch.length - 1; i >= 0; i--) stack.push(ch[i]!);
  }
  return undefined;
}

function detach(node: DomNode): void {
  const siblings = node.parent?.children;
  if (!siblings) return;
  const i = siblings.indexOf(node);
  if (i >= 0) siblings.splice(i, 1);
}

/** Whether a top-level page header is site chrome (logo and menu) rather than a hero with the pitch. */
function isChromeHeader(el: DomNode, s: Stats): boolean {
  if (s.hasH1 && s.text >= 80) return false;
  const hasNav = (el.children ?? []).length > 0 && containsTag(el, 'nav');
  if (hasNav && !s.hasH1) return true;
  return s.text < 80 || s.linkText / Math.max(s.text, 1) > 0.5;
}

function containsTag(el: DomNode, name: string): boolean {
  const stack = [...(el.children ?? [])];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.name === name || (name === 'nav' && n.attribs?.role === 'navigation')) return true;
    if (n.children) stack.push(...n.children);
  }
  return false;
}

/**
 * The page's headline: the first h1 whose text the <title> contains (or that contains the title),
 * else the first h1. Sites also put their logo, a newsletter box or teaser cards in h1s.
 */
function mainHeadline(body: DomNode, title: string): DomNode | undefined {
  const h1s: DomNode[] = [];
  const stack: DomNode[] = [body];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.type !== 'tag' && n.type !== 'root') continue;
    if (n.name === 'h1') {
      h1s.push(n);
      continue;
    }
    const ch = n.children ?? [];
    for (let i = ch.length - 1; i >= 0; i--) stack.push(ch[i]!);
  }
  const t = title.toLowerCase();
  const matching = h1s.find((h) => {
    const text = flatText(h).toLowerCase();
    return text.length >= 3 && (t.includes(text) || (t.length >= 3 && text.includes(t)));
  });
  return matching ?? h1s[0];
}

/** The element holding the page's main content, when the page marks one clearly. */
function mainScope(body: DomNode, stats: Map<DomNode, Stats>): DomNode {
  const bodyText = stats.get(body)?.text ?? 0;
  const mains: DomNode[] = [];
  const stack = [...(body.children ?? [])];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.type !== 'tag') continue;
    if (n.name === 'main' || n.attribs?.role === 'main') {
      mains.push(n);
      continue;
    }
    if (n.children) stack.push(...n.children);
  }
  if (mains.length === 1) {
    const s = stats.get(mains[0]!);
    if (s && s.text >= 0.3 * bodyText && s.text >= 200) return mains[0]!;
  }
  return body;
}

/**
 * Removes everything that is not main content from `body` (in place) and returns the element whose
 * text is the page's main text.
 */
export function prune(body: DomNode, ctx: PruneContext): DomNode {
  const stats = computeStats(body, mainHeadline(body, ctx.title ?? ''));
  const scope = mainScope(body, stats);
  const scopeText = stats.get(scope)?.text ?? 0;
  // Never removed by a boilerplate rule: the block with the page's headline, or half of all its text.
  const protectedText = Math.max(0.5 * scopeText, 400);
  const isMajor = (s: Stats) => s.text >= protectedText;
  const isProtected = (s: Stats) => s.hasH1 || isMajor(s);
  const holdsMost = (s: Stats) => s.text >= 0.5 * scopeText;

  const remove = new Set<DomNode>();
  const controls: DomNode[] = [];
  const headings: DomNode[] = [];
  const leadIns: DomNode[] = [];

  // Top-down: decide per element; a removed element's subtree is not visited.
  const stack: Array<{ node: DomNode; inSection: boolean }> = [{ node: scope, inSection: false }];
  while (stack.length > 0) {
    const { node, inSection } = stack.pop()!;
    if (!isElement(node)) continue;
    const name = node.name ?? '';
    if (node !== scope) {
      if ((name === 'input' && !NOT_IN_SENTENCE.test(node.attribs?.type ?? 'text')) || name === 'select' || name === 'textarea') controls.push(node);
      if (NON_CONTENT.has(name)) {
        if (keepControlText(node)) {
          // an accordion toggle holding an FAQ question: its text stays
        } else {
          remove.add(node);
          continue;
        }
      }
      if (isHidden(node, ctx)) {
        remove.add(node);
        ctx.trace?.(node, 'hidden');
        continue;
      }
      const s = stats.get(node) ?? { text: 0, linkText: 0, inlineLinks: 0, inlineLinkText: 0, hasH1: false, hasBlock: false };
      const reason = removable(node, name, s, inSection, isProtected, isMajor, holdsMost);
      if (reason) {
        // A tag list goes by its name ("tags") or by its links alike; its tags stay. (One removed
        // as a tag list was told so already: its links are not walked twice.)
        if (ctx.tags && (reason === TAG_LIST || isTagList(node, s))) for (const tag of tagLinks(node).map(flatText)) if (tag && !ctx.tags.includes(tag)) ctx.tags.push(tag);
        remove.add(node);
        ctx.trace?.(node, reason);
        continue;
      }
      if (/^h[2-6]$/.test(name) || node.attribs?.role === 'heading') headings.push(node);
      else if ((name === 'p' || name === 'div') && s.text > 0 && s.text <= 40) leadIns.push(node);
    }
    const section = inSection || (node !== scope && (name === 'article' || name === 'section'));
    const ch = node.children ?? [];
    for (let i = ch.length - 1; i >= 0; i--) stack.push({ node: ch[i]!, inSection: section });
  }

  // A heading announcing related posts, comments or sharing takes its block with it.
  for (const heading of headings) {
    if (inRemoved(heading, remove, scope)) continue;
    const text = flatText(heading);
    if (text.length > 0 && text.length <= 80 && BOILERPLATE_HEADING.test(text)) {
      for (const n of headedBlock(heading, stats, protectedText)) {
        remove.add(n);
        ctx.trace?.(n, `under the heading "${text}"`);
      }
    }
  }

  // "Read more:" and the paragraphs of links to other stories after it.
  for (const lead of leadIns) {
    if (inRemoved(lead, remove, scope) || !LEAD_IN.test(flatText(lead))) continue;
    remove.add(lead);
    ctx.trace?.(lead, 'a lead-in to other stories');
    const siblings = lead.parent?.children ?? [];
    for (let i = siblings.indexOf(lead) + 1; i < siblings.length; i++) {
      const sib = siblings[i]!;
      if (sib.type === 'text' && !(sib.data ?? '').trim()) continue;
      const ss = stats.get(sib);
      if (!ss || ss.text === 0 || ss.linkText / ss.text < 0.6) break;
      remove.add(sib);
      ctx.trace?.(sib, 'a link to another story');
    }
  }

  // Form controls inside a sentence ("I need to [select] from [input] to [input].") take their
  // sentence with them: the words around a control read as nonsense without it.
  for (const control of controls) {
    if (control.parent && inRemoved(control.parent, remove, scope)) continue;
    let block = control.parent;
    while (block && block !== scope && !(block.name && SENTENCE_BLOCKS.has(block.name))) block = block.parent;
    if (!block || block === scope) continue;
    const s = stats.get(block);
    if (s && !s.hasH1 && s.text <= 300) {
      remove.add(block);
      ctx.trace?.(block, 'a sentence with a form control');
    }
  }

  removeConsentByText(scope, remove, stats, ctx);

  for (const n of remove) detach(n);
  return scope;
}

// Controls that never sit inside a sentence: ticks, buttons and fields nobody sees.
const NOT_IN_SENTENCE = /^(checkbox|radio|hidden|submit|button|image|reset)$/i;

function inRemoved(node: DomNode, remove: Set<DomNode>, scope: DomNode): boolean {
  for (let n: DomNode | null | undefined = node; n && n !== scope; n = n.parent) if (remove.has(n)) return true;
  return false;
}

function removable(
  el: DomNode,
  name: string,
  s: Stats,
  inSection: boolean,
  isProtected: (s: Stats) => boolean,
  isMajor: (s: Stats) => boolean,
  holdsMost: (s: Stats) => boolean,
): string | undefined {
  switch (name) {
    // Chrome by its very tag: kept only when it holds most of the page (an <aside> wrapping the
    // article, a <form> wrapping an ASP.NET page), whatever headline it carries.
    case 'nav':
    case 'aside':
      return isMajor(s) ? undefined : name;
    // Source code, terminal output and config files (every <pre> of the 63 pages of eval/): a
    // reader gets nothing from a quoted code block as evidence about customers, and a model copies
    // it into claims ("from django.contrib.staticfiles import ..." as a message that resonates).
    // Kept when it holds most of the page, however short: a plain-text document served in one <pre>.
    case 'pre':
      return holdsMost(s) ? undefined : 'preformatted text (code)';
    case 'form':
    case 'fieldset':
      // A shop's add-to-cart form holds the product's name, description and price.
      return isProtected(s) || (s.text >= 60 && PRICE.test(flatText(el))) ? undefined : name;
  }
  if (isProtected(s)) return undefined;
  switch (name) {
    case 'footer':
      // A footer inside an article or section belongs to it (an author line, a section's note) unless named as boilerplate.
      return !inSection || boilerplateName(el) ? 'footer' : undefined;
    case 'header':
      return !inSection && isChromeHeader(el, s) ? 'page header' : undefined;
  }
  const role = el.attribs?.role;
  if (role === 'complementary' || role === 'contentinfo') return !inSection ? `role ${role}` : undefined;
  if (role === 'banner') return !inSection && isChromeHeader(el, s) ? 'role banner' : undefined;
  if (consentByName(el) && s.text <= CONSENT_MAX_CHARS) return 'consent banner by name';
  if (boilerplateName(el)) {
    // Generic chrome names ("footer", "masthead") also label big content blocks on some sites.
    const generic = CHROME_NAMES.some((n) => hasName(el, n));
    if (!generic || s.text <= CHROME_MAX_CHARS || s.linkText / Math.max(s.text, 1) >= 0.5) return 'boilerplate name';
  }
  if (chromeName(el) && (s.text <= CHROME_MAX_CHARS || s.linkText / Math.max(s.text, 1) >= 0.5)) return 'chrome name';
  // Menus and teaser lists built from plain elements: mostly short inline links, next to no other text.
  if (s.inlineLinks >= MENU_MIN_LINKS && s.inlineLinkText / Math.max(s.text, 1) >= MENU_LINK_SHARE && s.inlineLinkText / s.inlineLinks <= MENU_MAX_LINK_CHARS) {
    return 'menu of links';
  }
  if ((name === 'ul' || name === 'ol' || name === 'p' || name === 'div') && isTagList(el, s)) return TAG_LIST;
  return undefined;
}

const TAG_LIST = 'tag list';

// Where blogs and shops file a post: /tags/python/, /tag/django, /category/news/, ?tag=x.
const TAG_HREF = /\/(?:tags?|categor(?:y|ies)|topics?|label|schlagworte?|kategorie)\/[^/?#]|[?&](?:tag|category)=/i;

/** The links inside an element, outermost first, in page order. */
function tagLinks(el: DomNode): DomNode[] {
  const links: DomNode[] = [];
  const visit = (n: DomNode) => {
    if (!isElement(n)) return;
    if (n.name === 'a') links.push(n);
    else for (const c of n.children ?? []) visit(c);
  };
  for (const c of el.children ?? []) visit(c);
  return links;
}

/**
 * A list of the tags or categories a post is filed under ("python, webcast, testing, django"),
 * unnamed: it passed as a passage and was quoted as evidence. Two links at least, each to a tag or
 * category page (or rel="tag"), and next to no other text. Its tags stay beside the page's text
 * (`CleanPage.tags`): a report may name the page's topics ("Python").
 */
function isTagList(el: DomNode, s: Stats): boolean {
  if (s.text > 300) return false;
  const links = tagLinks(el);
  const isTag = (a: DomNode) => TAG_HREF.test(a.attribs?.href ?? '') || /\btag\b/i.test(a.attribs?.rel ?? '');
  return links.length >= 2 && links.every(isTag) && s.linkText / Math.max(s.text, 1) >= 0.6;
}

const CHROME_NAMES = ['footer', 'masthead', 'secondary', 'menu', 'navigation', 'popular', 'author', 'modal', 'popup'];
const CHROME_MAX_CHARS = 1500;

function hasName(el: DomNode, name: string): boolean {
  const a = el.attribs ?? {};
  return (a.class ?? '').toLowerCase().split(/\s+/).includes(name) || (a.id ?? '').toLowerCase() === name;
}

/** Consent banners named like nothing in particular: the largest short block around a mention of cookies that asks the reader to accept them. */
function removeConsentByText(scope: DomNode, remove: Set<DomNode>, stats: Map<DomNode, Stats>, ctx: PruneContext): void {
  const stack = [...(scope.children ?? [])];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.type === 'text') {
      if (!CONSENT_TEXT.test(n.data ?? '')) continue;
      let banner: DomNode | undefined;
      for (let a = n.parent; a && a !== scope && a.name !== 'body' && a.name !== 'main'; a = a.parent) {
        const s = stats.get(a);
        if (!s || s.text > CONSENT_MAX_CHARS || s.hasH1) break;
        if (/^(div|section|form|aside)$/.test(a.name ?? '') && CONSENT_ACTION.test(collapseChildrenText(a))) banner = a;
      }
      if (banner) {
        remove.add(banner);
        ctx.trace?.(banner, 'a cookie notice');
      }
      continue;
    }
    if (n.type !== 'tag' || remove.has(n)) continue;
    if (n.children) stack.push(...n.children);
  }
}
