import * as cheerio from 'cheerio';
import { isSameSite, normalizeUrl } from './url.js';

// Links to files rather than pages: nothing for the cleaner to read.
const FILE_EXTENSION = /\.(pdf|zip|gz|tgz|rar|7z|dmg|exe|msi|apk|jpe?g|png|gif|webp|avif|svg|ico|bmp|tiff?|mp[34]|m4a|mov|avi|webm|wav|ogg|woff2?|ttf|eot|css|js|mjs|json|xml|rss|atom|txt|csv|xlsx?|docx?|pptx?|ics)$/i;

export function isPageLink(url: string): boolean {
  return !FILE_EXTENSION.test(new URL(url).pathname);
}

/** What one page links to: same-site page links and other sites' pages, normalized, deduped, in document order. */
export interface PageLinks {
  links: string[];
  offSite: string[];
  /** `<link rel="canonical">`, normalized, when the page names one. */
  canonical?: string;
}

/**
 * Reads a page's links once: same-site page links, links to other sites, and its canonical URL.
 * Resolves relative links against `<base href>` when the page has one.
 */
export function readPageLinks(html: string, pageUrl: string): PageLinks {
  const $ = cheerio.load(html);
  let base = pageUrl;
  const baseHref = $('base[href]').first().attr('href');
  if (baseHref) {
    try {
      base = new URL(baseHref, pageUrl).toString();
    } catch {
      // an unusable <base> is ignored, as browsers do
    }
  }
  const seen = new Set<string>();
  const links: string[] = [];
  const offSite: string[] = [];
  $('a[href], area[href]').each((_, el) => {
    const href = $(el).attr('href')?.trim();
    if (!href || href.startsWith('#')) return;
    let url: string;
    try {
      url = normalizeUrl(new URL(href, base).toString());
    } catch {
      return; // mailto:, tel:, javascript:, garbage
    }
    if (seen.has(url) || !isPageLink(url)) return;
    seen.add(url);
    (isSameSite(url, pageUrl) ? links : offSite).push(url);
  });
  let canonical: string | undefined;
  const canonicalHref = $('link[rel~="canonical" i][href]').first().attr('href')?.trim();
  if (canonicalHref) {
    try {
      canonical = normalizeUrl(new URL(canonicalHref, base).toString());
    } catch {
      // ignored: an unusable canonical is no canonical
    }
  }
  return canonical ? { links, offSite, canonical } : { links, offSite };
}

/** Same-site http(s) page links on a page, normalized, deduped, in document order. */
export function extractLinks(html: string, pageUrl: string): string[] {
  return readPageLinks(html, pageUrl).links;
}

/** A page a sitemap lists, with its `<lastmod>` when given. */
export interface SitemapEntry {
  url: string;
  lastmod?: string;
}

/** Page URLs (`<url><loc>`) listed in a sitemap; an unparseable document yields none. */
export function parseSitemap(xml: string): string[] {
  return parseSitemapEntries(xml).map((e) => e.url);
}

/** Child sitemaps (`<sitemap><loc>`) listed in a sitemap index. */
export function parseSitemapIndex(xml: string): string[] {
  return entries(xml, 'sitemap').map((e) => e.url);
}

/** `<url>` entries of a sitemap with their `<lastmod>`. */
export function parseSitemapEntries(xml: string): SitemapEntry[] {
  return entries(xml, 'url');
}

/** `<sitemap>` entries of a sitemap index with their `<lastmod>`. */
export function parseSitemapIndexEntries(xml: string): SitemapEntry[] {
  return entries(xml, 'sitemap');
}

function entries(xml: string, element: 'url' | 'sitemap'): SitemapEntry[] {
  const $ = cheerio.load(xml, { xml: true });
  const out: SitemapEntry[] = [];
  $(element).each((_, el) => {
    const loc = $(el).children('loc').first().text().trim();
    if (!/^https?:\/\//i.test(loc)) return;
    const lastmod = $(el).children('lastmod').first().text().trim();
    out.push(lastmod && !Number.isNaN(Date.parse(lastmod)) ? { url: loc, lastmod } : { url: loc });
  });
  return out;
}

/** What a page is, as far as its URL tells: the crawl reads the telling kinds first. */
export type PageKind =
  | 'home'
  | 'about'
  | 'pricing'
  | 'product'
  | 'customers'
  | 'testimonials'
  | 'faq'
  | 'blog'
  | 'other'
  | 'careers'
  | 'legal'
  | 'login'
  | 'archive';

/** Value order of the kinds; the last four share one rank: read only when nothing else is left. */
const KIND_RANK: Record<PageKind, number> = {
  home: 0,
  about: 1,
  pricing: 2,
  product: 3,
  customers: 4,
  testimonials: 5,
  faq: 6,
  blog: 7,
  other: 8,
  careers: 9,
  legal: 9,
  login: 9,
  archive: 9,
};

/** Kinds recognised by a path segment, checked in this order (the first match wins). */
const SEGMENT_KINDS: ReadonlyArray<[PageKind, RegExp]> = [
  ['login', /^(login|log-in|signin|sign-in|signup|sign-up|register|account|my-account|cart|checkout|basket|warenkorb|search|suche|feed|cdn-cgi|wp-admin|wp-json|wp-login\.php|app|dashboard|portal)$/],
  ['legal', /^(privacy|privacy-policy|privacy-notice|terms|terms-of-service|terms-of-use|terms-and-conditions|tos|legal|legal-notice|imprint|impressum|datenschutz|datenschutzerklaerung|dsgvo|gdpr|agb|cookies?|cookie-policy|cookie-settings|disclaimer|mentions-legales|aviso-legal|sitemap|accessibility|dpa|subprocessors)$/],
  ['careers', /^(careers?|jobs?|karriere|stellenangebote|join-us|work-with-us|hiring|vacancies|emplois?|empleo|lavora-con-noi)$/],
  ['archive', /^(tag|tags|category|categories|author|authors|archive|archives|page|topics?)$/],
  ['about', /^(about|about-us|aboutus|company|who-we-are|our-story|team|our-team|mission|ueber-uns|uber-uns|über-uns|unternehmen|a-propos|quienes-somos|chi-siamo)$/],
  ['pricing', /^(pricing|prices|plans|plans-and-pricing|preise|tarife|tarifs|precios|prezzi)$/],
  ['product', /^(products?|features|solutions?|services?|platform|how-it-works|use-cases|integrations|leistungen|produkte?|loesungen|lösungen|angebot|funktionen|fonctionnalites)$/],
  ['customers', /^(customers?|our-customers|clients|kunden|who-uses)$/],
  ['testimonials', /^(testimonials|reviews|case-?stud(y|ies)|customer-stories|success-stories|references|referenzen|showcase|erfolgsgeschichten)$/],
  ['faq', /^(faqs?|frequently-asked-questions|questions|haeufige-fragen|häufige-fragen|fragen)$/],
  ['blog', /^(blog|blogs|news|articles|insights|stories|posts?|journal|updates|magazin|magazine|aktuelles|newsroom|press)$/],
];

// Links a crawler must not follow: a GET on them changes state.
const SIDE_EFFECTS = /^(logout|log-out|signout|sign-out|unsubscribe)$/;

const LOCALE = /^[a-z]{2}([-_][a-z]{2})?$/;

function segments(url: string): string[] {
  return new URL(url).pathname
    .split('/')
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s).toLowerCase();
      } catch {
        return s.toLowerCase();
      }
    });
}

/** Whether a GET on the URL would change state (log out, unsubscribe): never followed. */
export function hasSideEffects(url: string): boolean {
  return segments(url).some((s) => SIDE_EFFECTS.test(s));
}

/** A year and month in a path (/2024/03/..., /2024-03-15-title): a dated post, or an archive when nothing follows. */
const URL_DATE = /(?:^|\/)((?:19|20)\d{2})[/-](0[1-9]|1[0-2])(?:[/-](0[1-9]|[12]\d|3[01]))?(?=[/-]|$)/;

export interface PageValue {
  kind: PageKind;
  /** Publication date from the URL, else the sitemap's lastmod (ms since the epoch); blog posts only. */
  date?: number;
  /** Inside the part of the site the crawl started in (the start URL's path). */
  inSection: boolean;
}

/** The part of a site a start URL below the root names: its path as a prefix (`/products/x` → `/products/x`). */
function sectionOf(startUrl: string): string | undefined {
  const { pathname } = new URL(startUrl);
  if (pathname === '/' || pathname === '') return undefined;
  return pathname.endsWith('/') ? pathname : `${pathname}/`;
}

function inSection(url: string, section: string | undefined): boolean {
  if (!section) return true;
  const { pathname } = new URL(url);
  const path = pathname.endsWith('/') ? pathname : `${pathname}/`;
  return path.startsWith(section);
}

/** What kind of page a URL names, and its date when it is a dated post. */
export function classifyPage(url: string, lastmod?: string): { kind: PageKind; date?: number } {
  const u = new URL(url);
  const segs = segments(url);
  if (segs.length === 0) return { kind: u.search ? 'other' : 'home' };
  // A locale prefix (/en/about, /de-de/preise) does not make a page less telling.
  const meaningful = LOCALE.test(segs[0] ?? '') ? segs.slice(1) : segs;
  // /en/, /de-at/: the home page in another language, rarely worth a second read.
  if (meaningful.length === 0) return { kind: 'other' };
  if (meaningful.some((s) => /^page$/.test(s)) && /^\d+$/.test(meaningful.at(-1) ?? '')) return { kind: 'archive' };
  const dated = URL_DATE.exec(u.pathname);
  if (dated) {
    // /2024/, /blog/2024/03/: a date with nothing after it lists posts, it is not one.
    const rest = u.pathname.slice(dated.index + dated[0].length).replace(/^[/-]+/, '');
    if (rest === '') return { kind: 'archive' };
  } else if (/^(19|20)\d{2}$/.test(meaningful.at(-1) ?? '')) {
    return { kind: 'archive' };
  }
  let kind: PageKind = 'other';
  for (const [k, re] of SEGMENT_KINDS) {
    if (meaningful.some((s) => re.test(s))) {
      kind = k;
      break;
    }
  }
  if (dated && (kind === 'other' || kind === 'blog')) {
    const [, y, m, d] = dated;
    return { kind: 'blog', date: Date.UTC(Number(y), Number(m) - 1, Number(d ?? 1)) };
  }
  if (kind === 'blog' && meaningful.length > 1 && lastmod) return { kind, date: Date.parse(lastmod) };
  return { kind };
}

/** The value of a page for the analysis, relative to where the crawl started. */
export function pageValue(url: string, startUrl: string, lastmod?: string): PageValue {
  return { ...classifyPage(url, lastmod), inSection: inSection(url, sectionOf(startUrl)) };
}

/** Sort key: lower first. Within the blog, the index, then posts newest first, then undated posts. */
function sortKey(url: string, v: PageValue): number[] {
  const segs = segments(url);
  const blogOrder = v.kind !== 'blog' ? 0 : segs.length <= 1 || (segs.length === 2 && LOCALE.test(segs[0]!)) ? 0 : v.date !== undefined ? 1 : 2;
  return [v.inSection ? 0 : 1, KIND_RANK[v.kind], blogOrder, v.date !== undefined ? -v.date : 0, segs.length, url.length];
}

/** A candidate page of the crawl, from a link or a sitemap. */
export interface Candidate {
  url: string;
  lastmod?: string | undefined;
  /** Discovery order: the tie-breaker, so ranking is stable. */
  order: number;
}

/** Most valuable first (see `prioritizeLinks`); `startUrl` decides which section comes first. */
export function compareCandidates(startUrl: string): (a: Candidate, b: Candidate) => number {
  const keys = new Map<string, number[]>();
  const keyOf = (c: Candidate) => {
    const id = `${c.url} ${c.lastmod ?? ''}`;
    let k = keys.get(id);
    if (!k) keys.set(id, (k = sortKey(c.url, pageValue(c.url, startUrl, c.lastmod))));
    return k;
  };
  return (a, b) => {
    const ka = keyOf(a);
    const kb = keyOf(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
    return a.order - b.order;
  };
}

/**
 * One key for a page however it is written: with or without a trailing slash, on `www.` or the
 * bare host, over http or https (sites redirect one to the other; reading both reads one page twice).
 */
export function dedupeKey(url: string): string {
  const u = new URL(url);
  if (u.pathname.length > 1) u.pathname = u.pathname.replace(/\/+$/, '');
  u.hostname = u.hostname.replace(/^www\./, '');
  return `https://${u.host}${u.pathname}${u.search}`;
}

/** Kinds read only when nothing else is left. */
export const isLastKind = (kind: PageKind) => KIND_RANK[kind] === KIND_RANK.archive;

/**
 * The pages to crawl, at most `max`: the start page first; then, pages inside the start URL's
 * section before the rest of the site; by kind: home, about, pricing, product or solutions,
 * customers, testimonials and case studies, FAQ, the blog (its index, then posts newest first by
 * the date in the URL or the sitemap's lastmod), everything else; careers, legal, login and
 * archive pages last. Within a kind, shorter paths first (an index page says more than one
 * article). Other sites and pages written twice (trailing slash) are dropped, and so are logout links.
 */
export function prioritizeLinks(urls: ReadonlyArray<string | SitemapEntry>, startUrl: string, max: number): string[] {
  const start = normalizeUrl(startUrl);
  const seen = new Set<string>([dedupeKey(start)]);
  const candidates: Candidate[] = [];
  urls.forEach((item, order) => {
    const raw = typeof item === 'string' ? item : item.url;
    let url: string;
    try {
      url = normalizeUrl(raw);
    } catch {
      return;
    }
    const key = dedupeKey(url);
    if (seen.has(key) || !isSameSite(url, start) || !isPageLink(url) || hasSideEffects(url)) return;
    seen.add(key);
    candidates.push({ url, lastmod: typeof item === 'string' ? undefined : item.lastmod, order });
  });
  candidates.sort(compareCandidates(start));
  return [start, ...candidates.map((c) => c.url)].slice(0, Math.max(0, max));
}

/** Why a candidate page was not read. */
export type SkipReason =
  | 'robots'
  | 'page_limit'
  | 'byte_limit'
  | 'time_limit'
  | 'off_site'
  | 'duplicate'
  | 'canonical'
  | 'not_html'
  | 'too_large'
  | 'broken_link'
  | 'blocked'
  | 'http_error'
  | 'empty'
  | 'error';

/** What the crawl of one analysis read and left out, each with why (`analyses.crawl`, `pages` in the API). */
export interface CrawlReport {
  /** The pages read, in the order the analysis uses them (start page first). */
  read: Array<{ url: string; kind: PageKind; from: 'site' | 'cache' | 'revalidated' }>;
  /** Pages found and not read. */
  skipped: Array<{ url: string; reason: SkipReason; detail?: string }>;
  /** Skipped pages left out of `skipped` to keep it short (at most 50 per reason are listed). */
  moreSkipped: number;
}
