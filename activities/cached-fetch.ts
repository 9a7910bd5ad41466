import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit, { type LimitFunction } from 'p-limit';
import { contentRepository } from '../src/repositories/content.js';
import { fetchResource, isHtml, type Fetched, type FetchOptions } from './fetch-resource.js';
import type { ActivityDeps } from './types.js';

/** A page or other resource of the site, with its `website_content` row when it was stored. */
export interface Resource {
  id: string | null;
  url: string;
  /** Where the content came from after redirects (the requested URL for cached rows). */
  baseUrl: string;
  statusCode: number;
  contentType: string | null;
  body: string;
  contentHash: string;
  fromCache: boolean;
  /** Where the body came from: the site, a fresh cached copy (no request), or a stale copy the site confirmed (304). */
  from: 'site' | 'cache' | 'revalidated';
}

/**
 * Requests in flight per host, and the Crawl-delay between the starts of two requests to one
 * host (robots.txt asks for it; with a delay, one request at a time).
 */
export interface HostThrottle {
  run<T>(url: string, delayMs: number, fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
}

export function createHostThrottle(concurrency: number): HostThrottle {
  const limits = new Map<string, LimitFunction>();
  const lastStart = new Map<string, number>();
  return {
    run(url, delayMs, fn, signal) {
      const host = new URL(url).host;
      let limit = limits.get(host);
      if (!limit) limits.set(host, (limit = pLimit(concurrency)));
      limit.concurrency = delayMs > 0 ? 1 : concurrency;
      return limit(async () => {
        // The delay counts from the previous request to the host, robots.txt included.
        const wait = (lastStart.get(host) ?? -Infinity) + delayMs - Date.now();
        if (wait > 0) await sleep(wait, undefined, { signal });
        lastStart.set(host, Date.now());
        return fn();
      });
    },
  };
}

/** What one activity attempt reads a site with: limits, host checks, cache policy and crawl delay. */
export interface CrawlContext extends FetchOptions {
  deps: ActivityDeps;
  forceRefresh: boolean;
  /** Crawl-delay from robots.txt, in ms; 0 for none. */
  delayMs: number;
  /** Who we say we are: robots.txt is matched against it and every request carries it. */
  userAgent: string;
  throttle: HostThrottle;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A page that is gone: remembered (as an empty row) for the TTL, so no analysis asks for it again meanwhile. */
export const isGone = (status: number) => status === 404 || status === 410;

/**
 * A resource from the cache when a fresh copy exists (no request at all); for a stale copy with
 * validators, a conditional request (If-None-Match / If-Modified-Since) whose 304 keeps the copy;
 * otherwise from the site. `forceRefresh` always reads the site, unconditionally.
 * robots.txt and sitemaps are cached like pages, so a repeated analysis within the TTL sends
 * nothing to the site. Stored: pages that answered 2xx, 404 or 410 (the last two with an empty
 * body); other resources unless the server failed.
 */
export async function cachedOrFetched(ctx: CrawlContext, url: string, kind: 'page' | 'resource'): Promise<Resource> {
  const { db, config } = ctx.deps;
  const row = ctx.forceRefresh ? undefined : await contentRepository.latestByUrl(db, url, config.CACHE_TTL_HOURS);
  const cached = (from: 'cache' | 'revalidated'): Resource => ({
    id: row!.id,
    url,
    baseUrl: url,
    statusCode: row!.status_code,
    contentType: row!.content_type,
    body: row!.html,
    contentHash: row!.content_hash,
    fromCache: true,
    from,
  });
  if (row?.fresh) return cached('cache');

  const conditional: Record<string, string> = {};
  if (row && row.status_code >= 200 && row.status_code < 300) {
    if (row.etag) conditional['if-none-match'] = row.etag;
    if (row.last_modified) conditional['if-modified-since'] = row.last_modified;
  }
  const options: FetchOptions = { ...ctx, accept: kind === 'page' ? isHtml : ctx.accept, headers: conditional };
  const fetched: Fetched = await ctx.throttle.run(url, ctx.delayMs, () => fetchResource(url, options), ctx.signal);
  if (fetched.statusCode === 304 && row && Object.keys(conditional).length > 0) {
    await contentRepository.touch(db, row.id);
    return cached('revalidated');
  }

  const gone = kind === 'page' && isGone(fetched.statusCode);
  const body = gone ? '' : fetched.body;
  const contentHash = sha256(body);
  const storable = kind === 'page' ? (fetched.statusCode >= 200 && fetched.statusCode < 300) || gone : fetched.statusCode < 500;
  const id = storable
    ? await contentRepository.save(db, {
        url,
        contentHash,
        statusCode: fetched.statusCode,
        contentType: fetched.contentType,
        html: body,
        etag: fetched.etag,
        lastModified: fetched.lastModified,
      })
    : null;
  return { id, url, baseUrl: fetched.finalUrl, statusCode: fetched.statusCode, contentType: fetched.contentType, body, contentHash, fromCache: false, from: 'site' };
}
