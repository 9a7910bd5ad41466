/**
 * Retention rules, pure so the purge workflow (deterministic) and tests share them.
 *
 * What the purge removes, counted back from one fixed moment per run (the run's start, or `asOf`):
 * - analyses finished (completed, failed, cancelled) and untouched for ANALYSIS_RETENTION_DAYS,
 *   only when that is set (unset keeps analyses forever);
 * - cached pages (website_content) fetched more than CACHE_RETENTION_DAYS ago (unset keeps them),
 *   unless a kept analysis still needs them: see `pageNeededSql` in the retention activities.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** Rows per delete statement: small enough that a batch holds its locks briefly. */
export const DEFAULT_PURGE_BATCH_SIZE = 500;
/** Batches one activity attempt runs before it reports back (and the progress query moves on). */
export const DEFAULT_BATCHES_PER_ACTIVITY = 20;

export interface RetentionSettings {
  /** Days a cached page is kept after it was fetched; null or absent: kept forever. */
  cacheRetentionDays?: number | null;
  /** Days a finished analysis is kept; null or absent: kept forever. */
  analysisRetentionDays?: number | null;
}

export interface RetentionCutoffs {
  /** ISO time: pages fetched before it may go. Null: no page is purged. */
  pagesBefore: string | null;
  /** ISO time: analyses finished (and untouched) before it go. Null: no analysis is purged. */
  analysesBefore: string | null;
}

function cutoff(asOf: Date, days: number | null | undefined): string | null {
  if (days === null || days === undefined) return null;
  if (!Number.isFinite(days) || days <= 0) throw new RangeError(`A retention period must be a positive number of days (got ${days}).`);
  return new Date(asOf.getTime() - days * DAY_MS).toISOString();
}

/** The cutoffs of one purge run: fixed once, so a retried or resumed run deletes by the same line. */
export function retentionCutoffs(asOf: Date, settings: RetentionSettings): RetentionCutoffs {
  return { pagesBefore: cutoff(asOf, settings.cacheRetentionDays), analysesBefore: cutoff(asOf, settings.analysisRetentionDays) };
}

export type PurgePhase = 'analyses' | 'pages' | 'done';

/** What `purgeProgress` answers while a purge runs (and the purge returns). */
export interface PurgeProgress {
  phase: PurgePhase;
  cutoffs: RetentionCutoffs;
  analysesDeleted: number;
  pagesDeleted: number;
  /** Delete statements run so far (each removes at most the batch size). */
  batches: number;
}

export function startProgress(cutoffs: RetentionCutoffs): PurgeProgress {
  // Analyses first: the pages only they needed become removable in the same run.
  const phase: PurgePhase = cutoffs.analysesBefore ? 'analyses' : cutoffs.pagesBefore ? 'pages' : 'done';
  return { phase, cutoffs, analysesDeleted: 0, pagesDeleted: 0, batches: 0 };
}

export interface BatchOutcome {
  deleted: number;
  batches: number;
  /** Nothing of this phase is left to delete. */
  finished: boolean;
}

/** Progress after one activity's batches: counts add up, a finished phase hands over to the next. */
export function advanceProgress(progress: PurgeProgress, outcome: BatchOutcome): PurgeProgress {
  const next: PurgeProgress = { ...progress, batches: progress.batches + outcome.batches };
  if (progress.phase === 'analyses') next.analysesDeleted += outcome.deleted;
  else if (progress.phase === 'pages') next.pagesDeleted += outcome.deleted;
  if (outcome.finished) {
    next.phase = progress.phase === 'analyses' && progress.cutoffs.pagesBefore ? 'pages' : 'done';
  }
  return next;
}

/** A batch that deleted fewer rows than it asked for found the end of its phase. */
export function batchFinished(deleted: number, batchSize: number): boolean {
  return deleted < batchSize;
}
