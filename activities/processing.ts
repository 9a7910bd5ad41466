import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { CLEANER_VERSION, cleanPage } from '../src/domain/clean-page.js';
import { fitTokenBudget, type BudgetPage } from '../src/domain/token-budget.js';
import { withPassages, type CleanPage } from '../src/domain/corpus.js';
import { FailureType } from '../src/domain/failures.js';
import { analysisContentRepository } from '../src/repositories/analysis-content.js';
import { contentRepository } from '../src/repositories/content.js';
import { loadAnalysis } from './load-analysis.js';
import { withAttemptLog } from './tracking.js';
import type { ActivityDeps, AnalysisRef, ProcessingResult } from './types.js';

/**
 * What the insight calls may read, in tokens (about 48 KB of text). Five calls read it in parallel,
 * so this is also roughly a fifth of the input tokens an analysis costs.
 */
export const CORPUS_TOKEN_BUDGET = 12_000;

export function createProcessingActivities(deps: ActivityDeps) {
  return {
    /** Cleans the analysis's pages (once per stored page) and fits them into the corpus the AI reads. */
    async processContent({ analysisId }: AnalysisRef): Promise<ProcessingResult> {
      const analysis = await loadAnalysis(deps, analysisId);
      return withAttemptLog(deps, { analysisId, version: 1, step: 'content_processing' }, async (log) => {
        const rows = await contentRepository.byIds(deps.db, analysis.contentIds);
        const context = Context.current();
        const pages: BudgetPage[] = [];
        const cleaned: { id: string; cleaned: CleanPage; language: string }[] = [];
        for (const [i, row] of rows.entries()) {
          // A page cached by an earlier analysis was cleaned then; cleaning is deterministic.
          // A page cleaned by another cleaner version is cleaned again rather than served as old text.
          let page = row.cleaner_version === CLEANER_VERSION ? (row.cleaned as CleanPage | null) : null;
          if (!page) {
            page = cleanPage(row.html, row.url);
            cleaned.push({ id: row.id, cleaned: page, language: page.language });
          }
          pages.push({ contentId: row.id, url: row.url, page });
          context.heartbeat({ done: i + 1, total: rows.length });
        }
        await contentRepository.saveCleaned(deps.db, cleaned);
        // Numbered passages are the unit of evidence: every later citation names one of these IDs.
        const corpus = withPassages(fitTokenBudget(pages, CORPUS_TOKEN_BUDGET));
        if (corpus.pages.length === 0) {
          throw ApplicationFailure.create({
            type: FailureType.NoContent,
            message: `None of the ${rows.length} pages read from ${analysis.domain} has any visible text.`,
            nonRetryable: true,
          });
        }
        // The report's language: the one asked for, else the site's. The corpus keeps the site's,
        // which the quality rules compare it with (a translated report names things in other words).
        const language = analysis.options.language ?? corpus.language;
        await analysisContentRepository.setCorpus(deps.db, analysisId, corpus, language);
        const passages = corpus.pages.reduce((n, p) => n + (p.passages?.length ?? 0), 0);
        log.info('content processed', { pages: corpus.pages.length, passages, language, tokenEstimate: corpus.tokenEstimate });
        return { pageCount: corpus.pages.length, language, tokenEstimate: corpus.tokenEstimate };
      });
    },
  };
}
