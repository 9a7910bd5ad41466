import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type ActivityInterceptorsFactory } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities, stepTrackingInterceptor, type Activities } from '../activities/index.js';
import type { CheckedReport, GenerateReportInput, InsightIds, RepairInput } from '../activities/types.js';
import type { QualityIssue, QualityResult } from '../src/domain/quality.js';
import { INSIGHT_KINDS, STEP_NAMES, type InsightKind } from '../src/domain/analysis.js';
import { createDatabase } from '../src/database.js';
import { startStandInAi } from '../src/dev/stand-in-ai.js';
import { reportsRepository } from '../src/repositories/reports.js';
import { stepsRepository } from '../src/repositories/steps.js';
import { standInActivityDeps } from '../test/support/activity-env.js';
import { seedAnalysis } from '../test/support/seed-analysis.js';
import { freePort } from '../src/dev/free-port.js';
import { SEARCH_ATTRIBUTES } from '../src/dev/stack.js';
import { findTemporalCli } from '../src/dev/temporal-cli.js';
import { startTemporalDevServer } from '../src/dev/temporal-server.js';
import { recordHistoryIfAsked } from '../test/support/histories.js';
import type { AnalysisWorkflow } from './analysis.js';
import {
  AnalysisStatusKey,
  deleteSignal,
  progressQuery,
  regenerateSignal,
  WORKFLOW_TYPE,
  type AnalysisWorkflowInput,
  type RegenerateSignal,
} from './definitions.js';

const QUALITY_TALLIES = { droppedEvidence: {}, claims: { total: 0, withEvidence: 0, share: null }, fields: { checked: 0, rejected: 0 } };
const PASSED: QualityResult = { passed: true, issues: [], ...QUALITY_TALLIES };
const failing = (issues: QualityIssue[]): QualityResult => ({ passed: false, issues, ...QUALITY_TALLIES });

/**
 * AnalysisWorkflow's tricky paths: the real workflow code on a real Temporal dev server and a real
 * Worker. Only the activities are test stand-ins: plain functions registered under the names
 * `createActivities` gives the real ones, which record every call and can fail or block on demand.
 * Each test has its own task queue and worker.
 */

/** For the continue-as-new test's own server: low enough to continue as new a few times in one test. */
const CONTINUE_AS_NEW_AFTER_EVENTS = 60;

// ---- test stand-ins for the activities ------------------------------------------------------

type ActivityName = keyof Activities;
/** The activities as stand-ins write them: the report activities answer with or without their check (one signature, not overloads). */
type StandIns = Omit<Activities, 'generateReport' | 'repairReport'> & {
  generateReport: (input: GenerateReportInput) => Promise<string | CheckedReport>;
  repairReport: (input: RepairInput) => Promise<QualityResult | void>;
};
interface Call {
  name: ActivityName;
  input: any;
  runId: string;
}

const insightId = (kind: InsightKind, version: number) => `insight-${kind}-v${version}`;
const insightIdsOf = (version: number) => Object.fromEntries(INSIGHT_KINDS.map((k) => [k, insightId(k, version)])) as InsightIds;
const reportIdOf = (version: number) => `report-v${version}`;
/** What the stand-in `latestInsightIds` says is stored: version 1's insights. */
const STORED_INSIGHT_IDS = insightIdsOf(1);

/** generateReport's answer: the report's ID, with `quality` as its check when the workflow asked for one. */
const written = ({ version, check }: GenerateReportInput, quality = PASSED) => (check ? { reportId: reportIdOf(version), quality } : reportIdOf(version));

/** Stand-ins that succeed at once with predictable row IDs; `overrides` replace some of them. */
function standInActivities(overrides: Partial<StandIns> = {}) {
  const calls: Call[] = [];
  const defaults: StandIns = {
    validateSite: async () => ({ url: 'https://acme.example/', domain: 'acme.example' }),
    extractContent: async () => ({ pageCount: 3, fetched: 3, fromCache: 0 }),
    processContent: async () => ({ pageCount: 3, language: 'en', tokenEstimate: 1200 }),
    analyzeInsight: async ({ kind, version }) => insightId(kind, version),
    generateReport: async (input) => written(input),
    checkQuality: async () => PASSED,
    repairReport: async ({ check }) => (check ? PASSED : undefined),
    finalizeReport: async () => {},
    recordStep: async () => {},
    finishAnalysis: async () => {},
    latestInsightIds: async () => STORED_INSIGHT_IDS,
    sendNotification: async () => 'delivered',
    // Registered beside the analysis activities; the analysis workflow never calls them.
    purgeExpiredAnalyses: async () => ({ deleted: 0, batches: 0, finished: true }),
    purgeCachedPages: async () => ({ deleted: 0, batches: 0, finished: true }),
  };
  const recording = Object.fromEntries(
    Object.entries({ ...defaults, ...overrides }).map(([name, run]) => [
      name,
      async (input: unknown) => {
        calls.push({ name: name as ActivityName, input, runId: Context.current().info.workflowExecution?.runId ?? '' });
        return (run as (input: unknown) => Promise<unknown>)(input);
      },
    ]),
  );
  return { activities: recording, calls };
}

/** A failure the retry policies do not retry. */
const fatal = (message: string, type = 'StandInFailure') => ApplicationFailure.create({ message, type, nonRetryable: true });

/** Heartbeats until the workflow cancels this activity, and notes that it saw the cancellation. */
async function heartbeatUntilCancelled(seen: string[], label: string): Promise<never> {
  const ctx = Context.current();
  const beat = setInterval(() => ctx.heartbeat(), 100);
  try {
    return await ctx.cancelled;
  } catch (err) {
    if (err instanceof CancelledFailure) seen.push(label);
    throw err;
  } finally {
    clearInterval(beat);
  }
}

/** Resolves once `count` callers have arrived: only calls that run at the same time all get past it. */
function barrier(count: number) {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return async () => {
    if (++arrived >= count) open();
    await Promise.race([opened, sleep(10_000).then(() => Promise.reject(fatal(`only ${arrived} of ${count} calls ran together`)))]);
  };
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

// ---- reading the calls ----------------------------------------------------------------------

const inputsOf = (calls: Call[], name: ActivityName) => calls.filter((c) => c.name === name).map((c) => c.input);
const versionsOf = (calls: Call[], name: ActivityName) => inputsOf(calls, name).map((i) => i.version as number);
/**
 * `step:state` of every recordStep call for one version, in order. Steps that run and complete
 * record themselves (the worker's activity interceptor): only skipped and failed steps are here.
 */
const stepLog = (calls: Call[], version: number) =>
  inputsOf(calls, 'recordStep')
    .filter((i) => i.version === version)
    .map((i) => `${i.step}:${i.state}`);

async function waitFor(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

// ---- workers and runs -----------------------------------------------------------------------

describe('AnalysisWorkflow on a real Temporal server, with test stand-ins for its activities', () => {
  let code: string;
  let nativeConnection: NativeConnection;
  let connection: Connection;
  let client: Client;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    // Activity failures are the point of several tests: keep the worker's warnings about them out of the output.
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    ({ code } = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('./index.ts', import.meta.url)),
      logger: new DefaultLogger('ERROR'),
    }));
    nativeConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
    connection = await Connection.connect({ address: inject('temporalAddress') });
    client = new Client({ connection });
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  afterAll(async () => {
    await nativeConnection?.close();
    await connection?.close();
  });

  /** A worker on its own task queue running the real workflow and the given activities (stand-ins, or some real ones with `interceptors`). */
  async function startWorker(
    activities: object,
    on: { nativeConnection: NativeConnection; client: Client } = { nativeConnection, client },
    interceptors: ActivityInterceptorsFactory[] = [],
  ) {
    const taskQueue = `analysis-int-${randomUUID()}`;
    const worker = await Worker.create({
      connection: on.nativeConnection,
      taskQueue,
      workflowBundle: { code },
      activities,
      interceptors: { activity: interceptors },
      // Cancellation reaches an activity through its heartbeats: flush them at once, not after 80% of the timeout.
      maxHeartbeatThrottleInterval: '100ms',
    });
    const running = worker.run();
    const workflowIds: string[] = [];
    cleanups.push(async () => {
      await Promise.all(
        workflowIds.map((id) => on.client.workflow.getHandle(id).terminate('test cleanup').catch(() => undefined)),
      );
      worker.shutdown();
      await running;
    });
    return { taskQueue, workflowIds };
  }

  function inputFor(analysisId: string, input: Partial<AnalysisWorkflowInput> = {}): AnalysisWorkflowInput {
    return {
      analysisId,
      url: 'https://acme.example/',
      options: { maxPages: 3, personaCount: 2, forceRefresh: false },
      idleTimeout: '3s',
      ...input,
    };
  }

  /** Starts an analysis on a fresh worker whose activities are the stand-ins with `overrides`. */
  async function startAnalysis(overrides: Partial<StandIns> = {}, input: Partial<AnalysisWorkflowInput> = {}) {
    const { activities, calls } = standInActivities(overrides);
    const { taskQueue, workflowIds } = await startWorker(activities);
    const analysisId = randomUUID();
    const workflowId = `analysis-${analysisId}`;
    workflowIds.push(workflowId);
    const handle = await client.workflow.start<typeof AnalysisWorkflow>(WORKFLOW_TYPE, {
      workflowId,
      taskQueue,
      args: [inputFor(analysisId, input)],
    });
    return { handle, calls, analysisId, workflowId };
  }

  const finalized = (calls: Call[], version: number) => () => versionsOf(calls, 'finalizeReport').includes(version);
  const statusOf = async (handle: WorkflowHandle) => (await handle.describe()).status.name;

  // ---- the tests ----------------------------------------------------------------------------

  it('runs the seven steps in order as version 1, the five insights in parallel, and reports 100% when finalized', async () => {
    const allFive = barrier(INSIGHT_KINDS.length);
    const { handle, calls } = await startAnalysis({
      analyzeInsight: async ({ kind, version }) => {
        await allFive();
        return insightId(kind, version);
      },
    });
    await waitFor('version 1 to be finalized', finalized(calls, 1));
    await waitFor('the progress query to show version 1', async () => (await handle.query(progressQuery)).latestReportVersion === 1);

    const work = calls.filter((c) => c.name !== 'recordStep').map((c) => c.name);
    expect(work).toEqual([
      'validateSite',
      'extractContent',
      'processContent',
      ...INSIGHT_KINDS.map(() => 'analyzeInsight'),
      // The check runs inside generateReport: no activity of its own.
      'generateReport',
      'finalizeReport',
    ]);
    expect(inputsOf(calls, 'analyzeInsight').map((i) => i.kind).sort()).toEqual([...INSIGHT_KINDS].sort());
    expect(inputsOf(calls, 'generateReport')).toEqual([expect.objectContaining({ version: 1, insightIds: insightIdsOf(1), check: true })]);
    expect(inputsOf(calls, 'finalizeReport')).toEqual([expect.objectContaining({ version: 1, reportId: reportIdOf(1) })]);
    // No bookkeeping activity per state change: the Web UI timeline shows the work only.
    expect(stepLog(calls, 1)).toEqual([]);

    const progress = await handle.query(progressQuery);
    expect(progress).toMatchObject({ status: 'completed', percent: 100, currentStep: null, version: 1, latestReportVersion: 1 });
    expect(progress.steps.map((s) => s.state)).toEqual(STEP_NAMES.map(() => 'completed'));
    expect(inputsOf(calls, 'finishAnalysis')).toEqual([]);
  });

  it('on the real report activities and step tracking: checks inside generateReport, records quality_check in order, runs no checkQuality', async () => {
    // Real PostgreSQL, the real activities from insights to finalization behind the worker's step
    // interceptor, and the AI stand-in; the site is seeded as content_processing leaves it.
    const db = createDatabase(inject('databaseUrl'), 2);
    const ai = await startStandInAi();
    cleanups.push(async () => {
      await ai.stop();
      await db.destroy();
    });
    const deps = standInActivityDeps(db, ai.baseUrl);
    const seeded = await seedAnalysis(db, { personaCount: 2 });
    const domain = new URL(seeded.url).hostname;
    const activities = {
      ...createActivities(deps),
      validateSite: async () => ({ url: seeded.url, domain }),
      extractContent: async () => ({ pageCount: seeded.pages.length, fetched: 0, fromCache: seeded.pages.length }),
      processContent: async () => ({ pageCount: seeded.pages.length, language: 'en', tokenEstimate: 2000 }),
    };
    const { taskQueue, workflowIds } = await startWorker(activities, { nativeConnection, client }, [stepTrackingInterceptor(deps)]);
    const workflowId = `analysis-${seeded.analysisId}`;
    workflowIds.push(workflowId);
    const handle = await client.workflow.start<typeof AnalysisWorkflow>(WORKFLOW_TYPE, {
      workflowId,
      taskQueue,
      args: [inputFor(seeded.analysisId, { url: seeded.url, idleTimeout: '1s' })],
    });
    expect(await handle.result()).toEqual({ status: 'completed', latestVersion: 1 });

    const steps = await stepsRepository.list(db, seeded.analysisId);
    expect(steps.map((s) => [s.step, s.state])).toEqual(STEP_NAMES.map((step) => [step, 'completed']));
    expect(steps.find((s) => s.step === 'quality_check')!.attempts).toBeGreaterThanOrEqual(1);
    const events = (
      await db.selectFrom('processing_events').select(['type', 'step']).where('analysis_id', '=', seeded.analysisId).where('type', 'like', 'step_%').orderBy('id').execute()
    ).map((e) => `${e.type}:${e.step}`);
    const at = (event: string) => {
      expect(events).toContain(event);
      return events.indexOf(event);
    };
    expect(at('step_completed:report_generation')).toBeLessThan(at('step_completed:quality_check'));
    expect(at('step_running:report_generation')).toBeLessThan(at('step_running:quality_check'));
    expect(at('step_completed:quality_check')).toBeLessThan(at('step_running:finalization'));
    const report = (await reportsRepository.latest(db, seeded.analysisId))!;
    expect(report).toMatchObject({ version: 1, status: 'passed', quality: expect.objectContaining({ passed: true }) });

    // The Web UI's activity list: the check is part of generateReport, not an activity of its own.
    const history = await handle.fetchHistory();
    const scheduled = (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : []));
    expect(scheduled).toEqual(['validateSite', 'extractContent', 'processContent', ...INSIGHT_KINDS.map(() => 'analyzeInsight'), 'generateReport', 'finalizeReport']);
    await recordHistoryIfAsked(client, workflowId, 'quality-in-report-activities');
  });

  it('builds a version on the insights of the last finished one, never on those of a regeneration that failed', async () => {
    const { handle, calls, workflowId } = await startAnalysis({
      generateReport: async (input) => {
        if (input.version === 2) throw fatal('the synthesis of version 2 failed');
        return written(input);
      },
    });
    await waitFor('version 1', finalized(calls, 1));
    // Version 2 redoes the offering insight, then fails before its report exists.
    await handle.signal(regenerateSignal, { sections: ['offering'], version: 2 });
    await waitFor('version 2 to fail', () => inputsOf(calls, 'finishAnalysis').some((i) => i.version === 2));
    // Version 3 redoes only the personas: it must build on version 1's offering, not version 2's.
    await handle.signal(regenerateSignal, { sections: ['personas'], version: 3 });
    await waitFor('version 3', finalized(calls, 3));

    expect(inputsOf(calls, 'analyzeInsight').filter((i) => i.version === 2).map((i) => i.kind)).toEqual(['offering']);
    expect(inputsOf(calls, 'analyzeInsight').filter((i) => i.version === 3)).toEqual([]);
    const v3 = inputsOf(calls, 'generateReport').find((i) => i.version === 3);
    expect(v3).toMatchObject({ insightIds: insightIdsOf(1), sections: ['personas'] });
    await recordHistoryIfAsked(client, workflowId, 'regeneration-on-finished-insights');
  });

  it('regenerates version 2 with instructions, and ignores a duplicate version-2 signal', async () => {
    const { handle, calls } = await startAnalysis();
    await waitFor('version 1', finalized(calls, 1));

    await handle.signal(regenerateSignal, { instructions: 'Focus on enterprise buyers', version: 2 });
    await waitFor('version 2', finalized(calls, 2));
    // A client retrying its request sends the same version again.
    await handle.signal(regenerateSignal, { instructions: 'Focus on enterprise buyers', version: 2 });
    expect(await handle.result()).toEqual({ status: 'completed', latestVersion: 2 });

    const v2 = (name: ActivityName) => inputsOf(calls, name).filter((i) => i.version === 2);
    expect(v2('analyzeInsight').map((i) => [i.kind, i.instructions]).sort()).toEqual(
      [...INSIGHT_KINDS].sort().map((k) => [k, 'Focus on enterprise buyers']),
    );
    expect(v2('generateReport')).toEqual([
      expect.objectContaining({ insightIds: insightIdsOf(2), instructions: 'Focus on enterprise buyers' }),
    ]);
    expect(stepLog(calls, 2)).toEqual([]);
    expect(versionsOf(calls, 'finalizeReport')).toEqual([1, 2]);
    // The content steps ran once, for version 1.
    expect(inputsOf(calls, 'validateSite')).toHaveLength(1);
    expect(inputsOf(calls, 'latestInsightIds')).toEqual([]);
  });

  it('regenerates only the personas from the previous insights when sections is ["personas"]', async () => {
    const { handle, calls } = await startAnalysis();
    await waitFor('version 1', finalized(calls, 1));

    await handle.signal(regenerateSignal, { sections: ['personas'], instructions: 'Name them after their jobs', version: 2 });
    expect(await handle.result()).toEqual({ status: 'completed', latestVersion: 2 });

    expect(versionsOf(calls, 'analyzeInsight')).toEqual(INSIGHT_KINDS.map(() => 1));
    expect(stepLog(calls, 2)).toEqual(['ai_analysis:skipped']);
    expect(inputsOf(calls, 'generateReport')[1]).toEqual(
      expect.objectContaining({ version: 2, insightIds: insightIdsOf(1), instructions: 'Name them after their jobs' }),
    );
    expect(inputsOf(calls, 'latestInsightIds')).toEqual([]);
  });

  it('gives a signal without a version the next one: after the highest pending version, or after the latest', async () => {
    const v1Finalizing = gate();
    const { handle, calls } = await startAnalysis({
      finalizeReport: async ({ version }) => {
        if (version === 1) await v1Finalizing.opened;
      },
    });
    await waitFor('version 1 to be finalizing', () => inputsOf(calls, 'finalizeReport').length === 1);
    // Sent by hand (Web UI, CLI) or by an older client: no version in the payload.
    const unversioned = (payload: { instructions: string }) => handle.signal<[unknown]>('regenerate', payload);
    await handle.signal(regenerateSignal, { instructions: 'two', version: 2 });
    await unversioned({ instructions: 'three' });
    v1Finalizing.open();
    await waitFor('version 3', finalized(calls, 3));
    await unversioned({ instructions: 'four' });

    expect(await handle.result()).toEqual({ status: 'completed', latestVersion: 4 });
    expect(versionsOf(calls, 'finalizeReport')).toEqual([1, 2, 3, 4]);
    expect(inputsOf(calls, 'generateReport').map((i) => [i.version, i.instructions])).toEqual([
      [1, undefined],
      [2, 'two'],
      [3, 'three'],
      [4, 'four'],
    ]);
    expect(inputsOf(calls, 'finishAnalysis')).toEqual([]);
  });

  it('records a failed regeneration, keeps the earlier report and the workflow, and runs the next one', async () => {
    const { handle, calls, workflowId } = await startAnalysis({
      analyzeInsight: async ({ kind, version }) => {
        if (version === 2) throw fatal(`The model refused "${kind}"`);
        return insightId(kind, version);
      },
    });
    await waitFor('version 1', finalized(calls, 1));

    await handle.signal(regenerateSignal, { version: 2 });
    await waitFor('version 2 to be given up', () => inputsOf(calls, 'finishAnalysis').length > 0);
    expect(inputsOf(calls, 'finishAnalysis')).toEqual([
      expect.objectContaining({ status: 'failed', version: 2, error: expect.objectContaining({ code: 'ANALYSIS_FAILED' }) }),
    ]);
    expect(stepLog(calls, 2)).toEqual(['ai_analysis:failed']);
    expect(await statusOf(handle)).toBe('RUNNING');
    expect(await handle.query(progressQuery)).toMatchObject({ status: 'completed', latestReportVersion: 1 });

    await handle.signal(regenerateSignal, { version: 3 });
    expect(await handle.result()).toEqual({ status: 'completed', latestVersion: 3 });
    expect(versionsOf(calls, 'finalizeReport')).toEqual([1, 3]);
    expect(inputsOf(calls, 'generateReport')[1]).toEqual(expect.objectContaining({ version: 3, insightIds: insightIdsOf(3) }));
    await recordHistoryIfAsked(client, workflowId, 'failed-regeneration');
  });

  it('repairs a failing report at most twice, each repair checking its own work, then finalizes it as it is (degraded, not failed)', async () => {
    const issues: QualityIssue[] = [{ part: { kind: 'persona', index: 0 }, rule: 'evidence_not_found', message: 'evidence p1.1 is not a passage of https://acme.test/' }];
    const { handle, calls, workflowId } = await startAnalysis({
      generateReport: async (input) => written(input, failing(issues)),
      repairReport: async () => failing(issues),
    });

    expect(await handle.result()).toEqual({ status: 'completed', latestVersion: 1 });
    expect(inputsOf(calls, 'checkQuality')).toEqual([]);
    expect(inputsOf(calls, 'repairReport')).toEqual([1, 2].map(() => ({ reportId: reportIdOf(1), issues, insightIds: insightIdsOf(1), check: true })));
    expect(versionsOf(calls, 'finalizeReport')).toEqual([1]);
    expect(stepLog(calls, 1)).toEqual([]);
    expect(inputsOf(calls, 'finishAnalysis')).toEqual([]);
    // Runs recorded before the check moved into the report activities replay from degraded-after-repairs.json.
    await recordHistoryIfAsked(client, workflowId, 'degraded-after-repairs-checked-in-activities');
  });

  it('stops repairing once a repaired report passes its check', async () => {
    const issues: QualityIssue[] = [{ part: { kind: 'summary' }, rule: 'placeholder', message: 'lorem ipsum' }];
    const { handle, calls } = await startAnalysis({ generateReport: async (input) => written(input, failing(issues)) });

    expect(await handle.result()).toEqual({ status: 'completed', latestVersion: 1 });
    expect(inputsOf(calls, 'repairReport')).toEqual([{ reportId: reportIdOf(1), issues, insightIds: insightIdsOf(1), check: true }]);
    expect(inputsOf(calls, 'checkQuality')).toEqual([]);
    expect(versionsOf(calls, 'finalizeReport')).toEqual([1]);
  });

  it('stops repairing when a repair fails for good, and still finalizes', async () => {
    const { handle, calls } = await startAnalysis({
      generateReport: async (input) => written(input, failing([{ part: { kind: 'summary' }, rule: 'placeholder', message: 'lorem ipsum' }])),
      repairReport: async () => {
        throw fatal('the repair produced invalid JSON');
      },
    });

    expect(await handle.result()).toEqual({ status: 'completed', latestVersion: 1 });
    expect(inputsOf(calls, 'repairReport')).toHaveLength(1);
    expect(inputsOf(calls, 'checkQuality')).toEqual([]);
    expect(versionsOf(calls, 'finalizeReport')).toEqual([1]);
    expect(stepLog(calls, 1)).toEqual([]);
    expect(inputsOf(calls, 'finishAnalysis')).toEqual([]);
  });

  it('fails the analysis with URL_NOT_ALLOWED when validation refuses the site, and closes', async () => {
    const { handle, calls, workflowId } = await startAnalysis({
      validateSite: async () => {
        throw fatal('acme.example resolves to a private address', 'UrlNotAllowed');
      },
    });

    // The run itself ends Failed, carrying the code and message a person sees.
    await expect(handle.result()).rejects.toMatchObject({
      cause: { type: 'URL_NOT_ALLOWED', message: 'acme.example resolves to a private address' },
    });
    expect(await statusOf(handle)).toBe('FAILED');
    expect(inputsOf(calls, 'validateSite')).toHaveLength(1); // non-retryable: no second attempt
    expect(inputsOf(calls, 'extractContent')).toEqual([]);
    expect(stepLog(calls, 1)).toEqual(['validation:failed']);
    expect(inputsOf(calls, 'finishAnalysis')).toEqual([
      {
        analysisId: expect.any(String),
        status: 'failed',
        version: 1,
        error: { code: 'URL_NOT_ALLOWED', message: 'acme.example resolves to a private address' },
      },
    ]);
    await recordHistoryIfAsked(client, workflowId, 'failed-content-step');
  });

  it('cancels the running insight calls on cancel, records the cancellation and ends Canceled', async () => {
    const sawCancel: string[] = [];
    const { handle, calls, workflowId } = await startAnalysis({
      analyzeInsight: ({ kind }) => heartbeatUntilCancelled(sawCancel, kind),
    });
    await waitFor('the five insight calls', () => inputsOf(calls, 'analyzeInsight').length === INSIGHT_KINDS.length);
    await sleep(300); // let them heartbeat once
    await handle.cancel();

    // The workflow records its cancellation, then lets it end the run, so the Web UI shows it Canceled.
    await expect(handle.result()).rejects.toMatchObject({ cause: expect.any(CancelledFailure) });
    expect(await statusOf(handle)).toBe('CANCELLED');
    await waitFor('every insight call to see the cancellation', () => sawCancel.length === INSIGHT_KINDS.length);
    expect(inputsOf(calls, 'finishAnalysis')).toEqual([
      expect.objectContaining({ status: 'cancelled', version: 1, error: expect.objectContaining({ code: 'CANCELLED' }) }),
    ]);
    expect(inputsOf(calls, 'generateReport')).toEqual([]);
    expect(stepLog(calls, 1).at(-1)).toBe('ai_analysis:failed');
    await recordHistoryIfAsked(client, workflowId, 'cancelled-during-ai-analysis');
  });

  it('does not interrupt finalization: a cancel during finalizeReport lets it finish, and the analysis completes', async () => {
    const finalizeFinished: number[] = [];
    const { handle, calls } = await startAnalysis({
      finalizeReport: async ({ version }) => {
        await sleep(1_000); // no heartbeat: an interruption could only come from the workflow
        finalizeFinished.push(version);
      },
    });
    await waitFor('finalization to start', () => inputsOf(calls, 'finalizeReport').length === 1);
    await handle.cancel();

    expect(await handle.result()).toEqual({ status: 'completed', latestVersion: 1 });
    expect(finalizeFinished).toEqual([1]);
    // Nothing recorded a step failed: finalization completed (its activity records that itself).
    expect(stepLog(calls, 1)).toEqual([]);
    expect(inputsOf(calls, 'finishAnalysis').filter((i) => i.status === 'cancelled')).toEqual([]);
  });

  it('cancels the sibling insight calls when one fails for good', async () => {
    const othersRunning = barrier(INSIGHT_KINDS.length);
    const sawCancel: string[] = [];
    const { handle, calls } = await startAnalysis({
      analyzeInsight: async ({ kind, version }) => {
        if (version === 1) return insightId(kind, version);
        await othersRunning();
        if (kind === 'offering') throw fatal('the model answered with invalid JSON', 'InvalidModelOutput');
        return heartbeatUntilCancelled(sawCancel, kind);
      },
    });
    await waitFor('version 1', finalized(calls, 1));
    // In a regeneration the workflow stays open: only the workflow itself can stop the siblings.
    await handle.signal(regenerateSignal, { version: 2 });

    await waitFor('the four siblings to see the cancellation', () => sawCancel.length === INSIGHT_KINDS.length - 1, 15_000);
    expect(sawCancel.sort()).toEqual(INSIGHT_KINDS.filter((k) => k !== 'offering').sort());
    expect(await statusOf(handle)).toBe('RUNNING');
    await waitFor('version 2 to be given up', () => inputsOf(calls, 'finishAnalysis').length > 0);
    expect(inputsOf(calls, 'finishAnalysis')).toEqual([
      expect.objectContaining({ status: 'failed', version: 2, error: expect.objectContaining({ code: 'AI_OUTPUT_INVALID' }) }),
    ]);
    expect(await handle.result()).toEqual({ status: 'completed', latestVersion: 1 });
  });

  it('sends notifications beside the versions: an unsettled send holds up no version, and the run waits for it before closing', async () => {
    const v1Webhook = gate();
    const settled: string[] = [];
    const { handle, calls, workflowId } = await startAnalysis(
      {
        sendNotification: async ({ version, channel }) => {
          if (version === 1 && channel === 'webhook') await v1Webhook.opened;
          settled.push(`v${version}:${channel}`);
          return 'delivered';
        },
      },
      { options: { maxPages: 3, personaCount: 2, forceRefresh: false, notify: { webhookUrl: 'https://hooks.acme.example/in', email: 'ops@acme.example' } }, idleTimeout: '2s' },
    );
    await waitFor('version 1', finalized(calls, 1));
    await handle.signal(regenerateSignal, { version: 2 });
    // Version 2 runs and finishes while version 1's webhook is still being sent.
    await waitFor('version 2', finalized(calls, 2));
    await waitFor('version 2 notifications', () => settled.includes('v2:webhook') && settled.includes('v2:email'));
    expect(settled).not.toContain('v1:webhook');
    // Idle for longer than the idle period: still open, because a send is outstanding.
    await sleep(3_000);
    expect(await statusOf(handle)).toBe('RUNNING');
    v1Webhook.open();
    expect(await handle.result()).toEqual({ status: 'completed', latestVersion: 2 });

    const sends = inputsOf(calls, 'sendNotification').map((i) => `v${i.version}:${i.channel}:${i.event}`);
    expect(sends.sort()).toEqual([
      'v1:email:analysis.version_completed',
      'v1:webhook:analysis.version_completed',
      'v2:email:analysis.version_completed',
      'v2:webhook:analysis.version_completed',
    ]);
    // Each is started after its version was finalized.
    const order = calls.map((c) => `${c.name}:${c.input?.version}`);
    for (const v of [1, 2]) expect(order.indexOf(`sendNotification:${v}`)).toBeGreaterThan(order.indexOf(`finalizeReport:${v}`));
    await recordHistoryIfAsked(client, workflowId, 'notifications-beside-versions');
  });

  it('sends the notifications a previous run handed on (continue-as-new) before anything else', async () => {
    const handedOn = [{ version: 1, event: 'analysis.version_completed', channel: 'webhook' }];
    const resume = { latestVersion: 1, notifications: handedOn } as AnalysisWorkflowInput['resume'];
    const { handle, calls } = await startAnalysis({}, { resume, idleTimeout: '1s' });
    expect(await handle.result()).toEqual({ status: 'completed', latestVersion: 1 });
    expect(calls.filter((c) => c.name !== 'recordStep').map((c) => c.name)).toEqual(['sendNotification']);
    expect(inputsOf(calls, 'sendNotification')).toEqual([{ analysisId: expect.any(String), ...handedOn[0] }]);
  });

  it('notifies a failed analysis and a failed regeneration, and ends only when the failure notice has settled', async () => {
    const failureSent = gate();
    const { handle, calls } = await startAnalysis(
      {
        validateSite: async () => {
          throw fatal('acme.example does not exist', 'SiteUnreachable');
        },
        sendNotification: async () => {
          await failureSent.opened;
          return 'failed';
        },
      },
      { options: { maxPages: 3, personaCount: 2, forceRefresh: false, notify: { webhookUrl: 'https://hooks.acme.example/in' } } },
    );
    await waitFor('the failure notice to be sent', () => inputsOf(calls, 'sendNotification').length === 1);
    expect(inputsOf(calls, 'sendNotification')).toEqual([expect.objectContaining({ version: 1, channel: 'webhook', event: 'analysis.failed' })]);
    expect(await statusOf(handle)).toBe('RUNNING');
    failureSent.open();
    // A notice that could not be delivered changes nothing about how the analysis ended.
    await expect(handle.result()).rejects.toMatchObject({ cause: { message: 'acme.example does not exist' } });

    const regen = await startAnalysis(
      {
        generateReport: async (input) => {
          if (input.version === 2) throw fatal('the synthesis of version 2 failed');
          return written(input);
        },
      },
      { options: { maxPages: 3, personaCount: 2, forceRefresh: false, notify: { email: 'ops@acme.example' } } },
    );
    await waitFor('version 1', finalized(regen.calls, 1));
    await regen.handle.signal(regenerateSignal, { version: 2 });
    expect(await regen.handle.result()).toEqual({ status: 'completed', latestVersion: 1 });
    expect(inputsOf(regen.calls, 'sendNotification').map((i) => `v${i.version}:${i.channel}:${i.event}`)).toEqual([
      'v1:email:analysis.version_completed',
      'v2:email:analysis.version_failed',
    ]);
  });

  it('shows in the Web UI what it does: AnalysisStatus and current details kept current, blank when idle, deleted when deleted', async () => {
    const details = async () =>
      (await handle.query<{ currentDetails?: string | null }>('__temporal_workflow_metadata')).currentDetails ?? '';
    const status = async () => (await handle.describe()).typedSearchAttributes.get(AnalysisStatusKey);
    const reached = gate();
    const { handle, calls, workflowId } = await startAnalysis(
      {
        generateReport: async (input) => {
          if (input.version === 2) await reached.opened;
          return written(input);
        },
      },
      { idleTimeout: '1 hour' },
    );
    await waitFor('version 1', finalized(calls, 1));
    await waitFor('idle details to be blank', async () => (await details()) === '');
    expect(await status()).toBe('completed');

    // Only personas: ai_analysis is skipped, the one step state the workflow records itself.
    await handle.signal(regenerateSignal, { sections: ['personas'], version: 2 });
    await waitFor('version 2 to reach its report', () => versionsOf(calls, 'generateReport').includes(2));
    expect(await details()).toBe('**v2** · step 5/7 `report_generation`: Writing 2 personas for acme.example');
    expect(await status()).toBe('running');
    reached.open();
    await waitFor('version 2', finalized(calls, 2));
    await waitFor('idle details to be blank again', async () => (await details()) === '');
    expect(stepLog(calls, 2)).toEqual(['ai_analysis:skipped']);

    // The API's DELETE: the signal marks the run, then the cancel closes it.
    await handle.signal(deleteSignal);
    await handle.cancel();
    expect(await handle.result()).toEqual({ status: 'completed', latestVersion: 2 });
    expect(await status()).toBe('deleted');
    await recordHistoryIfAsked(client, workflowId, 'steps-from-activities-regenerated-then-deleted');
  });

  it('closes after the idle period with no signal', async () => {
    const { handle, calls } = await startAnalysis({}, { idleTimeout: '2s' });
    expect(await handle.result()).toEqual({ status: 'completed', latestVersion: 1 });
    expect(await statusOf(handle)).toBe('COMPLETED');
    expect(versionsOf(calls, 'finalizeReport')).toEqual([1]);
  });

  it('resumes a closed analysis with signal-with-start: only the report steps, on the stored insights', async () => {
    const { activities, calls } = standInActivities();
    const { taskQueue, workflowIds } = await startWorker(activities);
    const analysisId = randomUUID();
    const workflowId = `analysis-${analysisId}`;
    workflowIds.push(workflowId);

    const handle = await client.workflow.signalWithStart<typeof AnalysisWorkflow, [RegenerateSignal]>(WORKFLOW_TYPE, {
      workflowId,
      taskQueue,
      args: [inputFor(analysisId, { resume: { latestVersion: 1 } })],
      signal: regenerateSignal,
      signalArgs: [{ sections: ['personas'], version: 2 }],
    });
    expect(await handle.result()).toEqual({ status: 'completed', latestVersion: 2 });

    expect(calls.filter((c) => c.name !== 'recordStep').map((c) => c.name)).toEqual([
      'latestInsightIds',
      'generateReport',
      'finalizeReport',
    ]);
    expect(inputsOf(calls, 'generateReport')).toEqual([expect.objectContaining({ version: 2, insightIds: STORED_INSIGHT_IDS })]);
    expect(stepLog(calls, 2)).toEqual(['ai_analysis:skipped']);
    expect(inputsOf(calls, 'recordStep').every((i) => i.version === 2)).toBe(true);
  });

  it('continues as new when Temporal suggests it, carrying pending regenerations and insight IDs', async () => {
    // A server of its own that suggests continue-as-new after a few dozen events, not thousands.
    const server = await startTemporalDevServer({
      cliPath: await findTemporalCli({
        explicitPath: process.env.TEMPORAL_CLI_PATH,
        cacheDir: fileURLToPath(new URL('../.dev/', import.meta.url)),
        log: () => {},
      }),
      port: await freePort(),
      uiPort: await freePort(),
      searchAttributes: SEARCH_ATTRIBUTES,
      extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${CONTINUE_AS_NEW_AFTER_EVENTS}`],
      log: () => {},
    });
    const native = await NativeConnection.connect({ address: server.address });
    const ownConnection = await Connection.connect({ address: server.address });
    const ownClient = new Client({ connection: ownConnection });
    cleanups.push(async () => {
      await ownConnection.close();
      await native.close();
      await server.stop();
    });

    const { activities, calls } = standInActivities();
    const { taskQueue, workflowIds } = await startWorker(activities, { nativeConnection: native, client: ownClient });
    const analysisId = randomUUID();
    const workflowId = `analysis-${analysisId}`;
    workflowIds.push(workflowId);
    const handle = await ownClient.workflow.start<typeof AnalysisWorkflow>(WORKFLOW_TYPE, {
      workflowId,
      taskQueue,
      args: [inputFor(analysisId)],
    });
    await waitFor('version 1', finalized(calls, 1));

    // Sent together, so several are still pending whenever the run continues as new.
    // Full regenerations produce new insights; personas-only ones must build on the latest of those.
    const requests: RegenerateSignal[] = [
      { version: 2, sections: ['personas'] },
      { version: 3 },
      { version: 4, sections: ['personas'] },
      { version: 5, sections: ['personas'] },
      { version: 6 },
      { version: 7, sections: ['personas'] },
      { version: 8, sections: ['personas'] },
    ];
    for (const request of requests) await handle.signal(regenerateSignal, request);
    expect(await handle.result()).toEqual({ status: 'completed', latestVersion: 8 });

    expect(await statusOf(ownClient.workflow.getHandle(workflowId, handle.firstExecutionRunId))).toBe('CONTINUED_AS_NEW');
    const runIds = [...new Set(calls.map((c) => c.runId))];
    expect(runIds.length).toBeGreaterThan(1);
    expect(versionsOf(calls, 'finalizeReport')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(inputsOf(calls, 'validateSite')).toHaveLength(1);
    expect(inputsOf(calls, 'latestInsightIds')).toEqual([]);

    // Every report was built on the newest insights before it, whichever run produced them.
    const reports = calls.filter((c) => c.name === 'generateReport');
    const fullVersions = [1, ...requests.filter((r) => !r.sections).map((r) => r.version)];
    const insightsFrom = (version: number) => Math.max(...fullVersions.filter((v) => v <= version));
    for (const { input } of reports) expect(input.insightIds, `v${input.version}`).toEqual(insightIdsOf(insightsFrom(input.version)));
    // ... including reports made in a later run than those insights: carried over by continue-as-new.
    const runOf = (name: ActivityName, version: number) => calls.find((c) => c.name === name && c.input.version === version)!.runId;
    const carried = reports.filter(({ input, runId }) => runOf('analyzeInsight', insightsFrom(input.version)) !== runId);
    expect(carried.length).toBeGreaterThan(0);

    await recordHistoryIfAsked(ownClient, workflowId, 'continue-as-new-first-run', handle.firstExecutionRunId);
  });
});
