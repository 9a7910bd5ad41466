import { classifyPage, type PageKind } from './site-links.js';

/**
 * What kind of page a cleaned page is, and how much such a page tends to say about a company and
 * its customers: what the token budget shares the model's reading out by. The URL rules are the
 * crawl's (`classifyPage` in site-links.ts, which ranks links by the same kinds); the page's title
 * decides when its URL says nothing (`/p/123` titled "Pricing | Acme"). Pure.
 */

export type { PageKind };

/** Most telling first: home, about, pricing, product, customers, testimonials, FAQ, blog, the rest; then pages with nothing about the offering. */
export const PAGE_KIND_ORDER: readonly PageKind[] = ['home', 'about', 'pricing', 'product', 'customers', 'testimonials', 'faq', 'blog', 'other', 'careers', 'legal', 'login', 'archive'];

/**
 * How much a page of each kind is worth to the budget, relative to the home page. The budget gives
 * a page text in proportion to this, with diminishing returns: a page that already got a lot is
 * worth less than one that got little.
 */
export const PAGE_KIND_VALUE: Readonly<Record<PageKind, number>> = {
  home: 1,
  about: 0.9,
  pricing: 0.9,
  product: 0.9,
  customers: 0.8,
  testimonials: 0.8,
  faq: 0.7,
  blog: 0.5,
  other: 0.45,
  careers: 0.15,
  legal: 0.1,
  login: 0.1,
  archive: 0.1,
};

// The title's first parts ("Pricing | Acme"), when the URL names no kind.
const TITLE_KINDS: ReadonlyArray<[PageKind, RegExp]> = [
  ['login', /\b(log ?in|sign ?in|sign ?up|create (an |your )?account|anmelden)\b/i],
  ['legal', /\b(privacy( policy| notice)?|terms (of|and)|legal notice|imprint|impressum|datenschutz|cookie policy|agb)\b/i],
  ['careers', /\b(careers?|jobs|we'?re hiring|join (our|the) team|karriere)\b/i],
  ['archive', /\b(archives?|posts tagged|category:|tag:|page \d+ of \d+)\b/i],
  ['about', /\b(about( us)?|our (story|team|mission)|who we are|über uns)\b/i],
  ['pricing', /\b(pricing|plans (and|&) pricing|prices|preise|tarife)\b/i],
  ['testimonials', /\b(case stud(y|ies)|success stor(y|ies)|testimonials|reviews|customer stories)\b/i],
  ['customers', /\b(our customers|customers|kunden)\b/i],
  ['faq', /\b(faqs?|frequently asked questions|häufige fragen)\b/i],
  ['product', /\b(products?|features|solutions?|services|platform|how it works|use cases?|integrations)\b/i],
  ['blog', /\b(blog|news)\b/i],
];

const LOCALE_ROOT = /^\/[a-z]{2}([-_][a-z]{2})?\/?$/i;

/** The kind of page `url` is: by its URL as the crawl ranks it, else by its title; a locale root (`/de/`) is a home page. */
export function pageKind(url: string, title = ''): PageKind {
  let kind: PageKind;
  try {
    kind = classifyPage(url).kind;
    if (kind === 'other' && LOCALE_ROOT.test(new URL(url).pathname)) return 'home';
  } catch {
    kind = 'other';
  }
  if (kind !== 'other') return kind;
  const parts = title
    .split(/\s+[|–—·:-]\s+|\s*[|·]\s*/)
    .map((p) => p.trim())
    .filter(Boolean);
  // A page's own name is short ("Pricing", "About us"); a longer part is a post's headline.
  for (const part of parts.slice(0, 2).filter((p) => p.split(/\s+/).length <= 5)) {
    const byTitle = TITLE_KINDS.find(([, re]) => re.test(part))?.[0];
    if (byTitle) return byTitle;
  }
  return 'other';
}

/** Sort key: lower is more telling. */
export function pageKindRank(kind: PageKind): number {
  const rank = PAGE_KIND_ORDER.indexOf(kind);
  return rank === -1 ? PAGE_KIND_ORDER.indexOf('other') : rank;
}

/** The value of a kind, for one the crawl may add later too. */
export function pageKindValue(kind: PageKind): number {
  return PAGE_KIND_VALUE[kind] ?? PAGE_KIND_VALUE.other;
}
