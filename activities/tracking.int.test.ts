import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Db } from '../src/database.js';
import { createLogger } from '../src/logger.js';
import { stepsRepository } from '../src/repositories/steps.js';
import { insertAnalysis, quietActivityEnvironment, unusedModelClient } from '../test/support/activity-env.js';
import { runTracked } from '../test/support/step-tracking.js';
import { loadAnalysis } from './load-analysis.js';
import { createTrackingActivities } from './tracking.js';
import type { ActivityDeps } from './types.js';

/**
 * The worker's step-tracking interceptor on the real database: what status readers see of a
 * step comes from the activity attempts themselves, with no bookkeeping activity in the workflow.
 */
let db: Db;
let deps: ActivityDeps;

beforeAll(() => {
  db = createDatabase(inject('databaseUrl'), 2);
  deps = {
    db,
    logger: createLogger('error'),
    ai: unusedModelClient(),
    config: { OPENAI_MODEL: 'unused', SCRAPE_ALLOW_PRIVATE_NETWORKS: true, CACHE_TTL_HOURS: 24 },
  };
});

afterAll(async () => {
  await db?.destroy();
});

const attempt = (n: number) => quietActivityEnvironment({ attempt: n });
const steps = async (analysisId: string) =>
  Object.fromEntries((await stepsRepository.list(db, analysisId)).map((s) => [s.step, { state: s.state, attempts: s.attempts, lastError: s.last_error }]));
const events = async (analysisId: string) =>
  (await db.selectFrom('processing_events').select(['type', 'step']).where('analysis_id', '=', analysisId).orderBy('id').execute()).map(
    (e) => `${e.type}:${e.step ?? ''}`,
  );
const analysisRow = (analysisId: string) =>
  db.selectFrom('analyses').select(['status', 'current_step']).where('id', '=', analysisId).executeTakeFirstOrThrow();

describe('step tracking around activity attempts', () => {
  it('retries an attempt whose analysis row is not committed yet, and stops once it never appears', async () => {
    // The API starts the run before its transaction commits: the first attempt may find no row.
    const analysisId = randomUUID();
    let ran = false;
    const body = async () => {
      ran = true;
      return 'ok';
    };
    const early = await runTracked(attempt(1), deps, 'validateSite', body, { analysisId }).catch((err: unknown) => err);
    expect(early).not.toBeInstanceOf(ApplicationFailure); // a plain error: retryable
    expect((early as Error).message).toMatch(/has no database row: not committed yet, or deleted/);
    expect(ran).toBe(false);

    const late = await runTracked(attempt(5), deps, 'validateSite', body, { analysisId }).catch((err: unknown) => err);
    expect(late).toBeInstanceOf(ApplicationFailure);
    expect(late).toMatchObject({ type: 'AnalysisNotFound', nonRetryable: true });
    expect(ran).toBe(false);
    expect(await stepsRepository.list(db, analysisId)).toEqual([]);
  });

  it('waits for an analysis row whose transaction commits just after the attempt began', async () => {
    let analysisId = '';
    let ran = false;
    let release!: () => void;
    const committing = db.transaction().execute(async (tx) => {
      analysisId = await insertAnalysis(tx, 'https://acme.example/');
      await new Promise<void>((resolve) => (release = resolve));
    });
    await expect.poll(() => analysisId).not.toBe('');
    // The transaction commits once the attempt's begin statement has found no row, however slow the machine.
    let missed = 0;
    const begins = new Set<unknown>();
    const watching = db.withPlugin({
      transformQuery: (args) => {
        const node = args.node as { kind: string; sqlFragments?: readonly string[] };
        if (node.kind === 'RawNode' && node.sqlFragments?.join('').includes('with touched as')) begins.add(args.queryId);
        return args.node;
      },
      // The begin statement returns the analysis it found: no row is a miss.
      transformResult: async ({ result, queryId }) => {
        if (begins.has(queryId) && result.rows.length === 0 && ++missed === 1) release();
        return result;
      },
    });
    await expect(runTracked(attempt(1), { ...deps, db: watching }, 'validateSite', async () => ((ran = true), 'ok'), { analysisId })).resolves.toBe('ok');
    await committing;
    expect(missed).toBeGreaterThanOrEqual(1);
    expect(ran).toBe(true);
    expect(await steps(analysisId)).toEqual({ validation: { state: 'completed', attempts: 1, lastError: null } });
  });

  it("hands the attempt the analysis its begin statement read: the first load reads nothing more, a later one reads again", async () => {
    const analysisId = await insertAnalysis(db, 'https://acme.example/');
    await db.updateTable('analyses').set({ content_ids: [randomUUID()], crawl: JSON.stringify({ read: [], skipped: [] }) }).where('id', '=', analysisId).execute();
    let reads = 0;
    const counting = db.withPlugin({
      transformQuery: (args) => {
        if (args.node.kind === 'SelectQueryNode') reads++;
        return args.node;
      },
      transformResult: async ({ result }) => result,
    });
    const tracked = { ...deps, db: counting };
    const seen = await runTracked(attempt(1), tracked, 'processContent', async () => {
      const first = await loadAnalysis(tracked, analysisId);
      const readsAfterFirst = reads;
      const second = await loadAnalysis(tracked, analysisId);
      return { first, second, readsAfterFirst, readsAfterSecond: reads };
    }, { analysisId });
    expect(seen.readsAfterFirst).toBe(0);
    expect(seen.readsAfterSecond).toBe(1);
    expect(seen.first).toEqual(seen.second);
    expect(seen.first).toEqual(await loadAnalysis(deps, analysisId));
    expect(seen.first.contentIds).toHaveLength(1);
  });

  it('marks a whole-step activity running, counts and records a failed attempt, and completes the step on success', async () => {
    const analysisId = await insertAnalysis(db, 'https://acme.example/');
    const failing = async () => {
      throw ApplicationFailure.create({ type: 'SiteUnreachable', message: 'acme.example did not answer.' });
    };
    await expect(runTracked(attempt(1), deps, 'validateSite', failing, { analysisId })).rejects.toThrow('did not answer');
    expect(await steps(analysisId)).toEqual({ validation: { state: 'running', attempts: 1, lastError: 'acme.example did not answer.' } });
    expect(await analysisRow(analysisId)).toEqual({ status: 'running', current_step: 'validation' });

    await runTracked(attempt(2), deps, 'validateSite', async () => 'ok', { analysisId });
    expect(await steps(analysisId)).toEqual({ validation: { state: 'completed', attempts: 2, lastError: null } });
    expect(await events(analysisId)).toEqual(['step_running:validation', 'attempt_failed:validation', 'step_retry:validation', 'step_completed:validation']);
  });

  it('records one step_running for parallel attempts of one step, each on its own connection', async () => {
    // Each begin is one statement whose snapshot predates its wait for the analysis row: whether the
    // step was running must come from the row it replaced, not from that snapshot.
    const wide = createDatabase(inject('databaseUrl'), 5);
    try {
      for (let round = 0; round < 3; round++) {
        const analysisId = await insertAnalysis(db, 'https://acme.example/');
        const kinds = ['offering', 'audience_segments', 'goals_and_pains', 'objections_and_triggers', 'channels_and_messaging'];
        await Promise.all(kinds.map((kind) => runTracked(attempt(1), { ...deps, db: wide }, 'analyzeInsight', async () => kind, { analysisId, kind })));
        expect(await events(analysisId)).toEqual(['step_running:ai_analysis']);
        expect((await steps(analysisId)).ai_analysis).toMatchObject({ state: 'running', attempts: 1 });
      }
    } finally {
      await wide.destroy();
    }
  });

  it('keeps a step of several activities running until the next step begins, and leaves a skipped step alone', async () => {
    const analysisId = await insertAnalysis(db, 'https://acme.example/');
    await Promise.all(
      ['offering', 'channels_and_messaging'].map((kind) =>
        runTracked(attempt(1), deps, 'analyzeInsight', async () => `insight-${kind}`, { analysisId, version: 2, kind }),
      ),
    );
    expect((await steps(analysisId)).ai_analysis).toMatchObject({ state: 'running', attempts: 1 });

    await runTracked(attempt(1), deps, 'generateReport', async () => 'report', { analysisId, version: 2 });
    expect(await steps(analysisId)).toMatchObject({ ai_analysis: { state: 'completed' }, report_generation: { state: 'completed' } });
    expect(await events(analysisId)).toEqual(['step_running:ai_analysis', 'step_running:report_generation', 'step_completed:ai_analysis', 'step_completed:report_generation']);

    // Version 3 skips ai_analysis (recorded by the workflow): its report step does not touch it.
    await stepsRepository.moveTo(db, { analysisId, version: 3, step: 'ai_analysis' }, 'skipped');
    await runTracked(attempt(1), deps, 'generateReport', async () => 'report', { analysisId, version: 3 });
    const v3 = (await stepsRepository.list(db, analysisId)).filter((s) => s.version === 3).map((s) => [s.step, s.state]);
    expect(v3).toEqual([
      ['ai_analysis', 'skipped'],
      ['report_generation', 'completed'],
    ]);
  });

  it('finds the analysis of a check through its report, and records nothing for what is no step (notifications)', async () => {
    const analysisId = await insertAnalysis(db, 'https://acme.example/');
    const report = await db
      .insertInto('reports')
      .values({ analysis_id: analysisId, version: 1, content: JSON.stringify({}), status: 'draft', quality: null, instructions: null, model: 'unused', stand_in: true, insight_ids: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    await runTracked(attempt(1), deps, 'checkQuality', async () => ({ passed: true }), { reportId: report.id });
    expect((await steps(analysisId)).quality_check).toMatchObject({ state: 'running', attempts: 1 });

    await runTracked(attempt(1), deps, 'sendNotification', async () => 'delivered', { analysisId, version: 1, channel: 'webhook' });
    expect(Object.keys(await steps(analysisId))).toEqual(['quality_check']);
  });

  it('leaves no step running once a version has failed: one recorded inside a step that then failed for good fails with it', async () => {
    const analysisId = await insertAnalysis(db, 'https://acme.example/');
    // generateReport checked what it wrote (quality_check running), then failed for good.
    await runTracked(attempt(1), deps, 'generateReport', async () => 'report', { analysisId });
    await stepsRepository.moveTo(db, { analysisId, version: 1, step: 'quality_check' }, 'running');
    await stepsRepository.moveTo(db, { analysisId, version: 1, step: 'report_generation' }, 'failed', 'The AI budget is spent.');
    const { finishAnalysis } = createTrackingActivities(deps);
    await finishAnalysis({ analysisId, version: 1, status: 'failed', error: { code: 'BUDGET_EXCEEDED', message: 'The AI budget is spent.' } });

    expect(await steps(analysisId)).toEqual({
      report_generation: { state: 'failed', attempts: 1, lastError: 'The AI budget is spent.' },
      quality_check: { state: 'failed', attempts: 0, lastError: 'The AI budget is spent.' },
    });
    expect((await events(analysisId)).slice(-2)).toEqual(['step_failed:quality_check', 'analysis_failed:']);
    expect(await analysisRow(analysisId)).toEqual({ status: 'failed', current_step: null });
  });
});
