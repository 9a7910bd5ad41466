import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../src/domain/failures.js';
import { InvalidUrlError, normalizeUrl, siteDomain } from '../src/domain/url.js';
import type { Logger } from '../src/logger.js';
import { analysisContentRepository } from '../src/repositories/analysis-content.js';
import { cachedOrFetched, type CrawlContext, type Resource } from './cached-fetch.js';
import { crawlSite } from './crawl.js';
import { anyType, RefusedResponse } from './fetch-resource.js';
import { checkHostOnce, createHostCheck } from './host-check.js';
import { loadAnalysis, type LoadedAnalysis } from './load-analysis.js';
import { readRobots, type Robots } from './robots.js';
import { trackAttempt } from './tracking.js';
import type { ActivityDeps, AnalysisRef, ExtractionResult, ValidationResult } from './types.js';

/*
 * The two scraping steps. How a site is read lives beside them:
 *   host-check.ts      every host resolved and refused unless public (SSRF)
 *   fetch-resource.ts  one GET with our limits: size, type, time, same-site redirects
 *   cached-fetch.ts    the page cache (website_content) in front of it, and the crawl delay
 *   robots.ts          robots.txt rules for our user agent
 *   crawl.ts           breadth-first crawl from the start page and the sitemap
 */

function nonRetryable(type: FailureType, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** The URL to start from; the API normalized it, but a row may predate today's rules. */
function startUrlOf(analysis: LoadedAnalysis): string {
  try {
    return normalizeUrl(analysis.url);
  } catch (err) {
    if (err instanceof InvalidUrlError) throw nonRetryable(FailureType.InvalidUrl, err.message);
    throw err;
  }
}

// Transport errors that will not go away by trying again.
const PERMANENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ENODATA', 'EHOSTUNREACH', 'ENETUNREACH', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']);

/** A failure reading the start page or robots.txt: the site as a whole is unusable (or not now). */
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

/**
 * What both steps do first: set up reading the site for this attempt, read robots.txt (its crawl
 * delay applies from here on), and refuse a start page it disallows. With `checkHostFirst`, the
 * start host's addresses are checked even when robots.txt then comes from the cache.
 */
async function openSite(
  deps: ActivityDeps,
  log: Logger,
  analysis: LoadedAnalysis,
  opts: { checkHostFirst?: boolean } = {},
): Promise<{ ctx: CrawlContext; robots: Robots; startUrl: string }> {
  const startUrl = startUrlOf(analysis);
  const ctx: CrawlContext = {
    deps,
    hosts: createHostCheck(deps.config.SCRAPE_ALLOW_PRIVATE_NETWORKS, log),
    signal: Context.current().cancellationSignal,
    session: {},
    accept: anyType,
    forceRefresh: analysis.options.forceRefresh,
    delayMs: 0,
  };
  if (opts.checkHostFirst) await checkHostOnce(ctx.hosts, startUrl);
  const robots = await readRobots(ctx, startUrl).catch((err: unknown) => Promise.reject(startPageFailure(startUrl, err)));
  ctx.delayMs = robots.crawlDelaySeconds * 1000;
  if (!robots.isAllowed(startUrl)) {
    throw nonRetryable(FailureType.RobotsDisallowed, `${siteDomain(startUrl)} asks crawlers not to read ${startUrl} (robots.txt).`);
  }
  return { ctx, robots, startUrl };
}

export function createScrapingActivities(deps: ActivityDeps) {
  return {
    /** Refuses what must not or cannot be analyzed before anything is crawled. */
    async validateSite({ analysisId }: AnalysisRef): Promise<ValidationResult> {
      const analysis = await loadAnalysis(deps, analysisId);
      return trackAttempt(deps, { analysisId, version: 1, step: 'validation' }, async (log) => {
        const { startUrl: url } = await openSite(deps, log, analysis, { checkHostFirst: true });
        log.info('site validated', { url });
        return { url, domain: siteDomain(url) };
      });
    },

    /**
     * Crawls up to `maxPages` pages of the site, most telling first, from the cache where fresh;
     * stores their ids on the analysis in crawl order.
     */
    async extractContent({ analysisId }: AnalysisRef): Promise<ExtractionResult> {
      const analysis = await loadAnalysis(deps, analysisId);
      return trackAttempt(deps, { analysisId, version: 1, step: 'content_extraction' }, async (log) => {
        const { ctx, robots, startUrl } = await openSite(deps, log, analysis);
        const { maxPages } = analysis.options;

        let start: Resource;
        try {
          start = await cachedOrFetched(ctx, startUrl, 'page');
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          throw startPageFailure(startUrl, err);
        }
        if (start.statusCode < 200 || start.statusCode >= 300) throw startPageStatusFailure(startUrl, start.statusCode);
        const context = Context.current();
        let done = 1;
        context.heartbeat({ done, total: maxPages });

        const crawled = await crawlSite(ctx, {
          startUrl,
          start,
          robots,
          maxPages,
          log,
          onPageTried: () => context.heartbeat({ done: Math.min(++done, maxPages), total: maxPages }),
        });

        const usable = crawled.filter((p) => p.id !== null && p.body.trim() !== '').slice(0, maxPages);
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
