import { ApplicationFailure, Context } from '@temporalio/activity';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../src/database.js';
import type { StepName, StepState } from '../src/domain/analysis.js';
import { describeInfrastructureError, FAILURE_CODES, FailureType } from '../src/domain/failures.js';
import type { Logger } from '../src/logger.js';
import { aiResponsesRepository } from '../src/repositories/ai-responses.js';
import { eventsRepository } from '../src/repositories/events.js';
import { reportsRepository } from '../src/repositories/reports.js';
import { stepsRepository } from '../src/repositories/steps.js';
import type { ActivityDeps, AnalysisRef, FinishAnalysisInput, InsightIds, RecordStepInput } from './types.js';

interface StepRef {
  analysisId: string;
  version: number;
  step: StepName;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Wraps one activity attempt: counts it on its step, audits retries and failures, and hands the
 * body a logger that carries the analysis and activity context. Temporal only tells the workflow
 * about the final outcome; this is how status readers see attempts as they happen.
 */
export async function trackAttempt<T>(deps: ActivityDeps, ref: StepRef, run: (log: Logger) => Promise<T>): Promise<T> {
  const { info } = Context.current();
  const log = deps.logger.child({
    analysisId: ref.analysisId,
    workflowId: info.workflowExecution?.workflowId,
    activity: info.activityType,
    activityId: info.activityId,
    attempt: info.attempt,
    step: ref.step,
  });
  await stepsRepository.recordAttempt(deps.db, ref, info.attempt).catch((err: unknown) => stopIfDeleted(deps, ref.analysisId, err));
  if (info.attempt > 1) {
    await eventsRepository.append(deps.db, { ...ref, type: 'step_retry', attempt: info.attempt });
  }
  const started = Date.now();
  try {
    const result = await run(log);
    log.info('activity completed', { durationMs: Date.now() - started });
    return result;
  } catch (err) {
    const message = errorMessage(err);
    log.warn('activity attempt failed', { error: message, durationMs: Date.now() - started });
    // Bookkeeping must not hide the failure it records (the analysis may be gone, the database down).
    await Promise.all([
      stepsRepository.recordAttempt(deps.db, ref, info.attempt, publicMessage(err)),
      eventsRepository.append(deps.db, { ...ref, type: 'attempt_failed', attempt: info.attempt, message }),
    ]).catch((bookkeeping: unknown) => log.warn('could not record the failed attempt', { error: errorMessage(bookkeeping) }));
    throw err;
  }
}

/**
 * What status readers (the frontend) see as a step's last error. Failures we raise on purpose
 * are written for people; anything else (driver errors, internal hosts) stays in logs and the
 * audit trail.
 */
function publicMessage(err: unknown): string {
  if (err instanceof ApplicationFailure && err.type && err.type in FAILURE_CODES) return err.message;
  // This attempt may have been the last: say what happened, never that it will be retried.
  return describeInfrastructureError(err) ?? 'The step failed on an unexpected error; the details are in the worker\'s log.';
}

/**
 * Step rows reference their analysis, so a foreign-key violation means the row is missing: either
 * the API has not committed it yet (a start racing its own transaction: retry) or it is gone for
 * good: deleted (the audit trail says so), or never committed because the API's transaction failed
 * after Temporal had started the run. Retrying cannot help those: stop the run.
 */
const MISSING_ROW_ATTEMPTS = 8; // about a minute of backoff: far longer than any commit takes

async function stopIfDeleted(deps: ActivityDeps, analysisId: string, err: unknown): Promise<never> {
  if ((err as { code?: string }).code === '23503') {
    if (Context.current().info.attempt >= MISSING_ROW_ATTEMPTS) {
      throw ApplicationFailure.create({
        type: FailureType.AnalysisNotFound,
        message: `Analysis ${analysisId} does not exist.`,
        nonRetryable: true,
      });
    }
    const deleted = await deps.db
      .selectFrom('processing_events')
      .select('id')
      .where('analysis_id', '=', analysisId)
      .where('type', '=', 'analysis_deleted')
      .executeTakeFirst();
    if (deleted) {
      throw ApplicationFailure.create({
        type: FailureType.AnalysisNotFound,
        message: `Analysis ${analysisId} was deleted.`,
        nonRetryable: true,
      });
    }
  }
  throw err;
}

/**
 * A step's new state and its audit event, once: a retried bookkeeping call, or the workflow
 * recording what finalization already recorded, changes nothing and adds no second event.
 */
export async function markStep(tx: Kysely<Database>, ref: StepRef, state: StepState, error?: string): Promise<void> {
  if (await stepsRepository.setState(tx, ref, state, error)) {
    await eventsRepository.append(tx, { ...ref, type: `step_${state}`, message: error });
  }
}

/** Bookkeeping the workflow does around each step; run as local activities (cheap, same task). */
export function createTrackingActivities(deps: ActivityDeps) {
  return {
    async recordStep({ analysisId, version, step, state, error }: RecordStepInput): Promise<void> {
      await deps.db
        .transaction()
        .execute(async (tx) => {
          await markStep(tx, { analysisId, version, step }, state, error);
          await tx
            .updateTable('analyses')
            .set({
              current_step: state === 'running' ? step : sql`current_step`,
              status: state === 'running' ? 'running' : sql`status`,
              updated_at: new Date(),
            })
            .where('id', '=', analysisId)
            .execute();
        })
        .catch((err: unknown) => stopIfDeleted(deps, analysisId, err));
    },

    /** Terminal states other than a finalized report (which `finalizeReport` records). */
    async finishAnalysis({ analysisId, status, version, error }: FinishAnalysisInput): Promise<void> {
      await deps.db.transaction().execute(async (tx) => {
        const row = await tx
          .selectFrom('analyses')
          .select(['latest_version', 'status'])
          .where('id', '=', analysisId)
          .forUpdate()
          .executeTakeFirst();
        // Only a run in progress ends here; a finalized report has already completed the analysis.
        if (!row || (row.status !== 'pending' && row.status !== 'running')) return;
        // A failed regeneration leaves the analysis completed: its earlier report is still good.
        const finalStatus = status === 'failed' && row.latest_version > 0 ? 'completed' : status;
        await tx
          .updateTable('analyses')
          .set({
            status: finalStatus,
            current_step: null,
            error: error ? JSON.stringify({ ...error, version }) : null,
            completed_at: new Date(),
            updated_at: new Date(),
          })
          .where('id', '=', analysisId)
          .execute();
        await eventsRepository.append(tx, {
          analysisId,
          version,
          type: `analysis_${status}`,
          message: error?.message,
          details: error ? { code: error.code } : null,
        });
      });
    },

    /**
     * What a run resumed from storage builds on: the insights of the latest finished report, never
     * those of a later attempt that failed. Reports stored before their insights were kept fall
     * back to the newest insight of each kind up to that report's version.
     */
    async latestInsightIds({ analysisId }: AnalysisRef): Promise<Partial<InsightIds>> {
      const latest = await reportsRepository.latest(deps.db, analysisId);
      if (latest?.insightIds) return latest.insightIds as Partial<InsightIds>;
      return aiResponsesRepository.latestByKind(deps.db, analysisId, latest?.version);
    },
  };
}
