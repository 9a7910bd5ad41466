import { CancelledFailure, Context } from '@temporalio/activity';
import type { BatchOutcome } from '../src/domain/retention.js';
import { batchFinished } from '../src/domain/retention.js';
import { analysesRepository } from '../src/repositories/analyses.js';
import { eventsRepository } from '../src/repositories/events.js';
import { retentionRepository } from '../src/repositories/retention.js';
import type { ActivityDeps } from './types.js';

export interface PurgeBatchInput {
  /** ISO time fixed by the purge run: rows older than this go; the same on every retry. */
  before: string;
  batchSize: number;
  /** Batches in this activity call before it reports back to the workflow. */
  maxBatches: number;
}

/**
 * Runs up to `maxBatches` delete statements, one short transaction each, heartbeating after each
 * with the running count. A retried attempt starts its count from the last heartbeat and deletes
 * by the same cutoff, so it only finishes what the interrupted attempt left; a cancelled purge
 * stops between batches (cancellation arrives with a heartbeat).
 */
async function inBatches(input: PurgeBatchInput, deleteBatch: () => Promise<number>): Promise<BatchOutcome> {
  const context = Context.current();
  const earlier = context.info.heartbeatDetails as BatchOutcome | undefined;
  let deleted = earlier?.deleted ?? 0;
  let batches = earlier?.batches ?? 0;
  for (let i = 0; i < input.maxBatches; i++) {
    if (context.cancellationSignal.aborted) throw new CancelledFailure('The retention purge was cancelled between batches.');
    const count = await deleteBatch();
    deleted += count;
    batches += 1;
    const finished = batchFinished(count, input.batchSize);
    context.heartbeat({ deleted, batches, finished } satisfies BatchOutcome);
    if (finished) return { deleted, batches, finished };
  }
  return { deleted, batches, finished: false };
}

export function createRetentionActivities(deps: ActivityDeps) {
  return {
    /** Finished analyses past retention, with their steps, responses, reports and (by the erasure path) their events. */
    async purgeExpiredAnalyses(input: PurgeBatchInput): Promise<BatchOutcome> {
      const cutoff = new Date(input.before);
      const outcome = await inBatches(input, () =>
        deps.db.transaction().execute(async (trx) => {
          const ids = await analysesRepository.deleteFinishedBefore(trx, cutoff, input.batchSize);
          await eventsRepository.eraseAnalyses(trx, ids, { reason: 'retention' });
          return ids.length;
        }),
      );
      deps.logger.info('retention purge: analyses', { before: input.before, ...outcome });
      return outcome;
    },

    /** Cached pages past retention that no kept analysis needs. */
    async purgeCachedPages(input: PurgeBatchInput): Promise<BatchOutcome> {
      const cutoff = new Date(input.before);
      const outcome = await inBatches(input, () => retentionRepository.deleteUnneededPagesBefore(deps.db, cutoff, input.batchSize));
      deps.logger.info('retention purge: cached pages', { before: input.before, ...outcome });
      return outcome;
    },
  };
}
