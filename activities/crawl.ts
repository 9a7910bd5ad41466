import { ApplicationFailure } from '@temporalio/common';
import { describeInfrastructureError, FailureType } from '../src/domain/failures.js';
import {
  compareCandidates,
  dedupeKey,
  hasSideEffects,
  isLastKind,
  isPageLink,
  pageValue,
  parseSitemapEntries,
  parseSitemapIndexEntries,
  readPageLinks,
  type Candidate,
  type CrawlReport,
  type PageKind,
  type SitemapEntry,
  type SkipReason,
} from '../src/domain/site-links.js';
import { isSameSite, normalizeUrl } from '../src/domain/url.js';
import type { Logger } from '../src/logger.js';
import { substepEvents } from '../src/repositories/event-stream.js';
import { cachedOrFetched, isGone, type CrawlContext, type Resource } from './cached-fetch.js';
import { FetchFailure, RefusedResponse } from './fetch-resource.js';
import type { Robots } from './robots.js';

const MAX_SITEMAP_DOCUMENTS = 5;
const MAX_SITEMAP_URLS = 1_000;
/**
 * Diminishing returns per kind: once this many pages of a kind are read (or being read), the
 * next of that kind waits until every other valuable kind had as many (ten "company" pages say
 * less than two company pages, pricing and a case study).
 */
const PAGES_PER_KIND_ROUND = 2;
/** Skipped pages listed per reason; the rest are counted (`moreSkipped`). */
const MAX_LISTED_PER_REASON = 50;

// Child sitemaps that list archives rather than pages: read last, if at all.
const LOW_VALUE_SITEMAP = /(tag|categor|author|archive|attachment|media|image|video)/i;

/** Sitemap entries of the site (robots.txt's Sitemap lines, else /sitemap.xml), following sitemap indexes. */
async function sitemapEntries(ctx: CrawlContext, startUrl: string, robots: Robots, log: Logger): Promise<SitemapEntry[]> {
  const queue = robots.sitemaps.filter((s) => isSameSite(s, startUrl));
  if (queue.length === 0) queue.push(new URL('/sitemap.xml', startUrl).toString());
  const seen = new Set<string>();
  const out: SitemapEntry[] = [];
  for (let read = 0; read < MAX_SITEMAP_DOCUMENTS && queue.length > 0 && out.length < MAX_SITEMAP_URLS; ) {
    let sitemapUrl: string;
    try {
      sitemapUrl = normalizeUrl(queue.shift()!);
    } catch {
      continue;
    }
    if (seen.has(sitemapUrl) || /\.gz$/i.test(new URL(sitemapUrl).pathname) || !robots.isAllowed(sitemapUrl)) continue;
    seen.add(sitemapUrl);
    read++;
    try {
      const doc = await cachedOrFetched(ctx, sitemapUrl, 'resource');
      if (doc.statusCode < 200 || doc.statusCode >= 300) continue;
      out.push(...parseSitemapEntries(doc.body));
      const children = parseSitemapIndexEntries(doc.body)
        .filter((s) => isSameSite(s.url, startUrl))
        .sort((a, b) => Number(LOW_VALUE_SITEMAP.test(a.url)) - Number(LOW_VALUE_SITEMAP.test(b.url)));
      queue.push(...children.map((c) => c.url));
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      log.info('sitemap not read', { url: sitemapUrl, error: (err as Error).message });
    }
  }
  return out.slice(0, MAX_SITEMAP_URLS);
}

/** Lexicographic order of number tuples. */
function before(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

function describeError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e.code ? `${e.code}: ${e.message}` : String(e.message ?? err);
}

function startValue(startUrl: string): Pick<Entry, 'kind' | 'inSection'> {
  const { kind } = pageValue(startUrl, startUrl);
  return { kind, inSection: true };
}

export interface CrawlLimits {
  maxPages: number;
  /** Link depth: the start page is 0, its links and the sitemap's pages 1. */
  maxDepth: number;
  /** Bytes of page bodies read (cached or not); once reached, no further page is read. */
  maxBytes: number;
  /** Date.now() after which no further page is started. */
  deadline: number;
  /** Pages in flight at once (each host is limited again by the context's throttle). */
  concurrency: number;
}

export interface CrawlPlan {
  startUrl: string;
  /** The start page, already read. */
  start: Resource;
  robots: Robots;
  limits: CrawlLimits;
  log: Logger;
  /** Called after each page beyond the start page was tried, read or not (for heartbeats). */
  onPageTried: () => void;
  /** Whose crawl this is: each page read (start page included) is recorded as a `page_read` event of it, for live progress. */
  analysisId?: string;
}

export interface CrawlOutcome {
  /** The pages read, start page first, then by value. */
  pages: Resource[];
  report: CrawlReport;
}

interface Entry extends Candidate {
  key: string;
  depth: number;
  kind: PageKind;
  inSection: boolean;
}

/**
 * Best first across the whole crawl: candidates from the links of every page read and from the
 * sitemap wait in one queue, ranked by value (see `prioritizeLinks`), and the most valuable one
 * is read next. Same site only; robots.txt honoured; duplicates (trailing slash, a redirect to a
 * page already read, the same body, a canonical URL already read) collapsed. Stops at the page,
 * depth, byte and time limits. A page that fails is skipped with its reason, except for an
 * address refusal, which fails the crawl.
 */
export async function crawlSite(ctx: CrawlContext, plan: CrawlPlan): Promise<CrawlOutcome> {
  const { start, startUrl, robots, limits, log } = plan;
  const compare = compareCandidates(startUrl);
  const seen = new Set<string>();
  const readKeys = new Set<string>();
  const inFlight = new Set<string>();
  const hashes = new Map<string, string>();
  const queue: Entry[] = [];
  const read: Array<{ entry: Entry; page: Resource }> = [];
  const skipped: CrawlReport['skipped'] = [];
  const listed = new Map<SkipReason, number>();
  let moreSkipped = 0;
  let order = 0;
  let bytes = 0;

  /**
   * Live progress: `done` of the page limit. Recorded one after another, so the counts appear in
   * order although pages are read in parallel. Bookkeeping: its failure never fails the crawl.
   */
  let recording = Promise.resolve();
  const recordRead = (done: number) => {
    const { analysisId } = plan;
    if (analysisId === undefined) return recording;
    recording = recording.then(() =>
      substepEvents
        .pageRead(ctx.deps.db, { analysisId, done, total: limits.maxPages })
        .catch((err: unknown) => void log.info('page read not recorded as progress', { error: describeError(err) })),
    );
    return recording;
  };

  const skip = (url: string, reason: SkipReason, detail?: string) => {
    const n = listed.get(reason) ?? 0;
    if (n >= MAX_LISTED_PER_REASON) {
      moreSkipped++;
      return;
    }
    listed.set(reason, n + 1);
    skipped.push(detail ? { url, reason, detail } : { url, reason });
  };

  const dequeue = (key: string) => {
    const i = queue.findIndex((e) => e.key === key);
    return i === -1 ? undefined : queue.splice(i, 1)[0];
  };

  const offer = (raw: string, depth: number, lastmod?: string) => {
    let url: string;
    try {
      url = normalizeUrl(raw);
    } catch {
      return;
    }
    const key = dedupeKey(url);
    if (seen.has(key)) {
      const queued = lastmod ? queue.find((e) => e.key === key) : undefined;
      if (queued && !queued.lastmod) queued.lastmod = lastmod;
      return;
    }
    seen.add(key);
    if (!isSameSite(url, startUrl)) return skip(url, 'off_site');
    if (!isPageLink(url) || hasSideEffects(url)) return; // files and logout links are not pages
    const against = robots.ruleAgainst(url);
    if (against) return skip(url, 'robots', against);
    const value = pageValue(url, startUrl, lastmod);
    queue.push({ url, key, depth, lastmod, order: order++, kind: value.kind, inSection: value.inSection });
  };

  /** Pages of each kind read or being read, for the diminishing returns of `pick`. */
  const taken = new Map<PageKind, number>();
  const take = (kind: PageKind, n: number) => taken.set(kind, (taken.get(kind) ?? 0) + n);
  /** The next page to read: by value, but a kind that had its round waits for the others. */
  const pick = (): Entry => {
    queue.sort(compare);
    let best = 0;
    let bestKey: number[] | undefined;
    queue.forEach((e, i) => {
      const round = isLastKind(e.kind) ? 0 : Math.floor((taken.get(e.kind) ?? 0) / PAGES_PER_KIND_ROUND);
      const key = [e.inSection ? 0 : 1, isLastKind(e.kind) ? 1 : 0, round, i];
      if (!bestKey || before(key, bestKey)) {
        best = i;
        bestKey = key;
      }
    });
    const [entry] = queue.splice(best, 1);
    take(entry!.kind, 1);
    return entry!;
  };

  /** Marks a page read under its own, final and canonical URLs, or says why it duplicates another. */
  const claim = (entry: Entry, page: Resource, canonical: string | undefined): SkipReason | undefined => {
    const finalKey = dedupeKey(page.baseUrl);
    if (finalKey !== entry.key && readKeys.has(finalKey)) return 'duplicate';
    const canonicalKey = canonical && isSameSite(canonical, startUrl) ? dedupeKey(canonical) : undefined;
    // The page names another URL as the real one: when that one is read, being read or queued, it stands for both.
    if (canonicalKey && canonicalKey !== entry.key && (readKeys.has(canonicalKey) || inFlight.has(canonicalKey) || queue.some((e) => e.key === canonicalKey))) {
      return 'canonical';
    }
    if (hashes.has(page.contentHash)) return 'duplicate';
    for (const key of [entry.key, finalKey, canonicalKey]) {
      if (!key) continue;
      readKeys.add(key);
      seen.add(key);
      if (key !== entry.key) dequeue(key); // the same page under another URL: not read twice
    }
    hashes.set(page.contentHash, entry.url);
    return undefined;
  };

  const followLinks = (entry: Entry, links: ReturnType<typeof readPageLinks>) => {
    if (entry.depth >= limits.maxDepth) return;
    for (const link of links.links) offer(link, entry.depth + 1);
    for (const link of links.offSite) offer(link, entry.depth + 1);
  };

  // The start page.
  const startEntry: Entry = { url: startUrl, key: dedupeKey(startUrl), depth: 0, order: order++, ...startValue(startUrl) };
  take(startEntry.kind, 1);
  seen.add(startEntry.key);
  const startLinks = readPageLinks(start.body, start.baseUrl);
  claim(startEntry, start, startLinks.canonical);
  await recordRead(read.push({ entry: startEntry, page: start }));
  bytes += Buffer.byteLength(start.body);
  followLinks(startEntry, startLinks);
  if (limits.maxPages > 1) {
    for (const e of await sitemapEntries(ctx, startUrl, robots, log)) offer(e.url, 1, e.lastmod);
  }

  const visit = async (entry: Entry) => {
    inFlight.add(entry.key);
    const readBefore = read.length;
    try {
      const page = await cachedOrFetched(ctx, entry.url, 'page');
      const status = page.statusCode;
      if (isGone(status)) return skip(entry.url, 'broken_link', `HTTP ${status}`);
      if (status === 401 || status === 403) return skip(entry.url, 'blocked', `HTTP ${status}`);
      if (status < 200 || status >= 300) return skip(entry.url, 'http_error', `HTTP ${status}`);
      if (page.body.trim() === '') return skip(entry.url, 'empty');
      bytes += Buffer.byteLength(page.body);
      const links = readPageLinks(page.body, page.baseUrl);
      const duplicate = claim(entry, page, links.canonical);
      if (duplicate === 'canonical') return skip(entry.url, 'canonical', `a copy of ${links.canonical}`);
      if (duplicate) {
        const of = hashes.get(page.contentHash) ?? page.baseUrl;
        return skip(entry.url, 'duplicate', `the same page as ${of}`);
      }
      const done = read.push({ entry, page });
      followLinks(entry, links);
      await recordRead(done);
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      if (err instanceof ApplicationFailure && err.type === FailureType.UrlNotAllowed) throw err;
      // The page cache could not be read or written: the database's fault, not the page's. Skipping
      // the page would quietly shrink the analysis; the attempt fails instead and is retried.
      const infrastructure = err instanceof FetchFailure || err instanceof ApplicationFailure ? undefined : describeInfrastructureError(err);
      if (infrastructure) throw ApplicationFailure.create({ type: FailureType.DatabaseUnavailable, message: infrastructure, nonRetryable: false });
      if (err instanceof RefusedResponse) {
        const reason: SkipReason =
          err.reason === 'not_accepted' ? 'not_html' : err.reason === 'too_large' ? 'too_large' : err.reason === 'cross_site_redirect' ? 'off_site' : 'error';
        return skip(entry.url, reason, err.message);
      }
      log.info('page not fetched', { url: entry.url, error: describeError(err) });
      skip(entry.url, 'error', describeError(err));
    } finally {
      if (!read.slice(readBefore).some((r) => r.entry === entry)) take(entry.kind, -1); // not read: its kind's round is not used up
      inFlight.delete(entry.key);
      plan.onPageTried();
    }
  };

  let stop: SkipReason | undefined;
  const running = new Set<Promise<void>>();
  for (;;) {
    if (Date.now() >= limits.deadline) stop = 'time_limit';
    else if (bytes >= limits.maxBytes) stop = 'byte_limit';
    if (stop) break;
    while (running.size < limits.concurrency && read.length + running.size < limits.maxPages && queue.length > 0) {
      const visiting: Promise<void> = visit(pick()).finally(() => running.delete(visiting));
      visiting.catch(() => undefined); // awaited below; this only keeps a sibling's failure from going unhandled
      running.add(visiting);
    }
    if (running.size === 0) break;
    await Promise.race(running);
  }
  await Promise.all(running);

  const left = stop ?? 'page_limit';
  const leftDetail = stop === 'time_limit' ? 'the crawl ran out of time' : stop === 'byte_limit' ? `${limits.maxBytes} bytes read` : `${limits.maxPages} pages read`;
  for (const entry of queue.sort(compare)) skip(entry.url, left, leftDetail);
  if (stop) log.info('crawl stopped early', { reason: stop, pages: read.length });

  // The order the analysis uses them in: the start page, then by value with the same diminishing returns as `pick`.
  const [first, ...rest] = read;
  rest.sort((a, b) => compare(a.entry, b.entry));
  const seenOfKind = new Map<PageKind, number>([[first!.entry.kind, 1]]);
  const ranked = rest.map((r, i) => {
    const n = seenOfKind.get(r.entry.kind) ?? 0;
    seenOfKind.set(r.entry.kind, n + 1);
    const round = isLastKind(r.entry.kind) ? 0 : Math.floor(n / PAGES_PER_KIND_ROUND);
    return { r, key: [r.entry.inSection ? 0 : 1, isLastKind(r.entry.kind) ? 1 : 0, round, i] };
  });
  ranked.sort((a, b) => (before(a.key, b.key) ? -1 : before(b.key, a.key) ? 1 : 0));
  const ordered = [first!, ...ranked.map((x) => x.r)];
  return {
    pages: ordered.map((r) => r.page),
    report: {
      read: ordered.map((r) => ({ url: r.entry.url, kind: r.entry.kind, from: r.page.from })),
      skipped,
      moreSkipped,
    },
  };
}
