import { continueAsNew, proxyActivities, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import {
  advanceProgress,
  DEFAULT_BATCHES_PER_ACTIVITY,
  DEFAULT_PURGE_BATCH_SIZE,
  retentionCutoffs,
  startProgress,
  type PurgeProgress,
} from '../src/domain/retention.js';
import { purgeProgressQuery, type RetentionPurgeInput } from './purge-definitions.js';

/**
 * Deletes are idempotent by cutoff (a retry re-runs the same statement), heartbeat after every
 * batch, and stop between batches when cancelled. A purge that cannot reach the database for a
 * while fails; the next day's run starts over.
 */
const purge = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/**
 * Retention, run daily by the `persona-retention-purge` schedule: finished analyses past
 * ANALYSIS_RETENTION_DAYS first (so pages only they needed can go too), then cached pages past
 * CACHE_RETENTION_DAYS that no kept analysis needs. The cutoffs are fixed once, from the run's
 * start (or `asOf`): an interrupted run that resumes deletes by the same line, never more.
 */
export async function RetentionPurgeWorkflow(input: RetentionPurgeInput = {}): Promise<PurgeProgress> {
  const asOf = input.asOf ? new Date(input.asOf) : workflowInfo().startTime;
  let progress = input.resume ?? startProgress(retentionCutoffs(asOf, input));
  setHandler(purgeProgressQuery, () => progress);
  const batchSize = input.batchSize ?? DEFAULT_PURGE_BATCH_SIZE;
  const maxBatches = input.batchesPerActivity ?? DEFAULT_BATCHES_PER_ACTIVITY;

  while (progress.phase !== 'done') {
    if (workflowInfo().continueAsNewSuggested) {
      return continueAsNew<typeof RetentionPurgeWorkflow>({ ...input, resume: progress });
    }
    const { phase, cutoffs } = progress;
    const outcome =
      phase === 'analyses'
        ? await purge.purgeExpiredAnalyses({ before: cutoffs.analysesBefore!, batchSize, maxBatches })
        : await purge.purgeCachedPages({ before: cutoffs.pagesBefore!, batchSize, maxBatches });
    progress = advanceProgress(progress, outcome);
    setCurrentDetails(`Deleted ${progress.analysesDeleted} analyses and ${progress.pagesDeleted} cached pages (${progress.phase}).`);
  }
  return progress;
}
