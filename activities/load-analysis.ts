import { AsyncLocalStorage } from 'node:async_hooks';
import { ApplicationFailure } from '@temporalio/common';
import type { AnalysisOptions } from '../src/domain/analysis.js';
import type { Corpus } from '../src/domain/corpus.js';
import type { CrawlReport } from '../src/domain/site-links.js';
import { FailureType } from '../src/domain/failures.js';
import { analysisOptionsSchema } from '../src/domain/requests.js';
import { analysisContentRepository, type AnalysisContentRow } from '../src/repositories/analysis-content.js';
import type { ActivityDeps } from './types.js';

/** An `analyses` row as the activities read it. */
export interface LoadedAnalysis {
  id: string;
  /** As the API stored it (normalized at start). */
  url: string;
  domain: string;
  /** Parsed with the API's schema: every default applied. */
  options: AnalysisOptions;
  /** The pages `content_extraction` read (website_content ids), in crawl order. */
  contentIds: string[];
  /** What `content_processing` left for the AI; null before it ran. */
  corpus: Corpus | null;
  /** The report's language: the requested one when the options name it, else the site's (`corpus.language`); null before processing. */
  language: string | null;
  /** The pages read and skipped, with why; null before content_extraction (or for analyses crawled before it was kept). */
  crawl: CrawlReport | null;
}

/** The row the statement beginning this attempt returned (activities/tracking.ts), until the attempt's first load takes it. */
const begun = new AsyncLocalStorage<{ row?: AnalysisContentRow }>();

/** Runs an activity attempt with the analysis row its begin statement read, so its first load needs no second read. */
export function withBegunAnalysis<T>(row: AnalysisContentRow, run: () => Promise<T>): Promise<T> {
  return begun.run({ row }, run);
}

/**
 * The one way activities read their analysis. A missing row fails at once (non-retryable): the
 * analysis was deleted, and no retry brings it back. Activities call it first; the worker's step
 * interceptor (tracking.ts) records the attempt on this row and hands over the row it read then,
 * which the first load uses; later loads in the attempt (after it wrote to the row) read again.
 */
export async function loadAnalysis(deps: Pick<ActivityDeps, 'db' | 'logger'>, analysisId: string): Promise<LoadedAnalysis> {
  const held = begun.getStore();
  const handed = held?.row?.id === analysisId ? held.row : undefined;
  if (handed) held!.row = undefined;
  const row = handed ?? (await analysisContentRepository.find(deps.db, analysisId));
  if (!row) {
    throw ApplicationFailure.create({ type: FailureType.AnalysisNotFound, message: `Analysis ${analysisId} does not exist.`, nonRetryable: true });
  }
  // The API stores options it validated; a row written by another version may not parse. Its
  // defaults are a better answer than failing an analysis that is otherwise fine.
  const parsed = analysisOptionsSchema.safeParse(row.options);
  if (!parsed.success) deps.logger.warn('stored analysis options are invalid; using the defaults', { analysisId, issues: parsed.error.issues });
  return {
    id: row.id,
    url: row.url,
    domain: row.domain,
    options: parsed.success ? parsed.data : analysisOptionsSchema.parse({}),
    contentIds: row.content_ids,
    corpus: row.corpus as Corpus | null,
    language: row.language,
    crawl: row.crawl ?? null,
  };
}
