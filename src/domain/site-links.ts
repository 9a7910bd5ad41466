import * as cheerio from 'cheerio';
import { isSameSite, normalizeUrl } from './url.js';

// Links to files rather than pages: nothing for the cleaner to read.
const FILE_EXTENSION = /\.(pdf|zip|gz|tgz|rar|7z|dmg|exe|msi|apk|jpe?g|png|gif|webp|avif|svg|ico|bmp|tiff?|mp[34]|m4a|mov|avi|webm|wav|ogg|woff2?|ttf|eot|css|js|mjs|json|xml|rss|atom|txt|csv|xlsx?|docx?|pptx?|ics)$/i;

function isPageLink(url: string): boolean {
  return !FILE_EXTENSION.test(new URL(url).pathname);
}

/**
 * Same-site http(s) page links on a page, normalized, deduped, in document order.
 * Resolves relative links against `<base href>` when the page has one.
 */
export function extractLinks(html: string, pageUrl: string): string[] {
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
  $('a[href], area[href]').each((_, el) => {
    const href = $(el).attr('href')?.trim();
    if (!href || href.startsWith('#')) return;
    let url: string;
    try {
      url = normalizeUrl(new URL(href, base).toString());
    } catch {
      return; // mailto:, tel:, javascript:, garbage
    }
    if (!isSameSite(url, pageUrl) || !isPageLink(url) || seen.has(url)) return;
    seen.add(url);
    links.push(url);
  });
  return links;
}

/** Page URLs (`<url><loc>`) listed in a sitemap; an unparseable document yields none. */
export function parseSitemap(xml: string): string[] {
  return locs(xml, 'url > loc');
}

/** Child sitemaps (`<sitemap><loc>`) listed in a sitemap index. */
export function parseSitemapIndex(xml: string): string[] {
  return locs(xml, 'sitemap > loc');
}

function locs(xml: string, selector: string): string[] {
  const $ = cheerio.load(xml, { xml: true });
  return $(selector)
    .map((_, el) => $(el).text().trim())
    .get()
    .filter((loc) => /^https?:\/\//i.test(loc));
}

/** Pages that tell the most about a company and its customers, most telling first. */
const PAGE_KINDS: ReadonlyArray<RegExp> = [
  /^(about|about-us|aboutus|company|who-we-are|our-story|team|ueber-uns|uber-uns|über-uns|unternehmen|a-propos|quienes-somos|chi-siamo)$/,
  /^(pricing|prices|plans|plans-and-pricing|preise|tarife|tarifs|precios|prezzi)$/,
  /^(products?|features|solutions?|services?|platform|how-it-works|use-cases|leistungen|produkte?|loesungen|lösungen|angebot)$/,
  /^(customers?|case-?stud(y|ies)|success-stories|testimonials|reviews|clients|references|referenzen|kunden|showcase)$/,
  /^(blog|news|articles|insights|resources|stories|magazin|aktuelles)$/,
];

// Links a crawler must not follow: a GET on them changes state.
const SIDE_EFFECTS = /^(logout|log-out|signout|sign-out|unsubscribe)$/;

// Pages with nothing about the offering: crawled last, if at all.
const LOW_VALUE = /^(login|log-in|signin|sign-in|signup|sign-up|register|account|cart|checkout|basket|warenkorb|search|suche|privacy|privacy-policy|terms|tos|legal|imprint|impressum|datenschutz|agb|cookies?|cookie-policy|sitemap|tag|tags|category|categories|author|page|feed|cdn-cgi|wp-admin|wp-json)$/;

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

function rank(url: string): number {
  const segs = segments(url);
  if (segs.length === 0) return new URL(url).search ? PAGE_KINDS.length + 1 : -1;
  if (segs.some((s) => LOW_VALUE.test(s))) return PAGE_KINDS.length + 2;
  // A locale prefix (/en/about, /de-de/preise) does not make a page less telling.
  const meaningful = /^[a-z]{2}(-[a-z]{2})?$/.test(segs[0] ?? '') ? segs.slice(1) : segs;
  const kind = PAGE_KINDS.findIndex((re) => meaningful.some((s) => re.test(s)));
  return kind === -1 ? PAGE_KINDS.length : kind;
}

/** One key for a page written with or without a trailing slash. */
export function dedupeKey(url: string): string {
  const u = new URL(url);
  if (u.pathname.length > 1) u.pathname = u.pathname.replace(/\/+$/, '');
  return u.toString();
}

/**
 * The pages to crawl, at most `max`: the start page first, then home, about, pricing, products,
 * customers / case studies, blog, then everything else; within a kind, shorter paths first (an
 * index page says more than one article). Other sites and pages written twice (trailing slash)
 * are dropped, and so are logout links; login, cart and legal pages come last.
 */
export function prioritizeLinks(urls: readonly string[], startUrl: string, max: number): string[] {
  const start = normalizeUrl(startUrl);
  const seen = new Set<string>([dedupeKey(start)]);
  const candidates: { url: string; rank: number; depth: number; length: number; order: number }[] = [];
  urls.forEach((raw, order) => {
    let url: string;
    try {
      url = normalizeUrl(raw);
    } catch {
      return;
    }
    const key = dedupeKey(url);
    if (seen.has(key) || !isSameSite(url, start) || !isPageLink(url)) return;
    if (segments(url).some((s) => SIDE_EFFECTS.test(s))) return;
    seen.add(key);
    candidates.push({ url, rank: rank(url), depth: segments(url).length, length: url.length, order });
  });
  candidates.sort((a, b) => a.rank - b.rank || a.depth - b.depth || a.length - b.length || a.order - b.order);
  return [start, ...candidates.map((c) => c.url)].slice(0, Math.max(0, max));
}
