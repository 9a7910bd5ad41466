import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../src/domain/failures.js';
import { dedupeKey, extractLinks, parseSitemap, parseSitemapIndex, prioritizeLinks } from '../src/domain/site-links.js';
import { isSameSite, normalizeUrl } from '../src/domain/url.js';
import type { Logger } from '../src/logger.js';
import { cachedOrFetched, type CrawlContext, type Resource } from './cached-fetch.js';
import type { Robots } from './robots.js';
import pLimit from 'p-limit';

const CONCURRENCY = 3;
const MAX_SITEMAP_DOCUMENTS = 3;
const MAX_SITEMAP_URLS = 500;
// Start page = depth 0; links of links = depth 2. Company sites put what matters near the top.
const MAX_DEPTH = 2;

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

function describeError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e.code ? `${e.code}: ${e.message}` : String(e.message ?? err);
}

export interface CrawlPlan {
  startUrl: string;
  /** The start page, already read. */
  start: Resource;
  robots: Robots;
  maxPages: number;
  log: Logger;
  /** Called after each page beyond the start page was tried, read or not (for heartbeats). */
  onPageTried: () => void;
}

/**
 * Breadth first: the start page's links and the sitemap, then (while pages are still wanted) the
 * links of the pages found there. Each level is ranked by how telling its pages are; robots.txt
 * is honoured, and a page reached under two URLs (redirects, aliases) is read once. A page that
 * fails is skipped, except for an address refusal, which fails the crawl. Returns the pages read,
 * the start page first.
 */
export async function crawlSite(ctx: CrawlContext, plan: CrawlPlan): Promise<Resource[]> {
  const { start, startUrl, robots, maxPages, log } = plan;
  const crawled: Resource[] = [start];
  const hashes = new Set([start.contentHash]);
  const queued = new Set([dedupeKey(startUrl)]);
  let links = maxPages > 1 ? [...extractLinks(start.body, start.baseUrl), ...(await sitemapUrls(ctx, startUrl, robots, log))] : [];
  for (let depth = 1; depth <= MAX_DEPTH && links.length > 0 && crawled.length < maxPages; depth++) {
    const level = prioritizeLinks(links, startUrl, Number.MAX_SAFE_INTEGER).filter((u) => {
      const key = dedupeKey(u);
      if (queued.has(key) || !robots.isAllowed(u)) return false;
      queued.add(key);
      return true;
    });
    const found: Array<Resource | undefined> = [];
    const limit = pLimit(ctx.delayMs > 0 ? 1 : CONCURRENCY);
    // Pages read plus pages on their way: once they make maxPages, the rest of the level is not fetched.
    let inFlight = 0;
    await Promise.all(
      level.map((url, index) =>
        limit(async () => {
          if (crawled.length + found.filter(Boolean).length + inFlight >= maxPages) return;
          inFlight++;
          try {
            const page = await cachedOrFetched(ctx, url, 'page');
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
          } finally {
            inFlight--;
          }
          plan.onPageTried();
        }),
      ),
    );
    const levelPages = found.filter((p): p is Resource => p !== undefined);
    crawled.push(...levelPages);
    links = levelPages.flatMap((p) => extractLinks(p.body, p.baseUrl));
  }
  return crawled;
}
