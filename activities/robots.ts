import { ApplicationFailure } from '@temporalio/common';
import robotsParserModule from 'robots-parser';
import { FailureType } from '../src/domain/failures.js';
import { cachedOrFetched, type CrawlContext, type Resource } from './cached-fetch.js';
import { httpStatusText, RefusedResponse } from './fetch-resource.js';

// robots-parser is CommonJS (`module.exports = fn`) but its types declare an ES default export.
const robotsParser = robotsParserModule as unknown as typeof robotsParserModule.default;

/**
 * The product token of our User-Agent: robots.txt groups are matched against it (robots-parser
 * takes the part before the `/` of the configured SCRAPE_USER_AGENT, case-insensitively).
 */
export const ROBOTS_USER_AGENT = 'PersonaAnalyzer';

/** The product token of a User-Agent string (`PersonaAnalyzer/1.0 (+url)` → `PersonaAnalyzer`). */
export function productToken(userAgent: string): string {
  return userAgent.split('/')[0]!.trim() || ROBOTS_USER_AGENT;
}
const MAX_CRAWL_DELAY_S = 10;

export interface Robots {
  isAllowed(url: string): boolean;
  /** The rule that keeps us out of `url` and its line, as a reader is told it; undefined when none does. */
  ruleAgainst(url: string): string | undefined;
  crawlDelaySeconds: number;
  sitemaps: string[];
}

const ALLOW_ALL: Robots = { isAllowed: () => true, ruleAgainst: () => undefined, crawlDelaySeconds: 0, sitemaps: [] };

/**
 * The site's robots.txt rules for us (RFC 9309): a 4xx answer means no rules; a 5xx answer means
 * "assume everything is disallowed for now", which we express as a retryable failure.
 */
export async function readRobots(ctx: CrawlContext, siteUrl: string): Promise<Robots> {
  const robotsUrl = new URL('/robots.txt', siteUrl).toString();
  let resource: Resource;
  try {
    resource = await cachedOrFetched(ctx, robotsUrl, 'resource');
  } catch (err) {
    if (err instanceof RefusedResponse) return ALLOW_ALL; // redirected off-site or too big: no usable rules
    throw err;
  }
  if (resource.statusCode >= 500) {
    // Retryable (the site may recover), but the message may be the last one a person reads.
    throw ApplicationFailure.create({
      type: FailureType.SiteUnavailable,
      message: `${robotsUrl} answered ${httpStatusText(resource.statusCode)}: while robots.txt fails, its rules forbid reading the site.`,
      nonRetryable: false,
    });
  }
  if (resource.statusCode >= 400 || resource.statusCode < 200) return ALLOW_ALL;
  const robots = robotsParser(robotsUrl, resource.body);
  const agent = productToken(ctx.userAgent);
  return {
    isAllowed: (url) => robots.isAllowed(url, agent) !== false,
    ruleAgainst(url) {
      if (robots.isAllowed(url, agent) !== false) return undefined;
      const line = robots.getMatchingLineNumber(url, agent);
      const rule = line > 0 ? resource.body.split(/\r?\n/)[line - 1]?.trim().slice(0, 200) : undefined;
      return rule ? `its rule "${rule}", line ${line}` : 'its rules';
    },
    crawlDelaySeconds: Math.min(robots.getCrawlDelay(agent) ?? 0, MAX_CRAWL_DELAY_S),
    sitemaps: robots.getSitemaps(),
  };
}
