import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { contentRepository } from '../src/repositories/content.js';
import { fetchResource, isHtml, type FetchOptions } from './fetch-resource.js';
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
}

/** What one activity attempt reads a site with: limits, host checks, cache policy and crawl delay. */
export interface CrawlContext extends FetchOptions {
  deps: ActivityDeps;
  forceRefresh: boolean;
  /** Crawl-delay from robots.txt, in ms; 0 for none. */
  delayMs: number;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * A resource from the cache when a fresh copy exists (no request at all), else from the site.
 * robots.txt and sitemaps are cached like pages, so a repeated analysis within the TTL sends
 * nothing to the site. Stored: pages that answered 2xx, other resources unless the server failed.
 */
export async function cachedOrFetched(ctx: CrawlContext, url: string, kind: 'page' | 'resource'): Promise<Resource> {
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
