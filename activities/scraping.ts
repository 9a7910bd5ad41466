import { createHash } from 'node:crypto';
import dns from 'node:dns';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { gotScraping } from 'got-scraping';
import robotsParserModule from 'robots-parser';
import type { AnalysisOptions } from '../src/domain/analysis.js';
import { FailureType } from '../src/domain/failures.js';
import { analysisOptionsSchema } from '../src/domain/requests.js';
import { dedupeKey, extractLinks, parseSitemap, parseSitemapIndex, prioritizeLinks } from '../src/domain/site-links.js';
import { classifyAddress, InvalidUrlError, isSameSite, normalizeUrl, siteDomain } from '../src/domain/url.js';
import type { Logger } from '../src/logger.js';
import { analysisContentRepository } from '../src/repositories/analysis-content.js';
import { contentRepository } from '../src/repositories/content.js';
import { trackAttempt } from './tracking.js';
import type { ActivityDeps, AnalysisRef, ExtractionResult, ValidationResult } from './types.js';

// robots-parser is CommonJS (`module.exports = fn`) but its types declare an ES default export.
const robotsParser = robotsParserModule as unknown as typeof robotsParserModule.default;

/** The product token robots.txt groups are matched against. */
export const ROBOTS_USER_AGENT = 'PersonaAnalyzer';
const REQUEST_TIMEOUT_MS = 15_000;
const MAX_BODY_BYTES = 5 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const CONCURRENCY = 3;
const MAX_CRAWL_DELAY_S = 10;
const MAX_SITEMAP_DOCUMENTS = 3;
const MAX_SITEMAP_URLS = 500;
// Start page = depth 0; links of links = depth 2. Company sites put what matters near the top.
const MAX_DEPTH = 2;

function nonRetryable(type: FailureType, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** Checked before trackAttempt, which records the attempt on a row that must exist. */
async function findAnalysis(deps: ActivityDeps, analysisId: string) {
  const row = await analysisContentRepository.find(deps.db, analysisId);
  if (!row) throw nonRetryable(FailureType.AnalysisNotFound, `Analysis ${analysisId} does not exist.`);
  return row;
}

function readAnalysis(row: Awaited<ReturnType<typeof findAnalysis>>, log: Logger) {
  const parsed = analysisOptionsSchema.safeParse(row.options);
  if (!parsed.success) log.warn('stored options are invalid; using defaults', { issues: parsed.error.issues });
  const options: AnalysisOptions = parsed.success ? parsed.data : analysisOptionsSchema.parse({});
  let url: string;
  try {
    url = normalizeUrl(row.url);
  } catch (err) {
    if (err instanceof InvalidUrlError) throw nonRetryable(FailureType.InvalidUrl, err.message);
    throw err;
  }
  return { url, options };
}

// ---------------------------------------------------------------------------------------------
// Address checks (SSRF).
//
// Every host is resolved and its addresses classified before the first request to it, and every
// redirect hop is checked the same way (see fetchResource). What this does NOT cover yet, and the
// place to add it: the connection itself. got resolves the host again when it connects, so a DNS
// answer that changes between our check and the connect (DNS rebinding) is not caught, and https
// requests go over HTTP/2 sessions that bypass http.Agent. The fix is to pin the checked address:
// pass a `dnsLookup` that only returns addresses classifyAddress accepts, and make sure the HTTP/2
// path (http2-wrapper) uses it too, or disable http2.
// ---------------------------------------------------------------------------------------------

interface HostCheck {
  allowPrivate: boolean;
  checked: Map<string, Promise<void>>;
}

async function resolveHost(hostname: string): Promise<string[]> {
  const literal = hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(literal)) return [literal];
  try {
    const answers = await dns.promises.lookup(hostname, { all: true, verbatim: true });
    return answers.map((a) => a.address);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') {
      throw nonRetryable(FailureType.SiteUnreachable, `The host name ${hostname} does not exist.`);
    }
    // EAI_AGAIN and friends: the resolver had a bad moment; a retry may succeed.
    throw new Error(`Could not resolve ${hostname} (${code ?? String(err)}).`);
  }
}

async function assertPublicHost(hostname: string, allowPrivate: boolean): Promise<void> {
  const addresses = await resolveHost(hostname);
  if (allowPrivate) return;
  // One non-public answer is enough to refuse: the connection may pick any of them.
  for (const address of addresses) {
    const kind = classifyAddress(address);
    if (kind !== 'public') {
      throw nonRetryable(FailureType.UrlNotAllowed, `${hostname} resolves to a ${kind} address (${address}); only public sites can be analyzed.`);
    }
  }
}

function checkHostOnce(check: HostCheck, url: string): Promise<void> {
  const { hostname } = new URL(url);
  let pending = check.checked.get(hostname);
  if (!pending) {
    pending = assertPublicHost(hostname, check.allowPrivate);
    check.checked.set(hostname, pending);
  }
  return pending;
}

// ---------------------------------------------------------------------------------------------
// Fetching
// ---------------------------------------------------------------------------------------------

interface Fetched {
  finalUrl: string;
  statusCode: number;
  contentType: string | null;
  body: string;
}

/** Why a response was not read; these are answers from the site, not transport failures. */
class RefusedResponse extends Error {
  override name = 'RefusedResponse';
  constructor(
    message: string,
    readonly reason: 'not_accepted' | 'too_large' | 'cross_site_redirect' | 'too_many_redirects',
  ) {
    super(message);
  }
}

function charsetOf(contentType: string | null, head: Buffer): string {
  const declared = /charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType ?? '')?.[1];
  if (declared) return declared;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  const meta = /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head.subarray(0, 2048).toString('latin1'))?.[1];
  return meta ?? 'utf-8';
}

function decodeBody(body: Buffer, contentType: string | null): string {
  try {
    return new TextDecoder(charsetOf(contentType, body)).decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body); // unknown charset label
  }
}

interface FetchOptions {
  signal: AbortSignal;
  hosts: HostCheck;
  /** got-scraping keeps one consistent browser fingerprint for requests sharing this object. */
  session: object;
  /** Which successful content types to download; others are refused after the headers. */
  accept: (contentType: string) => boolean;
}

/**
 * GET with our limits: each hop's host checked first, redirects followed by hand and only within
 * the site, 15 s per request, at most 5 MB, nothing downloaded whose type is not wanted.
 * HTTP error statuses are returned, not thrown; transport failures throw got's errors.
 */
async function fetchResource(url: string, opts: FetchOptions): Promise<Fetched> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    await checkHostOnce(opts.hosts, current);
    let refused: RefusedResponse | undefined;
    const request = gotScraping({
      url: current,
      signal: opts.signal,
      sessionToken: opts.session,
      responseType: 'buffer',
      throwHttpErrors: false,
      followRedirect: false,
      retry: { limit: 0 },
      timeout: { request: REQUEST_TIMEOUT_MS },
    });
    request.on('request', (req) => {
      req.once('response', (res) => {
        const status = res.statusCode ?? 0;
        const type = res.headers['content-type'] ?? '';
        const length = Number(res.headers['content-length'] ?? 0);
        if (status >= 200 && status < 300 && !opts.accept(type)) {
          refused = new RefusedResponse(`${current} is ${type || 'of no declared type'}, not a page.`, 'not_accepted');
        } else if (length > MAX_BODY_BYTES) {
          refused = new RefusedResponse(`${current} is larger than ${MAX_BODY_BYTES} bytes.`, 'too_large');
        }
        if (refused) request.cancel();
      });
    });
    request.on('downloadProgress', ({ transferred }) => {
      if (transferred > MAX_BODY_BYTES && !refused) {
        refused = new RefusedResponse(`${current} is larger than ${MAX_BODY_BYTES} bytes.`, 'too_large');
        request.cancel();
      }
    });
    let response;
    try {
      response = await request;
    } catch (err) {
      if (refused) throw refused;
      throw err;
    }
    const location = response.headers.location;
    if (response.statusCode >= 300 && response.statusCode < 400 && location) {
      const next = normalizeUrl(new URL(location, current).toString());
      if (!isSameSite(next, url)) {
        throw new RefusedResponse(`${current} redirects to another site (${next}).`, 'cross_site_redirect');
      }
      current = next;
      continue;
    }
    const contentType = response.headers['content-type'] ?? null;
    return { finalUrl: current, statusCode: response.statusCode, contentType, body: decodeBody(response.body, contentType) };
  }
  throw new RefusedResponse(`${url} redirects more than ${MAX_REDIRECTS} times.`, 'too_many_redirects');
}

const isHtml = (type: string) => /^\s*(text\/html|application\/xhtml\+xml)\b/i.test(type);
const anyType = () => true;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

interface Resource {
  id: string | null;
  url: string;
  /** Where the content came from after redirects (the requested URL for cached rows). */
  baseUrl: string;
  statusCode: number;
  contentType: string | null;
  body: string;
  contentHash: string;
  fromCache: boolean;
}

interface CrawlContext extends FetchOptions {
  deps: ActivityDeps;
  forceRefresh: boolean;
  /** Crawl-delay from robots.txt, in ms; 0 for none. */
  delayMs: number;
}

/**
 * A resource from the cache when a fresh copy exists (no request at all), else from the site.
 * robots.txt and sitemaps are cached like pages, so a repeated analysis within the TTL sends
 * nothing to the site. Stored: pages that answered 2xx, other resources unless the server failed.
 */
async function cachedOrFetched(ctx: CrawlContext, url: string, kind: 'page' | 'resource'): Promise<Resource> {
  if (!ctx.forceRefresh) {
    const row = await contentRepository.freshByUrl(ctx.deps.db, url, ctx.deps.config.CACHE_TTL_HOURS);
    if (row) {
      return { id: row.id, url, baseUrl: url, statusCode: row.status_code, contentType: row.content_type, body: row.html, contentHash: row.content_hash, fromCache: true };
    }
  }
  if (ctx.delayMs > 0) await sleep(ctx.delayMs, undefined, { signal: ctx.signal });
  const fetched = await fetchResource(url, { ...ctx, accept: kind === 'page' ? isHtml : ctx.accept });
  const contentHash = sha256(fetched.body);
  const storable = kind === 'page' ? fetched.statusCode >= 200 && fetched.statusCode < 300 : fetched.statusCode < 500;
  const id = storable
    ? await contentRepository.save(ctx.deps.db, { url, contentHash, statusCode: fetched.statusCode, contentType: fetched.contentType, html: fetched.body })
    : null;
  return { id, url, baseUrl: fetched.finalUrl, statusCode: fetched.statusCode, contentType: fetched.contentType, body: fetched.body, contentHash, fromCache: false };
}

// ---------------------------------------------------------------------------------------------
// robots.txt
// ---------------------------------------------------------------------------------------------

interface Robots {
  isAllowed(url: string): boolean;
  crawlDelaySeconds: number;
  sitemaps: string[];
}

const ALLOW_ALL: Robots = { isAllowed: () => true, crawlDelaySeconds: 0, sitemaps: [] };

/**
 * The site's robots.txt rules for us (RFC 9309): a 4xx answer means no rules; a 5xx answer means
 * "assume everything is disallowed for now", which we express as a retryable failure.
 */
async function readRobots(ctx: CrawlContext, siteUrl: string): Promise<Robots> {
  const robotsUrl = new URL('/robots.txt', siteUrl).toString();
  let resource: Resource;
  try {
    resource = await cachedOrFetched(ctx, robotsUrl, 'resource');
  } catch (err) {
    if (err instanceof RefusedResponse) return ALLOW_ALL; // redirected off-site or too big: no usable rules
    throw err;
  }
  if (resource.statusCode >= 500) {
    throw new Error(`${robotsUrl} answered ${resource.statusCode}; robots.txt rules say to wait until it recovers.`);
  }
  if (resource.statusCode >= 400 || resource.statusCode < 200) return ALLOW_ALL;
  const robots = robotsParser(robotsUrl, resource.body);
  return {
    isAllowed: (url) => robots.isAllowed(url, ROBOTS_USER_AGENT) !== false,
    crawlDelaySeconds: Math.min(robots.getCrawlDelay(ROBOTS_USER_AGENT) ?? 0, MAX_CRAWL_DELAY_S),
    sitemaps: robots.getSitemaps(),
  };
}

// ---------------------------------------------------------------------------------------------
// Failures of the start page: the site as a whole is unusable
// ---------------------------------------------------------------------------------------------

// Transport errors that will not go away by trying again.
const PERMANENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ENODATA', 'EHOSTUNREACH', 'ENETUNREACH', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']);

function startPageFailure(url: string, err: unknown): Error {
  if (err instanceof ApplicationFailure) return err;
  // Our own plain errors (a failing robots.txt, an unresolvable host) already say what happened.
  if (err instanceof Error && !(err instanceof RefusedResponse) && !('code' in err)) return err;
  if (err instanceof RefusedResponse) {
    if (err.reason === 'not_accepted' || err.reason === 'too_large') return nonRetryable(FailureType.NoContent, err.message);
    return nonRetryable(FailureType.SiteUnreachable, `${err.message} Start an analysis of the site it leads to instead.`);
  }
  const code = (err as { code?: string }).code ?? '';
  const message = `${url} could not be reached (${code || (err as Error).message}).`;
  if (PERMANENT_CODES.has(code)) return nonRetryable(FailureType.SiteUnreachable, message);
  return new Error(message); // timeouts, resets: retryable
}

function startPageStatusFailure(url: string, status: number): Error {
  const message = `${url} answered HTTP ${status}.`;
  // 408 and 429 say "not now"; 5xx is the server's own trouble: both may pass.
  if (status === 408 || status === 429 || status >= 500) return new Error(message);
  return nonRetryable(FailureType.SiteUnreachable, message);
}

// ---------------------------------------------------------------------------------------------
// Crawl
// ---------------------------------------------------------------------------------------------

async function sitemapUrls(ctx: CrawlContext, startUrl: string, robots: Robots, log: Logger): Promise<string[]> {
  const queue = robots.sitemaps.filter((s) => isSameSite(s, startUrl));
  if (queue.length === 0) queue.push(new URL('/sitemap.xml', startUrl).toString());
  const urls: string[] = [];
  for (let read = 0; read < MAX_SITEMAP_DOCUMENTS && queue.length > 0 && urls.length < MAX_SITEMAP_URLS; read++) {
    const sitemapUrl = normalizeUrl(queue.shift()!);
    if (/\.gz$/i.test(new URL(sitemapUrl).pathname) || !robots.isAllowed(sitemapUrl)) continue;
    try {
      const doc = await cachedOrFetched(ctx, sitemapUrl, 'resource');
      if (doc.statusCode < 200 || doc.statusCode >= 300) continue;
      urls.push(...parseSitemap(doc.body));
      queue.push(...parseSitemapIndex(doc.body).filter((s) => isSameSite(s, startUrl)));
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      log.info('sitemap not read', { url: sitemapUrl, error: (err as Error).message });
    }
  }
  return urls.slice(0, MAX_SITEMAP_URLS);
}

/** Runs `task` over `items` with at most `limit` at a time while `wanted()` says more are needed. */
async function runPool<T>(items: readonly T[], limit: number, wanted: (inFlight: number) => boolean, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let inFlight = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && wanted(inFlight)) {
      const index = next++;
      inFlight++;
      try {
        await task(items[index]!, index);
      } finally {
        inFlight--;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
}

function describeError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e.code ? `${e.code}: ${e.message}` : String(e.message ?? err);
}

export function createScrapingActivities(deps: ActivityDeps) {
  const hostCheck = (): HostCheck => ({ allowPrivate: deps.config.SCRAPE_ALLOW_PRIVATE_NETWORKS, checked: new Map() });

  return {
    /** Refuses what must not or cannot be analyzed before anything is crawled. */
    async validateSite({ analysisId }: AnalysisRef): Promise<ValidationResult> {
      const row = await findAnalysis(deps, analysisId);
      return trackAttempt(deps, { analysisId, version: 1, step: 'validation' }, async (log) => {
        const { url, options } = readAnalysis(row, log);
        const hosts = hostCheck();
        await checkHostOnce(hosts, url);
        const ctx: CrawlContext = {
          deps,
          hosts,
          signal: Context.current().cancellationSignal,
          session: {},
          accept: anyType,
          forceRefresh: options.forceRefresh,
          delayMs: 0,
        };
        const robots = await readRobots(ctx, url).catch((err: unknown) => Promise.reject(startPageFailure(url, err)));
        if (!robots.isAllowed(url)) {
          throw nonRetryable(FailureType.RobotsDisallowed, `${siteDomain(url)} asks crawlers not to read ${url} (robots.txt).`);
        }
        log.info('site validated', { url });
        return { url, domain: siteDomain(url) };
      });
    },

    /**
     * Crawls up to `maxPages` pages of the site, most telling first, from the cache where fresh;
     * stores their ids on the analysis in crawl order.
     */
    async extractContent({ analysisId }: AnalysisRef): Promise<ExtractionResult> {
      const row = await findAnalysis(deps, analysisId);
      return trackAttempt(deps, { analysisId, version: 1, step: 'content_extraction' }, async (log) => {
        const { url: startUrl, options } = readAnalysis(row, log);
        const context = Context.current();
        const ctx: CrawlContext = {
          deps,
          hosts: hostCheck(),
          signal: context.cancellationSignal,
          session: {},
          accept: anyType,
          forceRefresh: options.forceRefresh,
          delayMs: 0,
        };
        const robots = await readRobots(ctx, startUrl).catch((err: unknown) => Promise.reject(startPageFailure(startUrl, err)));
        ctx.delayMs = robots.crawlDelaySeconds * 1000;
        if (!robots.isAllowed(startUrl)) {
          throw nonRetryable(FailureType.RobotsDisallowed, `${siteDomain(startUrl)} asks crawlers not to read ${startUrl} (robots.txt).`);
        }

        let start: Resource;
        try {
          start = await cachedOrFetched(ctx, startUrl, 'page');
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          throw startPageFailure(startUrl, err);
        }
        if (start.statusCode < 200 || start.statusCode >= 300) throw startPageStatusFailure(startUrl, start.statusCode);
        const total = options.maxPages;
        context.heartbeat({ done: 1, total });

        // Breadth first: the start page's links and the sitemap, then (while pages are still wanted)
        // the links of the pages found there. Each level is ranked by how telling its pages are.
        const crawled: Resource[] = [start];
        const hashes = new Set([start.contentHash]);
        const queued = new Set([dedupeKey(startUrl)]);
        let done = 1;
        let links = options.maxPages > 1 ? [...extractLinks(start.body, start.baseUrl), ...(await sitemapUrls(ctx, startUrl, robots, log))] : [];
        for (let depth = 1; depth <= MAX_DEPTH && links.length > 0 && crawled.length < options.maxPages; depth++) {
          const level = prioritizeLinks(links, startUrl, Number.MAX_SAFE_INTEGER).filter((u) => {
            const key = dedupeKey(u);
            if (queued.has(key) || !robots.isAllowed(u)) return false;
            queued.add(key);
            return true;
          });
          const found: Array<Resource | undefined> = [];
          await runPool(
            level,
            ctx.delayMs > 0 ? 1 : CONCURRENCY,
            (inFlight) => crawled.length + found.filter(Boolean).length + inFlight < options.maxPages,
            async (url, index) => {
              try {
                const page = await cachedOrFetched(ctx, url, 'page');
                // A page reached under two URLs (redirects, aliases) is read once.
                if (page.id !== null && page.body.trim() !== '' && !hashes.has(page.contentHash)) {
                  hashes.add(page.contentHash);
                  found[index] = page;
                } else {
                  log.info('page skipped', { url, status: page.statusCode });
                }
              } catch (err) {
                if (ctx.signal.aborted) throw err;
                if (err instanceof ApplicationFailure && err.type === FailureType.UrlNotAllowed) throw err;
                log.info('page not fetched', { url, error: describeError(err) });
              }
              context.heartbeat({ done: Math.min(++done, total), total });
            },
          );
          const levelPages = found.filter((p): p is Resource => p !== undefined);
          crawled.push(...levelPages);
          links = levelPages.flatMap((p) => extractLinks(p.body, p.baseUrl));
        }

        const usable = crawled.filter((p) => p.id !== null && p.body.trim() !== '').slice(0, options.maxPages);
        if (usable.length === 0) throw nonRetryable(FailureType.NoContent, `${startUrl} has no readable pages.`);
        const ids = usable.map((p) => p.id!);
        await analysisContentRepository.setContentIds(deps.db, analysisId, ids);
        const fromCache = usable.filter((p) => p.fromCache).length;
        log.info('site crawled', { pages: ids.length, fromCache });
        return { pageCount: ids.length, fetched: ids.length - fromCache, fromCache };
      });
    },
  };
}
