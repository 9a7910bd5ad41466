import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Db } from '../src/database.js';
import { INSIGHT_KINDS } from '../src/domain/analysis.js';
import { insightSchemas } from '../src/domain/insights.js';
import { startStandInAi, type StandInAi } from '../src/dev/stand-in-ai.js';
import { ENGLISH_SITE, GERMAN_SITE, seedAnalysis } from '../test/support/seed-analysis.js';
import { createAiAnalysisActivities } from './ai-analysis.js';
import type { ActivityDeps, InsightInput } from './types.js';
import { quietActivityEnvironment, standInActivityDeps } from '../test/support/activity-env.js';
import { runTracked } from '../test/support/step-tracking.js';


let db: Db;
let ai: StandInAi;
let deps: ActivityDeps;
let activities: ReturnType<typeof createAiAnalysisActivities>;

beforeAll(async () => {
  const databaseUrl = inject('databaseUrl');
  db = createDatabase(databaseUrl, 4);
  ai = await startStandInAi();
  deps = standInActivityDeps(db, ai.baseUrl);
  activities = createAiAnalysisActivities(deps);
});

afterAll(async () => {
  await ai?.stop();
  await db?.destroy();
});

function analyze(input: InsightInput, env = quietActivityEnvironment({})): Promise<string> {
  // Through the worker's step-tracking interceptor, which writes the step rows checked below.
  return runTracked(env, deps, 'analyzeInsight', activities.analyzeInsight, input);
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('analyzeInsight', () => {
  it.each(INSIGHT_KINDS)('stores a valid %s response with token usage', async (kind) => {
    const { analysisId } = await seedAnalysis(db);
    const id = await analyze({ analysisId, version: 1, kind });

    const row = await db.selectFrom('ai_responses').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ analysis_id: analysisId, version: 1, kind, attempt: 1, model: 'local-stand-in', stand_in: true });
    expect(row.prompt_tokens).toBeGreaterThan(500);
    expect(row.completion_tokens).toBeGreaterThan(10);
    expect(row.total_tokens).toBe(row.prompt_tokens + row.completion_tokens);
    expect(Number(row.cost_usd)).toBe(0);
    expect(insightSchemas(kind, []).accept.safeParse(row.parsed).success).toBe(true);
    expect(JSON.parse(row.raw_output)).toEqual(row.parsed);

    const step = await db.selectFrom('analysis_steps').selectAll().where('analysis_id', '=', analysisId).executeTakeFirstOrThrow();
    expect(step).toMatchObject({ step: 'ai_analysis', version: 1, attempts: 1 });
  });

  it('asks with a strict JSON schema of the passage IDs shown, the numbered passages, the language and the instructions', async () => {
    const { analysisId } = await seedAnalysis(db, { site: GERMAN_SITE, language: 'fr' });
    await analyze({
      analysisId,
      version: 2,
      kind: 'audience_segments',
      instructions: 'Focus on public-sector clients',
    });
    const request = ai.lastRequest()!;
    expect(request.model).toBe('gpt-4o-mini');
    expect(request.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'insight_audience_segments', strict: true } });
    // System rules, then the site (the same for every call of the analysis: a cacheable prefix), then the task.
    expect(request.messages!.map((m) => m.role)).toEqual(['system', 'user', 'user']);
    const site = String(request.messages![1]!.content);
    expect(site).toContain('Page 1: https://www.rs-ingenieure.de/tragwerksplanung');
    const shown = [...site.matchAll(/^\[(p\d+\.\d+)\] /gm)].map((m) => m[1]);
    expect(shown.length).toBeGreaterThan(2);
    const schema = JSON.stringify(request.response_format);
    const enumValues = /"enum":(\[[^\]]*\])/.exec(schema)![1]!;
    expect(JSON.parse(enumValues)).toEqual(shown);
    const task = String(request.messages!.at(-1)!.content);
    expect(task).toMatch(/^Write in: fr /m);
    expect(task).toContain('Focus on public-sector clients');
  });

  it('turns a 500 from the endpoint into a retryable failure', async () => {
    const { analysisId } = await seedAnalysis(db);
    ai.failNext(1, 500);
    const failure = await failureOf(analyze({ analysisId, version: 1, kind: 'offering' }));
    expect(failure.nonRetryable).toBe(false);
    expect(failure.type).toBe('AiUnavailable');
    expect(failure.message).toContain('HTTP 500');
    expect(failure.message).not.toContain(ai.baseUrl);
    expect(failure.message).not.toContain('127.0.0.1');

    const step = await db.selectFrom('analysis_steps').select('last_error').where('analysis_id', '=', analysisId).executeTakeFirstOrThrow();
    expect(step.last_error).toContain('HTTP 500');
    // Temporal retries: the next attempt succeeds.
    const id = await analyze({ analysisId, version: 1, kind: 'offering' }, quietActivityEnvironment({ attempt: 2 }));
    expect(id).toBeTruthy();
  });

  it('a retried attempt whose answer was already stored makes no request and returns the same row', async () => {
    const { analysisId } = await seedAnalysis(db);
    const before = ai.requests();
    const first = await analyze({ analysisId, version: 1, kind: 'goals_and_pains' }, quietActivityEnvironment({ attempt: 1, activityId: 'insight-3' }));
    expect(ai.requests()).toBe(before + 1);
    // The worker was killed after storing the answer: Temporal runs attempt 2 of the same activity.
    const again = await analyze({ analysisId, version: 1, kind: 'goals_and_pains' }, quietActivityEnvironment({ attempt: 2, activityId: 'insight-3' }));
    expect(again).toBe(first);
    expect(ai.requests()).toBe(before + 1);
    // A regeneration (version 2) asks anew, even from an activity with the same ID.
    const regenerated = await analyze({ analysisId, version: 2, kind: 'goals_and_pains' }, quietActivityEnvironment({ attempt: 2, activityId: 'insight-3' }));
    expect(regenerated).not.toBe(first);
    expect(ai.requests()).toBe(before + 2);
  });

  it('retries rate limits too', async () => {
    const { analysisId } = await seedAnalysis(db);
    ai.failNext(1, 429);
    const failure = await failureOf(analyze({ analysisId, version: 1, kind: 'offering' }));
    expect(failure.nonRetryable).toBe(false);
  });

  it('turns a 401 into a non-retryable AiNotConfigured failure that says what to fix', async () => {
    const { analysisId } = await seedAnalysis(db);
    ai.failNext(1, 401);
    const failure = await failureOf(analyze({ analysisId, version: 1, kind: 'offering' }));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe('AiNotConfigured');
    expect(failure.message).toContain('OPENAI_API_KEY');
    // The message reaches the API: the endpoint's address and its own error text stay in the logs.
    expect(failure.message).not.toContain(ai.baseUrl);
    expect(failure.message).not.toContain('127.0.0.1');
    expect(failure.message).not.toContain('Incorrect API key provided');
  });

  it('turns an unreachable endpoint into a retryable AiUnavailable failure that does not name its address', async () => {
    const { analysisId } = await seedAnalysis(db);
    const closed = await startStandInAi();
    await closed.stop();
    const unreachable = createAiAnalysisActivities(standInActivityDeps(db, closed.baseUrl));
    const failure = await failureOf(quietActivityEnvironment({}).run(unreachable.analyzeInsight, { analysisId, version: 1, kind: 'offering' } satisfies InsightInput));
    expect(failure).toMatchObject({ type: 'AiUnavailable', nonRetryable: false });
    expect(failure.message).toMatch(/could not be reached/);
    expect(failure.message).not.toContain(closed.baseUrl);
    expect(failure.message).not.toContain('127.0.0.1');
  });

  it('stores invalid output for debugging and fails retryably when its one repair fails too', async () => {
    const { analysisId } = await seedAnalysis(db);
    ai.replyNext('{"companyName": "Acme", "summary": ', 2);
    const failure = await failureOf(analyze({ analysisId, version: 1, kind: 'offering' }));
    expect(failure.type).toBe('InvalidModelOutput');
    expect(failure.nonRetryable).toBe(false);

    ai.replyNext('{"companyName": "Acme"}', 2);
    const mismatch = await failureOf(analyze({ analysisId, version: 1, kind: 'offering' }, quietActivityEnvironment({ attempt: 2 })));
    expect(mismatch.message).toContain('does not match the schema');

    const rows = await db.selectFrom('ai_responses').selectAll().where('analysis_id', '=', analysisId).orderBy('attempt').execute();
    // Every answer is kept: each attempt's first answer and its one repair.
    expect(rows.map((r) => [r.attempt, r.parsed])).toEqual([
      [1, null],
      [1, null],
      [2, null],
      [2, null],
    ]);
    expect(rows.map((r) => r.raw_output)).toEqual(expect.arrayContaining([expect.stringContaining('{"companyName": "Acme", "summary": '), expect.stringContaining('{"companyName": "Acme"}')]));
  });

  it('fails non-retryably for an analysis without content', async () => {
    const { analysisId } = await seedAnalysis(db);
    await db.updateTable('analyses').set({ corpus: null }).where('id', '=', analysisId).execute();
    const failure = await failureOf(analyze({ analysisId, version: 1, kind: 'offering' }));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe('NoContent');
  });

  it('heartbeats while the model is slow, and stops when cancelled', async () => {
    const { analysisId } = await seedAnalysis(db, { site: GERMAN_SITE });
    ai.setLatency(7_000);
    try {
      const env = quietActivityEnvironment({});
      const heartbeats: unknown[] = [];
      env.on('heartbeat', (d: unknown) => {
        heartbeats.push(d);
        env.cancel();
      });
      const err = await analyze({ analysisId, version: 1, kind: 'offering' }, env).catch((e: unknown) => e);
      expect(heartbeats[0]).toMatchObject({ kind: 'offering' });
      expect(err).toBeInstanceOf(CancelledFailure);
    } finally {
      ai.setLatency(0);
    }
  });
});

describe('seeded site', () => {
  it('has pages with text', async () => {
    const { pages } = await seedAnalysis(db, { site: ENGLISH_SITE });
    expect(pages.every((p) => p.text.length > 100)).toBe(true);
  });
});
