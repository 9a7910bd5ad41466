import {
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { NotifyChannel, NotifyEvent } from '../activities/notify/types.js';
import type { GenerateReportInput, InsightIds } from '../activities/types.js';
import { INSIGHT_KINDS, STEP_NAMES, regenerationScope, type AnalysisStatus, type InsightKind, type StepName } from '../src/domain/analysis.js';
import { describeFailure as describeStepFailure } from '../src/domain/failures.js';
import {
  bookkeeping,
  crawlPolicy,
  finalizationPolicy,
  modelCallPolicy,
  notificationPolicy,
  processingPolicy,
  qualityPolicy,
  repairPolicy,
  validationPolicy,
  withPolicy,
} from './activities.js';
import {
  AnalysisStatusKey,
  deleteSignal,
  progressQuery,
  regenerateSignal,
  type AnalysisWorkflowInput,
  type AnalysisWorkflowResult,
  type RegenerateSignal,
} from './definitions.js';
import { ProgressBoard } from './progress.js';

/** Repairs of failing report parts before the report is marked degraded. */
const MAX_QUALITY_REPAIRS = 2;
/** When the input names none (a run started by hand); the API passes ANALYSIS_IDLE_MINUTES. */
const DEFAULT_IDLE_TIMEOUT = '10 minutes';
/**
 * Step state (running, attempts, completed) is written by the activities themselves (the worker's
 * activity interceptor, activities/tracking.ts); the workflow records only what it alone knows
 * (skipped, failed for good). Runs recorded before this wrote every change from here as local
 * activities; they replay that way.
 */
const STEP_STATE_FROM_ACTIVITIES = 'step-state-from-activities';
/**
 * generateReport and repairReport end with the quality check and return it; runs recorded before
 * this called checkQuality as an activity after each of them, and replay that way.
 */
const QUALITY_IN_REPORT_ACTIVITIES = 'quality-in-report-activities';
/** quality_check's line in the Web UI's current details. */
const CHECKING = 'Checking every claim against its evidence';

/** A notification of one version on one channel, while its send is under way. */
interface Notification {
  version: number;
  event: NotifyEvent;
  channel: NotifyChannel;
}

/** What a run hands to the run it continues as: also the notifications still being sent. */
type Resume = NonNullable<AnalysisWorkflowInput['resume']> & { notifications?: Notification[] };

export async function AnalysisWorkflow(input: AnalysisWorkflowInput): Promise<AnalysisWorkflowResult> {
  const { analysisId, options } = input;
  const board = new ProgressBoard(analysisId, input.resume?.latestVersion ?? 0);
  const pending: RegenerateSignal[] = [...(input.resume?.pending ?? [])];
  let insightIds: Partial<InsightIds> = { ...input.resume?.insightIds };
  // Notification sends run beside the version loop, never holding it up, and are waited for before
  // the run closes; a run that continues as new hands the unsettled ones on (the outbox makes a
  // repeated send the same message).
  const sending = new Map<string, Notification>();
  for (const n of (input.resume as Resume | undefined)?.notifications ?? []) send(n);

  // Deleting marks the run deleted before cancelling it, so the Web UI list tells it from a cancel.
  let deleted = false;
  setHandler(deleteSignal, () => {
    deleted = true;
    upsertSearchAttributes([{ key: AnalysisStatusKey, value: 'deleted' }]);
  });
  setHandler(progressQuery, () => board.snapshot());
  setHandler(regenerateSignal, (request) => {
    // Versions come from the API; a signal sent by hand (Web UI, CLI) may carry none: give it the next one.
    const version = Number.isInteger(request?.version)
      ? request.version
      : Math.max(board.version, ...pending.map((p) => p.version)) + 1;
    // A version runs at most once: a duplicate signal (client retry) must not produce a report twice.
    if (version <= board.version || pending.some((p) => p.version === version)) return;
    pending.push({ ...request, version });
    // Accepted work shows at once, before the version starts.
    board.status = 'running';
  });
  // Regenerations carried over by continue-as-new are accepted work too.
  if (pending.length > 0) board.status = 'running';

  const domain = new URL(input.url).hostname;
  const writingReport = `Writing ${options.personaCount} personas for ${domain}`;
  if (!input.resume) {
    const outcome = await settle(1, async () => {
      await step(1, 'validation', `Validating ${input.url}`, () =>
        withPolicy(validationPolicy, `Validate ${input.url}`).validateSite({ analysisId }),
      );
      await step(1, 'content_extraction', `Crawling up to ${options.maxPages} pages of ${domain}`, () =>
        withPolicy(crawlPolicy, `Crawl up to ${options.maxPages} pages of ${domain}`).extractContent({ analysisId }),
      );
      await step(1, 'content_processing', `Cleaning the pages of ${domain}`, () =>
        withPolicy(processingPolicy, `Clean pages of ${domain} and fit the token budget`).processContent({ analysisId }),
      );
      await produceReport(1, {});
    });
    // The run ends Failed, with the reason a person sees, so failed analyses stand out in the Web UI.
    if (outcome) {
      await sendsSettled();
      throw ApplicationFailure.create({ type: outcome.code, message: outcome.message, nonRetryable: true });
    }
  }

  // Finished: serve regenerations until idle, then close (a later regenerate starts it again).
  for (;;) {
    let signalled: boolean;
    // Nothing is happening now: the details go blank until a regenerate arrives or the run closes.
    setCurrentDetails('');
    try {
      signalled = await condition(() => pending.length > 0, input.idleTimeout ?? DEFAULT_IDLE_TIMEOUT);
    } catch (err) {
      // Only deleting an idle analysis cancels it; its reports were already complete.
      if (isCancellation(err)) {
        // A signal from an older API may not have said so; nothing but a delete cancels an idle run.
        if (!deleted) upsertSearchAttributes([{ key: AnalysisStatusKey, value: 'deleted' }]);
        await sendsSettled();
        return { status: 'completed', latestVersion: board.latestVersion };
      }
      throw err;
    }
    if (!signalled) {
      // Idle, but notifications are still being sent: wait for them, or for a regenerate.
      if (sending.size > 0) {
        await condition(() => sending.size === 0 || pending.length > 0);
        if (pending.length > 0) continue;
      }
      return { status: 'completed', latestVersion: board.latestVersion };
    }
    if (workflowInfo().continueAsNewSuggested) {
      const resume: Resume = { latestVersion: board.latestVersion, insightIds, pending };
      if (sending.size > 0) resume.notifications = [...sending.values()];
      return continueAsNew<typeof AnalysisWorkflow>({ ...input, resume });
    }
    pending.sort((a, b) => a.version - b.version);
    const request = pending.shift()!;
    board.beginVersion(request.version);
    await settle(request.version, () => produceReport(request.version, request));
  }

  /** ai_analysis to finalization: the part every report version runs. */
  async function produceReport(version: number, request: Partial<RegenerateSignal>): Promise<void> {
    // Insights become the base of later versions only once their version is finalized: a version
    // that fails must not leave its insights to the next one. (Runs recorded before this change
    // kept every insight at once; they replay that way.)
    const baseOnFinalized = patched('insights-from-finalized-versions');
    const kinds = regenerationScope(request.sections).insights;
    let versionIds: Partial<InsightIds> = { ...insightIds };
    await step(version, 'ai_analysis', `Asking the model for ${kinds.length} insight(s) on ${domain}`, async () => {
      if (kinds.length === 0) return 'skipped';
      // When one insight fails for good, stop its siblings instead of letting them spend tokens on a failed version.
      const ids = await CancellationScope.cancellable(() =>
        Promise.all(
          kinds.map((kind) =>
            withPolicy(modelCallPolicy, `Insight "${kind}" for ${domain} (v${version})`).analyzeInsight({
              analysisId,
              version,
              kind,
              instructions: request.instructions,
            }),
          ),
        ).catch((err: unknown) => {
          CancellationScope.current().cancel();
          throw err;
        }),
      );
      versionIds = { ...versionIds, ...Object.fromEntries(kinds.map((k, i) => [k, ids[i]])) };
      if (!baseOnFinalized) insightIds = versionIds;
    });
    // A run resumed from storage knows no insight IDs: take those of the latest finished report.
    if (!isComplete(versionIds)) {
      const stored = await bookkeeping.latestInsightIds({ analysisId });
      versionIds = { ...stored, ...versionIds };
      insightIds = baseOnFinalized ? { ...stored, ...insightIds } : versionIds;
    }
    const completeIds = versionIds as InsightIds;

    const generate: GenerateReportInput = {
      analysisId,
      version,
      insightIds: completeIds,
      instructions: request.instructions,
      ...(request.sections ? { sections: request.sections } : {}),
    };
    const reportId = patched(QUALITY_IN_REPORT_ACTIVITIES) ? await writeAndCheck(generate) : await writeThenCheck(generate);

    // Once the report exists, finishing it is not interrupted: a cancel arriving now is too late.
    await CancellationScope.nonCancellable(() =>
      step(version, 'finalization', 'Publishing the report', () =>
        withPolicy(finalizationPolicy, `Finalize report v${version} of ${domain}`).finalizeReport({ analysisId, version, reportId }),
      ),
    );
    board.latestVersion = version;
    insightIds = completeIds;
    notify(version, 'analysis.version_completed');
  }

  /**
   * report_generation and quality_check: the check ends the activity that wrote the report and
   * each repair, so a report that passes goes straight on to finalization with no hand-off.
   */
  async function writeAndCheck(generate: GenerateReportInput): Promise<string> {
    const { version } = generate;
    const written = await step(version, 'report_generation', writingReport, () =>
      withPolicy(modelCallPolicy, `Synthesize ${options.personaCount} personas for ${domain} (v${version}), then check them`).generateReport({ ...generate, check: true }),
    );
    let result = written.quality;
    await step(version, 'quality_check', result.passed ? CHECKING : `Repairing what failed the check (${result.issues.length} issue(s))`, async () => {
      for (let round = 1; !result.passed && round <= MAX_QUALITY_REPAIRS; round++) {
        try {
          result = await withPolicy(repairPolicy, `Repair ${result.issues.length} failing part(s) of report v${version}, then check it`).repairReport({
            reportId: written.reportId,
            issues: result.issues,
            insightIds: generate.insightIds,
            check: true,
          });
        } catch (err) {
          // A repair that cannot be made leaves the report as last checked: degraded, with its reasons.
          if (isCancellation(err)) throw err;
          break;
        }
      }
    });
    return written.reportId;
  }

  /** The same two steps as runs recorded before writeAndCheck ran them: checkQuality an activity of its own. */
  async function writeThenCheck(generate: GenerateReportInput): Promise<string> {
    const { version } = generate;
    const reportId = await step(version, 'report_generation', writingReport, () =>
      withPolicy(modelCallPolicy, `Synthesize ${options.personaCount} personas for ${domain} (v${version})`).generateReport(generate),
    );
    await step(version, 'quality_check', CHECKING, async () => {
      const checks = withPolicy(qualityPolicy, `Check report v${version} of ${domain}`);
      let result = await checks.checkQuality({ reportId });
      for (let round = 1; !result.passed && round <= MAX_QUALITY_REPAIRS; round++) {
        try {
          await withPolicy(repairPolicy, `Repair ${result.issues.length} failing part(s) of report v${version}`).repairReport({
            reportId,
            issues: result.issues,
            insightIds: generate.insightIds,
          });
        } catch (err) {
          // A repair that cannot be made leaves the report as last checked: degraded, with its reasons.
          if (isCancellation(err)) throw err;
          break;
        }
        result = await checks.checkQuality({ reportId });
      }
    });
    return reportId;
  }

  /** Starts the notifications of a version on the channels the analysis asked for (options.notify). */
  function notify(version: number, event: NotifyEvent): void {
    const channels: NotifyChannel[] = [];
    if (options.notify?.webhookUrl) channels.push('webhook');
    if (options.notify?.email) channels.push('email');
    // Runs recorded before notifications existed sent none; they replay that way.
    if (channels.length === 0 || !patched('notifications')) return;
    for (const channel of channels) send({ version, event, channel });
  }

  /**
   * One send, not awaited: it retries on its own for hours and its outcome (delivered or failed) is
   * recorded by the activity, so nothing here waits on it or fails with it. Not cancellable: a
   * cancelled regeneration does not stop the notification of a version that was finished.
   */
  function send(n: Notification): void {
    const key = `${n.version}:${n.channel}`;
    if (sending.has(key)) return;
    sending.set(key, n);
    CancellationScope.nonCancellable(() =>
      withPolicy(notificationPolicy, `Send the ${n.channel} notification of v${n.version} (${n.event})`).sendNotification({ analysisId, ...n }),
    )
      .catch(() => undefined)
      .finally(() => sending.delete(key));
  }

  /** Before the run closes: every notification send has settled. */
  async function sendsSettled(): Promise<void> {
    if (sending.size > 0) await CancellationScope.nonCancellable(() => condition(() => sending.size === 0));
  }

  /**
   * Runs one step: state on the board, Web UI details; bookkeeping rows only for what the
   * activities cannot know (a step skipped or failed for good).
   */
  async function step<T>(version: number, name: StepName, doing: string, run: () => Promise<T | 'skipped'>): Promise<T> {
    const legacy = !patched(STEP_STATE_FROM_ACTIVITIES);
    board.start(name);
    setCurrentDetails(details(version, name, doing));
    if (legacy) await bookkeeping.recordStep({ analysisId, version, step: name, state: 'running' });
    try {
      const result = await run();
      const state = result === 'skipped' ? 'skipped' : 'completed';
      board.finish(name, state);
      if (legacy || state === 'skipped') await bookkeeping.recordStep({ analysisId, version, step: name, state });
      return result as T;
    } catch (err) {
      const { message } = describeFailure(err);
      board.finish(name, 'failed', message);
      await CancellationScope.nonCancellable(() =>
        bookkeeping.recordStep({ analysisId, version, step: name, state: 'failed', error: message }),
      );
      throw err;
    }
  }

  /**
   * Runs a stretch of steps and records how it ended; failures end in a terminal state, never a
   * stuck run. Returns the failure, if any; a cancellation is recorded, then rethrown so the run
   * shows as Canceled in the Web UI.
   */
  async function settle(version: number, run: () => Promise<void>): Promise<{ code: string; message: string } | undefined> {
    setStatus('running');
    /** AnalysisStatus in the Web UI list; a deleted analysis stays marked deleted. */
    function setStatus(status: AnalysisStatus): void {
      if (!deleted) upsertSearchAttributes([{ key: AnalysisStatusKey, value: status }]);
    }
    try {
      await run();
      board.settle('completed');
      setStatus('completed');
      return undefined;
    } catch (err) {
      const cancelled = isCancellation(err);
      const error = describeFailure(err);
      // A failed regeneration keeps the analysis completed: its earlier report still stands.
      const status = cancelled ? 'cancelled' : board.latestVersion > 0 ? 'completed' : 'failed';
      board.settle(status, error);
      setStatus(status);
      setCurrentDetails(`**v${version} ${status === 'cancelled' ? 'cancelled' : 'failed'}**: ${error.message}`);
      await CancellationScope.nonCancellable(() =>
        bookkeeping.finishAnalysis({ analysisId, version, status: cancelled ? 'cancelled' : 'failed', error }),
      );
      if (cancelled) {
        await sendsSettled();
        throw err;
      }
      notify(version, status === 'failed' ? 'analysis.failed' : 'analysis.version_failed');
      return error;
    }
  }
}

/** The Web UI's "current details" (Markdown): which version, which step of how many, doing what. */
function details(version: number, name: StepName, doing: string): string {
  return `**v${version}** · step ${STEP_NAMES.indexOf(name) + 1}/${STEP_NAMES.length} \`${name}\`: ${doing}`;
}

function isComplete(ids: Partial<InsightIds>): ids is InsightIds {
  return INSIGHT_KINDS.every((k: InsightKind) => typeof ids[k] === 'string');
}

/**
 * The code and message a person sees for a failed step: the activity's failure type, a timeout or
 * a database fault in words (src/domain/failures.ts); internal detail stays in the Web UI and logs.
 */
function describeFailure(err: unknown): { code: string; message: string } {
  if (isCancellation(err)) return { code: 'CANCELLED', message: 'The analysis was cancelled.' };
  return describeStepFailure(err);
}
