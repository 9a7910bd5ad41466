import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../src/database.js';
import { STEP_NAMES, type StepName, type StepState } from '../src/domain/analysis.js';
import { describeInfrastructureError, FAILURE_CODES, FailureType } from '../src/domain/failures.js';
import type { Logger } from '../src/logger.js';
import { aiResponsesRepository } from '../src/repositories/ai-responses.js';
import type { AnalysisContentRow } from '../src/repositories/analysis-content.js';
import { eventsRepository } from '../src/repositories/events.js';
import { reportsRepository } from '../src/repositories/reports.js';
import { stepsRepository } from '../src/repositories/steps.js';
import { withBegunAnalysis } from './load-analysis.js';
import type { ActivityDeps, AnalysisRef, FinishAnalysisInput, InsightIds, RecordStepInput } from './types.js';

interface StepRef {
  analysisId: string;
  version: number;
  step: StepName;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Which step each analysis activity works on; the rest (bookkeeping, notifications, retention) is no step's work. */
const STEP_OF_ACTIVITY: Readonly<Record<string, StepName>> = {
  validateSite: 'validation',
  extractContent: 'content_extraction',
  processContent: 'content_processing',
  analyzeInsight: 'ai_analysis',
  generateReport: 'report_generation',
  checkQuality: 'quality_check',
  repairReport: 'quality_check',
  finalizeReport: 'finalization',
};

/**
 * Activities that are a whole step: their success completes it. ai_analysis (one call per insight)
 * and quality_check (checks and repairs) are completed when the next step's first attempt begins,
 * as is any step whose completion could not be written; a check that passed inside generateReport
 * or repairReport completes quality_check at once (stepWithin); finalizeReport completes its own
 * step in the transaction that publishes the report.
 */
const WHOLE_STEP_ACTIVITIES = new Set(['validateSite', 'extractContent', 'processContent', 'generateReport']);

/**
 * The worker's activity interceptor for step bookkeeping: each attempt of a step's activity marks
 * the step running (and earlier steps of its version done), counts the attempt, audits retries
 * and failures, and a whole-step activity's success completes the step. This used to be a local
 * activity before and after every step in the workflow, about thirty rows in the Web UI timeline
 * per analysis; here it costs no workflow task. The workflow still records what only it knows
 * (a step skipped or failed for good, the analysis failed or cancelled).
 */
export function stepTrackingInterceptor(deps: ActivityDeps): ActivityInterceptorsFactory {
  return (ctx) => {
    const step = STEP_OF_ACTIVITY[ctx.info.activityType];
    if (!step) return {};
    return { inbound: { execute: (input, next) => trackAttempt(deps, ctx, step, input.args[0], () => next(input)) } };
  };
}

/** The analysis and version an attempt works for: from its input, or from its report (checks and repairs name only the report). */
async function stepRef(deps: ActivityDeps, step: StepName, input: unknown): Promise<StepRef | undefined> {
  const arg = (input ?? {}) as { analysisId?: unknown; version?: unknown; reportId?: unknown };
  if (typeof arg.analysisId === 'string') {
    return { analysisId: arg.analysisId, version: typeof arg.version === 'number' ? arg.version : 1, step };
  }
  if (typeof arg.reportId === 'string') {
    const owner = await reportsRepository.ownerOf(deps.db, arg.reportId);
    // A missing report is the activity's to report (ReportNotFound), with nothing recorded.
    return owner && { ...owner, step };
  }
  return undefined;
}

async function trackAttempt(deps: ActivityDeps, ctx: Context, step: StepName, input: unknown, run: () => Promise<unknown>): Promise<unknown> {
  const { info } = ctx;
  const ref = await stepRef(deps, step, input);
  if (!ref) return run();
  const log = attemptLogger(deps, ref, info);
  let begun: AnalysisContentRow;
  try {
    begun = await beginAttempt(deps, ref, info.attempt);
  } catch (err) {
    // No analysis row: deleted (stop now), or not committed yet because the API starts the run
    // before its transaction commits (retry: the activity would find no row either). Anything
    // else (the database down) is retried too.
    return stopIfDeleted(deps, ref.analysisId, err);
  }
  const started = Date.now();
  try {
    const result = await withBegunAnalysis(begun, run);
    log.info('activity completed', { durationMs: Date.now() - started });
    if (WHOLE_STEP_ACTIVITIES.has(info.activityType)) {
      // The work is done and must not be repeated for a bookkeeping fault: the next step's first
      // attempt completes this one if this write is lost.
      await markStep(deps.db, ref, 'completed').catch((err: unknown) => log.warn('could not record the step completed', { error: errorMessage(err) }));
    }
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
 * An attempt begins: its step runs (once per step: one event), earlier steps of its version are
 * done, the attempt is counted; one statement (stepsRepository.beginAttempt), which also reads the
 * analysis for the attempt (withBegunAnalysis).
 */
async function beginAttempt(deps: ActivityDeps, ref: StepRef, attempt: number): Promise<AnalysisContentRow> {
  const earlier = STEP_NAMES.slice(0, STEP_NAMES.indexOf(ref.step));
  for (const waitMs of [...UNCOMMITTED_WAITS_MS, null]) {
    const row = await stepsRepository.beginAttempt(deps.db, ref, attempt, earlier);
    if (row) return row;
    if (waitMs === null) break;
    await sleep(waitMs);
  }
  throw new AnalysisRowMissing(ref.analysisId);
}

/**
 * The API starts the run inside the transaction that creates the analysis row, so the first
 * attempt can begin a moment before that row commits, and an uncommitted row is invisible to the
 * begin statement. It asks again after these pauses (425 ms in all) before failing the attempt,
 * which the step's retry policy would only try again a second or more later.
 */
const UNCOMMITTED_WAITS_MS = [25, 100, 300];

/**
 * Step state for a step an activity goes on to inside its own attempt (generateReport and
 * repairReport checking what they wrote: quality_check), written as that step's own activity
 * would: it runs (earlier steps of its version completed, an attempt counted) and, when nothing
 * more of it follows, completes. Status readers and the event stream cannot tell the difference.
 */
export async function stepWithin(deps: ActivityDeps, ref: StepRef, done: boolean): Promise<void> {
  await beginAttempt(deps, ref, 1);
  if (done) await markStep(deps.db, ref, 'completed');
}

function attemptLogger(deps: ActivityDeps, ref: StepRef, info: Context['info']): Logger {
  return deps.logger.child({
    analysisId: ref.analysisId,
    workflowId: info.workflowExecution?.workflowId,
    activity: info.activityType,
    activityId: info.activityId,
    attempt: info.attempt,
    step: ref.step,
  });
}

/**
 * Runs an activity body with a logger that carries the analysis and activity context. The step
 * bookkeeping around it is the interceptor's (stepTrackingInterceptor).
 */
export async function withAttemptLog<T>(deps: ActivityDeps, ref: StepRef, run: (log: Logger) => Promise<T>): Promise<T> {
  return run(attemptLogger(deps, ref, Context.current().info));
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

/** Bookkeeping found no analysis row to write beside (what a foreign-key violation says, below). */
class AnalysisRowMissing extends Error {
  constructor(analysisId: string) {
    super(`Analysis ${analysisId} has no database row: not committed yet, or deleted.`);
    this.name = 'AnalysisRowMissing';
  }
}

/**
 * Step rows reference their analysis, so a foreign-key violation means the row is missing: either
 * the API has not committed it yet (a start racing its own transaction: retry) or it is gone for
 * good: deleted (the audit trail says so), or never committed because the API's transaction failed
 * after Temporal had started the run. Retrying cannot help those: stop the run.
 */
const MISSING_ROW_ATTEMPTS = 5; // 15-30 s of backoff under the step policies: far longer than any commit takes

async function stopIfDeleted(deps: ActivityDeps, analysisId: string, err: unknown): Promise<never> {
  if (err instanceof AnalysisRowMissing || (err as { code?: string }).code === '23503') {
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
 * For a transaction that changes an analysis's step or report rows and then the analysis row:
 * take the analysis row first, as a DELETE does before its cascade reaches those rows. The other
 * order made the two wait on each other, and PostgreSQL cancelled one as a deadlock's victim.
 * (A transaction that touches only step rows and events needs no lock: events have no foreign key.)
 */
export async function lockAnalysis(tx: Kysely<Database>, analysisId: string): Promise<void> {
  await tx.selectFrom('analyses').select('id').where('id', '=', analysisId).forNoKeyUpdate().execute();
}

/**
 * A step's new state and its audit event, once: a retried bookkeeping call, or the workflow
 * recording what finalization already recorded, changes nothing and adds no second event.
 */
export async function markStep(db: Kysely<Database>, ref: StepRef, state: StepState, error?: string): Promise<void> {
  if ((await stepsRepository.moveTo(db, ref, state, error)) === 'missing') throw new AnalysisRowMissing(ref.analysisId);
}

/**
 * Bookkeeping only the workflow can do: a step skipped or failed for good, the analysis failed or
 * cancelled; local activities (no extra round trip). Runs recorded before step-state-from-activities
 * called recordStep around every step; they replay that way.
 */
export function createTrackingActivities(deps: ActivityDeps) {
  return {
    async recordStep({ analysisId, version, step, state, error }: RecordStepInput): Promise<void> {
      await deps.db
        .transaction()
        .execute(async (tx) => {
          await lockAnalysis(tx, analysisId);
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
        const message = error?.message ?? 'The analysis was cancelled.';
        const leftRunning = await stepsRepository.failRunning(tx, analysisId, version, message);
        await eventsRepository.appendAll(tx, [
          ...leftRunning.map((step) => ({ analysisId, version, step, type: 'step_failed', message })),
          { analysisId, version, type: `analysis_${status}`, message: error?.message, details: error ? { code: error.code } : null },
        ]);
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
