import { defineQuery } from '@temporalio/workflow';
import type { PurgeProgress, RetentionSettings } from '../src/domain/retention.js';

/** Names shared by the purge workflow, the schedule that starts it and its clients. */
export const PURGE_WORKFLOW_TYPE = 'RetentionPurgeWorkflow';
export const RETENTION_SCHEDULE_ID = 'persona-retention-purge';

export const purgeProgressQuery = defineQuery<PurgeProgress>('purgeProgress');

export interface RetentionPurgeInput extends RetentionSettings {
  /** Rows per delete statement (default DEFAULT_PURGE_BATCH_SIZE). */
  batchSize?: number;
  /** Batches per activity call, i.e. how often progress moves (default DEFAULT_BATCHES_PER_ACTIVITY). */
  batchesPerActivity?: number;
  /** ISO time the retention periods are counted back from; default: when the run started. */
  asOf?: string;
  /** Carried over by continue-as-new: the cutoffs stay those of the first run. */
  resume?: PurgeProgress;
}
