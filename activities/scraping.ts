import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { describeInfrastructureError, FailureType } from '../src/domain/failures.js';
import { allowedPorts } from '../src/domain/address.js';
import { InvalidUrlError, normalizeUrl, RefusedUrlError, siteDomain } from '../src/domain/url.js';
import type { Logger } from '../src/logger.js';
import { analysisContentRepository } from '../src/repositories/analysis-content.js';
import { CRAWL_DEFAULTS, DEFAULT_USER_AGENT } from '../src/config.js';
import { contentRepository } from '../src/repositories/content.js';
import { cachedOrFetched, createHostThrottle, type CrawlContext, type Resource } from './cached-fetch.js';
import { crawlSite } from './crawl.js';
import { anyType, FetchFailure, httpStatusText, RefusedResponse } from './fetch-resource.js';
import { checkHostOnce, createHostCheck } from './host-check.js';
import { loadAnalysis, type LoadedAnalysis } from './load-analysis.js';
import { readRobots, type Robots } from './robots.js';
import { withAttemptLog } from './tracking.js';
import type { ActivityDeps, AnalysisRef, ExtractionResult, ValidationResult } from './types.js';

/*
 * The two scraping steps. How a site is read lives beside them:
 *   host-check.ts      every host resolved and refused unless public (SSRF)
 *   fetch-resource.ts  one GET with our limits: size, type, time, same-site redirects
 *   cached-fetch.ts    the page cache (website_content) in front of it, and the crawl delay
 *   robots.ts          robots.txt rules for our user agent
 *   crawl.ts           best-first crawl: links of every page and the sitemap ranked together
 */

/** What the scraping steps need: every activity's dependencies (the resolver included). */
export type ScrapingDeps = ActivityDeps;

function nonRetryable(type: FailureType, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** The URL to start from; the API normalized it, but a row may predate today's rules. */
function startUrlOf(analysis: LoadedAnalysis): string {
  try {
    return normalizeUrl(analysis.url);
  } catch (err) {
    if (err instanceof RefusedUrlError) throw nonRetryable(FailureType.UrlNotAllowed, err.message);
    if (err instanceof InvalidUrlError) throw nonRetryable(FailureType.InvalidUrl, err.message);
    throw err;
  }
}

/** A failure reading the start page or robots.txt: the site as a whole is unusable (or not now). */
function startPageFailure(url: string, err: unknown): Error {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof RefusedResponse) {
    if (err.reason === 'not_accepted' || err.reason === 'too_large') return nonRetryable(FailureType.NoContent, err.message);
    if (err.reason === 'redirect_loop' || err.reason === 'too_many_redirects') return nonRetryable(FailureType.SiteUnreachable, err.message);
    return nonRetryable(FailureType.SiteUnreachable, `${err.message} Start an analysis of the site it leads to instead.`);
  }
  // Transport failures say why in words; transient ones are retried, and read SITE_UNREACHABLE when retries run out.
  if (err instanceof FetchFailure) {
    return ApplicationFailure.create({
      type: err.transient ? FailureType.SiteUnavailable : FailureType.SiteUnreachable,
      message: err.message,
      nonRetryable: !err.transient,
    });
  }
  // The page cache sits in front of the site: a database fault is not the site's.
  const infrastructure = describeInfrastructureError(err);
  if (infrastructure) return ApplicationFailure.create({ type: FailureType.DatabaseUnavailable, message: infrastructure, nonRetryable: false });
  // Retryable, but the message may be the last one a person reads: it says what happened, not what comes next.
  return ApplicationFailure.create({ type: FailureType.SiteUnavailable, message: `${url} could not be read.`, nonRetryable: false });
}

function startPageStatusFailure(url: string, status: number, userAgent: string): Error {
  const message = `${url} answered ${httpStatusText(status)}.`;
  if (status === 403 || status === 406) {
    return nonRetryable(
      FailureType.BlockedBySite,
      `${siteDomain(url)} refused our crawler (HTTP ${status} to "${userAgent}"). The analyzer says who it is instead of pretending to be a browser; the site's owner can allow it, or analyze another site.`,
    );
  }
  // 408 and 429 say "not now"; 5xx is the server's own trouble: both may pass.
  if (status === 408 || status === 429 || status >= 500) return ApplicationFailure.create({ type: FailureType.SiteUnavailable, message, nonRetryable: false });
  return nonRetryable(FailureType.SiteUnreachable, message);
}

/** Who the crawler says it is and how far it may go (read from the configuration, defaults when a test leaves them out). */
function crawlSettings(config: ActivityDeps['config']) {
  return {
    userAgent: config.SCRAPE_USER_AGENT ?? DEFAULT_USER_AGENT,
    maxDepth: config.CRAWL_MAX_DEPTH ?? CRAWL_DEFAULTS.maxDepth,
    maxBytes: config.CRAWL_MAX_BYTES ?? CRAWL_DEFAULTS.maxBytes,
    maxSeconds: config.CRAWL_MAX_SECONDS ?? CRAWL_DEFAULTS.maxSeconds,
    concurrency: config.CRAWL_CONCURRENCY ?? CRAWL_DEFAULTS.concurrency,
  };
}

/**
 * What both steps do first: set up reading the site for this attempt, read robots.txt (its crawl
 * delay applies from here on), and refuse a start page it disallows. With `checkHostFirst`, the
 * start host's addresses are checked even when robots.txt then comes from the cache.
 */
async function openSite(
  deps: ScrapingDeps,
  log: Logger,
  analysis: LoadedAnalysis,
  opts: { checkHostFirst?: boolean } = {},
): Promise<{ ctx: CrawlContext; robots: Robots; startUrl: string }> {
  const startUrl = startUrlOf(analysis);
  const settings = crawlSettings(deps.config);
  const ctx: CrawlContext = {
    deps,
    hosts: createHostCheck(deps.config.SCRAPE_ALLOW_PRIVATE_NETWORKS, log, {
      allowedPorts: allowedPorts(deps.config),
      ...(deps.resolve ? { resolve: deps.resolve } : {}),
    }),
    signal: Context.current().cancellationSignal,
    session: {},
    accept: anyType,
    forceRefresh: analysis.options.forceRefresh,
    delayMs: 0,
    userAgent: settings.userAgent,
    throttle: createHostThrottle(settings.concurrency),
  };
  if (opts.checkHostFirst) await checkHostOnce(ctx.hosts, startUrl);
  const robots = await readRobots(ctx, startUrl).catch((err: unknown) => Promise.reject(startPageFailure(startUrl, err)));
  ctx.delayMs = robots.crawlDelaySeconds * 1000;
  if (!robots.isAllowed(startUrl)) {
    throw nonRetryable(FailureType.RobotsDisallowed, `${siteDomain(startUrl)} asks crawlers not to read ${startUrl} (robots.txt).`);
  }
  return { ctx, robots, startUrl };
}

export function createScrapingActivities(deps: ScrapingDeps) {
  return {
    /** Refuses what must not or cannot be analyzed before anything is crawled. */
    async validateSite({ analysisId }: AnalysisRef): Promise<ValidationResult> {
      const analysis = await loadAnalysis(deps, analysisId);
      return withAttemptLog(deps, { analysisId, version: 1, step: 'validation' }, async (log) => {
        const { startUrl: url } = await openSite(deps, log, analysis, { checkHostFirst: true });
        log.info('site validated', { url });
        return { url, domain: siteDomain(url) };
      });
    },

    /**
     * Crawls up to `maxPages` pages of the site, most valuable first across the whole crawl, from
     * the cache where fresh; stores their ids on the analysis (start page first, then by value) and
     * what was read and skipped, with why (`analyses.crawl`).
     */
    async extractContent({ analysisId }: AnalysisRef): Promise<ExtractionResult> {
      const analysis = await loadAnalysis(deps, analysisId);
      return withAttemptLog(deps, { analysisId, version: 1, step: 'content_extraction' }, async (log) => {
        const startedAt = Date.now();
        const settings = crawlSettings(deps.config);
        const { ctx, robots, startUrl } = await openSite(deps, log, analysis);
        const { maxPages } = analysis.options;

        let start: Resource;
        try {
          start = await cachedOrFetched(ctx, startUrl, 'page');
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          throw startPageFailure(startUrl, err);
        }
        if (start.statusCode < 200 || start.statusCode >= 300) throw startPageStatusFailure(startUrl, start.statusCode, ctx.userAgent);
        if (start.body.trim() === '') throw nonRetryable(FailureType.NoContent, `${startUrl} has no readable pages.`);
        const context = Context.current();
        let done = 1;
        context.heartbeat({ done, total: maxPages });

        const { pages, report } = await crawlSite(ctx, {
          startUrl,
          start,
          robots,
          limits: {
            maxPages,
            maxDepth: settings.maxDepth,
            maxBytes: settings.maxBytes,
            deadline: startedAt + settings.maxSeconds * 1000,
            concurrency: settings.concurrency,
          },
          log,
          onPageTried: () => context.heartbeat({ done: Math.min(++done, maxPages), total: maxPages }),
          analysisId,
        });

        const usable = pages.filter((p) => p.id !== null).slice(0, maxPages);
        if (usable.length === 0) throw nonRetryable(FailureType.NoContent, `${startUrl} has no readable pages.`);
        const ids = usable.map((p) => p.id!);
        await analysisContentRepository.setContentIds(deps.db, analysisId, ids);
        await contentRepository.saveCrawlReport(deps.db, analysisId, report);
        const fromCache = usable.filter((p) => p.fromCache).length;
        log.info('site crawled', { pages: ids.length, fromCache, skipped: report.skipped.length + report.moreSkipped });
        return { pageCount: ids.length, fetched: ids.length - fromCache, fromCache };
      });
    },
  };
}
