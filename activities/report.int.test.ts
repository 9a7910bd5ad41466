import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Db } from '../src/database.js';
import { INSIGHT_KINDS } from '../src/domain/analysis.js';
import { renderHtml, renderMarkdown } from '../src/domain/render-report.js';
import { startStandInAi, type StandInAi } from '../src/dev/stand-in-ai.js';
import { aiResponsesRepository } from '../src/repositories/ai-responses.js';
import { reportsRepository } from '../src/repositories/reports.js';
import { GERMAN_SITE, seedAnalysis } from '../test/support/seed-analysis.js';
import { createAiAnalysisActivities } from './ai-analysis.js';
import { createReportActivities } from './report.js';
import { failingParts, type QualityResult } from '../src/domain/quality.js';
import type { ActivityDeps, CheckedReport, GenerateReportInput, InsightIds, RepairInput } from './types.js';
import { quietActivityEnvironment, standInActivityDeps } from '../test/support/activity-env.js';
import { runTracked } from '../test/support/step-tracking.js';


let db: Db;
let ai: StandInAi;
let deps: ActivityDeps;
let insights: ReturnType<typeof createAiAnalysisActivities>;
let reports: ReturnType<typeof createReportActivities>;

beforeAll(async () => {
  const databaseUrl = inject('databaseUrl');
  db = createDatabase(databaseUrl, 4);
  ai = await startStandInAi();
  deps = standInActivityDeps(db, ai.baseUrl);
  insights = createAiAnalysisActivities(deps);
  reports = createReportActivities(deps);
});

afterAll(async () => {
  await ai?.stop();
  await db?.destroy();
});

const env = () => quietActivityEnvironment({});
/** An output limit (characters) the stand-in's answer for three personas exceeds and its answer for one part does not. */
const MAX_ANSWER_CHARS = 3500;

async function analyzeAll(analysisId: string, version = 1): Promise<InsightIds> {
  const ids = await Promise.all(INSIGHT_KINDS.map((kind) => env().run(insights.analyzeInsight, { analysisId, version, kind }) as Promise<string>));
  return Object.fromEntries(INSIGHT_KINDS.map((k, i) => [k, ids[i]])) as InsightIds;
}

// MockActivityEnvironment.run cannot infer the result type from the function.
const generate = (input: GenerateReportInput) => env().run(reports.generateReport, input) as Promise<string>;
// Through the worker's step-tracking interceptor, which writes the step rows checked below.
const check = (reportId: string): Promise<QualityResult> => runTracked(env(), deps, 'checkQuality', reports.checkQuality, { reportId });
const repair = (input: RepairInput) => env().run(reports.repairReport, input) as Promise<void>;
// The workflow's path: the check ends the activity, and the activity records quality_check itself.
type Checked<I> = I & { check: true };
const generateChecked = (input: GenerateReportInput, activities = reports) =>
  runTracked<Checked<GenerateReportInput>, CheckedReport>(env(), deps, 'generateReport', activities.generateReport, { ...input, check: true });
const repairChecked = (input: RepairInput, activities = reports, environment = env()) =>
  runTracked<Checked<RepairInput>, QualityResult>(environment, deps, 'repairReport', activities.repairReport, { ...input, check: true });

/** State and attempts of each step of an analysis, and its audit trail as `type:step` in order. */
async function stepRows(analysisId: string) {
  const rows = await db.selectFrom('analysis_steps').select(['step', 'state', 'attempts']).where('analysis_id', '=', analysisId).execute();
  return Object.fromEntries(rows.map((r) => [r.step, { state: r.state, attempts: r.attempts }]));
}
async function stepEvents(analysisId: string) {
  const rows = await db
    .selectFrom('processing_events')
    .select(['type', 'step'])
    .where('analysis_id', '=', analysisId)
    .where('type', 'like', 'step_%')
    .orderBy('id')
    .execute();
  return rows.map((e) => `${e.type}:${e.step ?? ''}`);
}

/** A three-persona analysis with its insights, and report activities behind a relay that cuts answers at MAX_ANSWER_CHARS. */
async function behindOutputLimit() {
  const seeded = await seedAnalysis(db, { personaCount: 3 });
  const insightIds = await analyzeAll(seeded.analysisId);
  const relay = await relayTo(ai.baseUrl);
  relay.state.maxChars = MAX_ANSWER_CHARS;
  return { seeded, insightIds, relay, relayed: createReportActivities(standInActivityDeps(db, relay.baseUrl)) };
}

async function draftReport(opts: { personaCount?: number; site?: typeof GERMAN_SITE; language?: string } = {}) {
  const seeded = await seedAnalysis(db, opts);
  const insightIds = await analyzeAll(seeded.analysisId);
  const reportId = await generate({ analysisId: seeded.analysisId, version: 1, insightIds });
  return { ...seeded, insightIds, reportId };
}

describe('generateReport', () => {
  it.each([1, 3, 4])('stores a draft with %i distinct personas from the insights', async (personaCount) => {
    const { analysisId, reportId, url } = await draftReport({ personaCount });
    const report = (await reportsRepository.byId(db, reportId))!;
    expect(report).toMatchObject({ analysisId, version: 1, status: 'draft', model: 'local-stand-in', standIn: true, finalizedAt: null });
    expect(report.content.personas).toHaveLength(personaCount);
    expect(new Set(report.content.personas.map((p) => p.name)).size).toBe(personaCount);
    expect(report.content).toMatchObject({
      site: { url, domain: 'www.caktusgroup.com' },
      language: 'en',
      version: 1,
      generatedBy: { model: 'local-stand-in', standIn: true },
    });
    expect(report.content.site.title).not.toBe('');

    const synthesis = await db.selectFrom('ai_responses').selectAll().where('analysis_id', '=', analysisId).where('kind', '=', 'personas').execute();
    expect(synthesis).toHaveLength(1);
    expect(synthesis[0]!.total_tokens).toBeGreaterThan(0);
    const prompt = String(ai.lastRequest()!.messages!.at(-1)!.content);
    expect(prompt).toContain(`exactly ${personaCount} distinct customer persona`);
    expect(prompt).toContain('goals_and_pains: {');
  });

  it('asks a part at a time when the answer for every part at once is cut off at the token limit, also asked smaller', async () => {
    const { seeded, insightIds, relay, relayed } = await behindOutputLimit();
    try {
      const reportId = (await env().run(relayed.generateReport, { analysisId: seeded.analysisId, version: 1, insightIds })) as string;
      // The whole answer and its smaller re-ask were cut off; no answer for one part was.
      expect(relay.cut, `answer lengths ${relay.lengths.join(', ')}`).toBe(2);
      const report = (await reportsRepository.byId(db, reportId))!;
      expect(report.content.summary).toBeTruthy();
      expect(report.content.offering).not.toBeNull();
      expect(report.content.personas).toHaveLength(3);
      expect(new Set(report.content.personas.map((p) => p.name)).size).toBe(3);
      const rows = await db.selectFrom('ai_responses').select(['kind', 'parsed']).where('analysis_id', '=', seeded.analysisId).where('kind', 'like', 'personas%').orderBy('created_at').execute();
      expect(rows.map((r) => [r.kind, r.parsed !== null])).toEqual([
        ['personas', false],
        ['personas', false],
        ['personas:overview', true],
        ['personas:persona_1', true],
        ['personas:persona_2', true],
        ['personas:persona_3', true],
      ]);
      // Each later persona is told the names the earlier ones took.
      const lastPrompt = String(relay.requests.at(-1)!.messages.at(-1)!.content);
      expect(lastPrompt).toContain('This is persona 3 of 3.');
      expect(lastPrompt).toContain(`Names already taken: ${report.content.personas.slice(0, 2).map((p) => p.name).join('; ')}`);
    } finally {
      await relay.close();
    }
  });

  it('a retried attempt after one that went part by part asks the parts at once, reusing the answers stored', async () => {
    const { seeded, insightIds, relay, relayed } = await behindOutputLimit();
    try {
      // The endpoint fails the third persona's request: the first attempt ends there.
      relay.state.failWhen = (body) => body.includes('This is persona 3 of 3.');
      const run = (n: number) => quietActivityEnvironment({ attempt: n, activityId: 'synthesis-split' }).run(relayed.generateReport, { analysisId: seeded.analysisId, version: 1, insightIds }) as Promise<string>;
      await expect(run(1)).rejects.toMatchObject({ type: 'AiUnavailable' });
      const before = relay.requests.length;
      relay.state.failWhen = undefined;
      const reportId = await run(2);
      // Only the third persona was asked: no whole answer again, the others' answers reused.
      const asked = relay.requests.slice(before).map((r) => String(r.messages.at(-1)!.content));
      expect(asked).toHaveLength(1);
      expect(asked[0]).toContain('This is persona 3 of 3.');
      expect((await reportsRepository.byId(db, reportId))!.content.personas).toHaveLength(3);
    } finally {
      await relay.close();
    }
  });

  it('writes in the requested language and keeps the instructions', async () => {
    const seeded = await seedAnalysis(db, { site: GERMAN_SITE, language: 'de', personaCount: 2 });
    const insightIds = await analyzeAll(seeded.analysisId, 2);
    const reportId = await generate({ analysisId: seeded.analysisId, version: 2, insightIds, instructions: 'Mehr über Bauherren' });
    const report = (await reportsRepository.byId(db, reportId))!;
    expect(report.content).toMatchObject({ language: 'de', version: 2, instructions: 'Mehr über Bauherren' });
    expect(report.instructions).toBe('Mehr über Bauherren');
  });

  it('fills every piece of evidence from the stored passages: verbatim on the cleaned page it names', async () => {
    const { reportId, pages } = await draftReport({ personaCount: 2 });
    const report = (await reportsRepository.byId(db, reportId))!;
    const refs = [...report.content.offering!.evidence, ...report.content.personas.flatMap((p) => [...p.evidence, ...p.goals.flatMap((g) => g.evidence)])];
    expect(refs.length).toBeGreaterThan(0);
    for (const r of refs) {
      const page = pages.find((p) => p.url === r.url);
      expect(page, r.url).toBeDefined();
      expect(page!.text).toContain(r.quote);
      expect(r.passageId).toMatch(/^p\d+\.\d+$/);
    }
  });

  it('rewrites only the personas for sections ["personas"], carrying summary and offering over from the latest finished report', async () => {
    const { analysisId, insightIds, reportId } = await draftReport({ personaCount: 2 });
    await check(reportId);
    const v1 = (await reportsRepository.byId(db, reportId))!;
    await reportsRepository.finalize(db, reportId, v1.content);
    const v2Id = await generate({ analysisId, version: 2, insightIds, sections: ['personas'], instructions: 'Other people please' });
    const v2 = (await reportsRepository.byId(db, v2Id))!;
    expect(v2.content.summary).toBe(v1.content.summary);
    expect(v2.content.offering).toEqual(v1.content.offering);
    expect(v2.content.basedOn).toEqual({ version: 1, carriedOver: ['summary', 'offering'] });
    expect(v2.insightIds).toEqual(insightIds);
    // The synthesis was asked for personas only.
    const asked = JSON.stringify(ai.lastRequest()!.response_format);
    expect(asked).toContain('"personas"');
    expect(asked).not.toContain('"offering"');
  });

  it('with check: returns the check of the stored report, and records quality_check after report_generation', async () => {
    const seeded = await seedAnalysis(db, { personaCount: 2 });
    const insightIds = await analyzeAll(seeded.analysisId);
    const { reportId, quality } = await generateChecked({ analysisId: seeded.analysisId, version: 1, insightIds });

    const report = (await reportsRepository.byId(db, reportId))!;
    expect(quality).toMatchObject({ passed: true, issues: [] });
    expect(report).toMatchObject({ analysisId: seeded.analysisId, version: 1, status: 'passed', quality });
    expect(await stepRows(seeded.analysisId)).toEqual({
      report_generation: { state: 'completed', attempts: 1 },
      quality_check: { state: 'completed', attempts: 1 },
    });
    // As when quality_check was an activity of its own: a step begins, then the one before it is marked done.
    expect(await stepEvents(seeded.analysisId)).toEqual([
      'step_running:report_generation',
      'step_running:quality_check',
      'step_completed:report_generation',
      'step_completed:quality_check',
    ]);
    // Without the flag (runs recorded before it existed) it returns the ID alone and checks nothing.
    const again = await generate({ analysisId: seeded.analysisId, version: 2, insightIds });
    expect(typeof again).toBe('string');
    expect((await reportsRepository.byId(db, again))!).toMatchObject({ status: 'draft', quality: null });
  });

  it('with check: a failing check leaves quality_check running for the repairs that follow', async () => {
    const seeded = await seedAnalysis(db, { personaCount: 1 });
    const insightIds = await analyzeAll(seeded.analysisId);
    // The synthesis answers with a placeholder summary: the check fails it.
    const relay = await relayTo(ai.baseUrl);
    try {
      relay.state.placeholderSummary = true;
      const relayed = createReportActivities(standInActivityDeps(db, relay.baseUrl));
      const { reportId, quality } = await generateChecked({ analysisId: seeded.analysisId, version: 1, insightIds }, relayed);
      expect(quality.passed).toBe(false);
      expect(failingParts(quality.issues)).toEqual([{ kind: 'summary' }]);
      expect((await reportsRepository.byId(db, reportId))!.status).toBe('degraded');
      expect(await stepRows(seeded.analysisId)).toEqual({
        report_generation: { state: 'completed', attempts: 1 },
        quality_check: { state: 'running', attempts: 1 },
      });

      const repaired = await repairChecked({ reportId, issues: quality.issues, insightIds });
      expect(repaired).toMatchObject({ passed: true, issues: [] });
      expect((await reportsRepository.byId(db, reportId))!).toMatchObject({ status: 'passed', quality: repaired });
      expect((await stepRows(seeded.analysisId)).quality_check).toEqual({ state: 'completed', attempts: 1 });
      // quality_check ran from the end of generateReport through the repair, which completed it.
      expect(await stepEvents(seeded.analysisId)).toEqual([
        'step_running:report_generation',
        'step_running:quality_check',
        'step_completed:report_generation',
        'step_completed:quality_check',
      ]);
    } finally {
      await relay.close();
    }
  });

  it('is idempotent for a version: a retried attempt replaces the draft', async () => {
    const { analysisId, insightIds, reportId } = await draftReport({ personaCount: 2 });
    const again = await generate({ analysisId, version: 1, insightIds });
    expect(again).toBe(reportId);
    const rows = await db.selectFrom('reports').select('id').where('analysis_id', '=', analysisId).execute();
    expect(rows).toHaveLength(1);
  });

  it('fails retryably on a 500 and non-retryably on a 401', async () => {
    const seeded = await seedAnalysis(db, { personaCount: 1 });
    const insightIds = await analyzeAll(seeded.analysisId);
    ai.failNext(1, 500);
    const outage = await generate({ analysisId: seeded.analysisId, version: 1, insightIds }).catch((e: unknown) => e);
    expect(outage).toBeInstanceOf(ApplicationFailure);
    expect((outage as ApplicationFailure).nonRetryable).toBe(false);
    ai.failNext(1, 401);
    const misconfigured = await generate({ analysisId: seeded.analysisId, version: 1, insightIds }).catch((e: unknown) => e);
    expect(misconfigured).toMatchObject({ type: 'AiNotConfigured', nonRetryable: true });
  });

  it('refuses to build a report from a missing insight', async () => {
    const { analysisId, insightIds } = await draftReport({ personaCount: 1 });
    const err = await generate({ analysisId, version: 1, insightIds: { ...insightIds, offering: crypto.randomUUID() } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ nonRetryable: true, type: 'InsightMissing' });
  });

  it('refuses an insight of another analysis', async () => {
    const { analysisId, insightIds } = await draftReport({ personaCount: 1 });
    const other = await draftReport({ personaCount: 1 });
    const err = await generate({ analysisId, version: 1, insightIds: { ...insightIds, offering: other.insightIds.offering } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ nonRetryable: true, type: 'InsightMissing' });
  });
});

describe('checkQuality and repairReport', () => {
  it('passes a stand-in report and records the result', async () => {
    const { analysisId, reportId } = await draftReport();
    const result = await check(reportId);
    expect(result).toMatchObject({ passed: true, issues: [] });
    const report = (await reportsRepository.byId(db, reportId))!;
    expect(report.status).toBe('passed');
    expect(report.quality).toEqual(result);
    const step = await db
      .selectFrom('analysis_steps')
      .selectAll()
      .where('analysis_id', '=', analysisId)
      .where('step', '=', 'quality_check')
      .executeTakeFirstOrThrow();
    expect(step.attempts).toBe(1);
  });

  it('fails a fabricated quote on its persona, and a repair of that persona only fixes it', async () => {
    const { analysisId, reportId, insightIds } = await draftReport({ personaCount: 3 });
    const original = (await reportsRepository.byId(db, reportId))!.content;
    const tampered = structuredClone(original);
    tampered.personas[1]!.evidence[0]!.quote = 'Our customers report a 300 percent return within the first month.';
    await reportsRepository.updateContent(db, reportId, tampered);

    const failed = await check(reportId);
    expect(failed.passed).toBe(false);
    expect(failed.issues).toEqual([expect.objectContaining({ part: { kind: 'persona', index: 1 }, rule: 'evidence_not_found' })]);
    expect((await reportsRepository.byId(db, reportId))!.status).toBe('degraded');

    await repair({ reportId, issues: failed.issues, insightIds });
    const prompt = String(ai.lastRequest()!.messages!.at(-1)!.content);
    expect(prompt).toContain('300 percent return');
    expect(prompt).toContain(`Names already taken: ${original.personas[0]!.name}; ${original.personas[2]!.name}`);

    const repaired = (await reportsRepository.byId(db, reportId))!;
    expect(repaired.status).toBe('draft');
    expect(repaired.content.personas[0]).toEqual(original.personas[0]);
    expect(repaired.content.personas[2]).toEqual(original.personas[2]);
    expect(repaired.content.personas[1]).not.toEqual(tampered.personas[1]);
    expect(await check(reportId)).toMatchObject({ passed: true, issues: [] });
    expect((await reportsRepository.byId(db, reportId))!.status).toBe('passed');

    const repairs = await db.selectFrom('ai_responses').select('kind').where('analysis_id', '=', analysisId).where('kind', 'like', 'repair:%').execute();
    expect(repairs.map((r) => r.kind)).toEqual(['repair:persona_2']);
  });

  /** A draft whose summary and offering hold placeholder text, checked: both parts fail. */
  async function reportWithPlaceholders() {
    const { reportId, insightIds } = await draftReport({ personaCount: 1 });
    const content = (await reportsRepository.byId(db, reportId))!.content;
    content.summary = 'TODO';
    content.offering!.products = ['TBD'];
    await reportsRepository.updateContent(db, reportId, content);
    const failed = await check(reportId);
    expect(failed.issues.map((i) => i.part.kind)).toEqual(['summary', 'offering']);
    return { reportId, insightIds, failed };
  }

  it('repairs placeholder text in the summary and offering', async () => {
    const { reportId, insightIds, failed } = await reportWithPlaceholders();
    await repair({ reportId, issues: failed.issues, insightIds });
    expect((await check(reportId)).passed).toBe(true);
  });

  it('repairs from the insights the workflow passes, not from newer rows of the same version', async () => {
    const { analysisId, reportId, insightIds } = await draftReport({ personaCount: 1 });
    const content = (await reportsRepository.byId(db, reportId))!.content;
    content.summary = 'TODO';
    await reportsRepository.updateContent(db, reportId, content);
    // A later (e.g. retried) insight call of the same version: "the latest offering" is now this row.
    const newer = await aiResponsesRepository.save(db, {
      analysisId,
      version: 1,
      kind: 'offering',
      attempt: 2,
      model: 'local-stand-in',
      standIn: true,
      rawOutput: '{}',
      parsed: { companyName: 'NEWER-ROW-MARKER' },
      promptTokens: 1,
      completionTokens: 1,
      totalTokens: 2,
      costUsd: 0,
    });
    const issues = (await check(reportId)).issues;

    await repair({ reportId, issues, insightIds });
    const notes = String(ai.lastRequest()!.messages!.at(-1)!.content);
    expect(notes).toContain('offering: {');
    expect(notes).not.toContain('NEWER-ROW-MARKER');

    await repair({ reportId, issues, insightIds: { ...insightIds, offering: newer } });
    expect(String(ai.lastRequest()!.messages!.at(-1)!.content)).toContain('NEWER-ROW-MARKER');
  });

  it('a retried repair asks only what still fails: a part an earlier attempt already got is not asked again', async () => {
    const { reportId, insightIds, failed } = await reportWithPlaceholders();

    // The endpoint fails the offering's repair in the first attempt, after the summary's was answered.
    const relay = await relayTo(ai.baseUrl);
    try {
      relay.failing = 'repair_offering';
      const relayed = createReportActivities(standInActivityDeps(db, relay.baseUrl));
      const attempt = (n: number) =>
        quietActivityEnvironment({ attempt: n, activityId: 'repair-round-1' }).run(relayed.repairReport, { reportId, issues: failed.issues, insightIds }) as Promise<void>;

      await expect(attempt(1)).rejects.toMatchObject({ type: 'AiUnavailable' });
      // Both parts are asked at once: in either order.
      expect([...relay.asked].sort()).toEqual(['repair_offering', 'repair_summary']);
      relay.failing = undefined;
      await attempt(2);
      expect(relay.asked.slice(2)).toEqual(['repair_offering']);
      expect((await check(reportId)).passed).toBe(true);

      // Its acknowledgement lost after it wrote the report: another attempt finds nothing failing and asks nothing.
      await attempt(3);
      expect(relay.asked).toHaveLength(3);
    } finally {
      await relay.close();
    }
  });

  /** A draft of three personas whose summary, offering and second persona all fail the check. */
  async function reportFailingThreeParts() {
    const { analysisId, reportId, insightIds } = await draftReport({ personaCount: 3 });
    const content = (await reportsRepository.byId(db, reportId))!.content;
    content.summary = 'TODO';
    content.offering!.products = ['TBD'];
    content.personas[1]!.evidence[0]!.quote = 'Our customers report a 300 percent return within the first month.';
    await reportsRepository.updateContent(db, reportId, content);
    const failed = await check(reportId);
    expect(failed.issues.map((i) => i.part)).toEqual([{ kind: 'summary' }, { kind: 'offering' }, { kind: 'persona', index: 1 }]);
    return { analysisId, reportId, insightIds, failed, content };
  }

  it('asks for every failing part at once: the endpoint holds each request until all three have arrived', async () => {
    const { reportId, insightIds, failed, content } = await reportFailingThreeParts();
    const relay = await relayTo(ai.baseUrl);
    try {
      relay.state.holdRepairs = 3;
      // Slots for all three: the worker's AI_MAX_CONCURRENCY is what limits the requests in flight.
      const relayed = createReportActivities(standInActivityDeps(db, relay.baseUrl, { AI_MAX_CONCURRENCY: 3 }));
      const quality = await repairChecked({ reportId, issues: failed.issues, insightIds }, relayed);

      // Every request began before any was answered: they were in flight together.
      const lastStart = Math.max(...relay.timeline.map((e, i) => (e.startsWith('start:') ? i : -1)));
      const firstEnd = relay.timeline.findIndex((e) => e.startsWith('end:'));
      expect(relay.timeline.filter((e) => e.startsWith('start:')).sort()).toEqual(['start:repair_offering', 'start:repair_persona', 'start:repair_summary']);
      expect(lastStart).toBeLessThan(firstEnd);
      expect(quality).toMatchObject({ passed: true, issues: [] });
      const repaired = (await reportsRepository.byId(db, reportId))!.content;
      expect(repaired.personas[0]).toEqual(content.personas[0]);
      expect(repaired.personas[2]).toEqual(content.personas[2]);
      expect(new Set(repaired.personas.map((p) => p.name)).size).toBe(3);
    } finally {
      await relay.close();
    }
  });

  it('keeps the repairs it got when the answers for one part stay unusable, and leaves that part as it was', async () => {
    const { reportId, insightIds, failed, content } = await reportFailingThreeParts();
    const relay = await relayTo(ai.baseUrl);
    try {
      relay.state.unusable = 'repair_offering';
      const relayed = createReportActivities(standInActivityDeps(db, relay.baseUrl));
      const attempt = (n: number) => repairChecked({ reportId, issues: failed.issues, insightIds }, relayed, quietActivityEnvironment({ attempt: n, activityId: 'repair-unusable' }));

      // Unusable in the first attempt: retried (the others' answers are stored, not applied yet).
      await expect(attempt(1)).rejects.toMatchObject({ type: 'InvalidModelOutput', nonRetryable: false });
      const asked = relay.asked.length;
      // Unusable for good in the second: the others' repairs, answered in the first, are kept.
      const quality = await attempt(2);
      expect(relay.asked.slice(asked).every((s) => s === 'repair_offering')).toBe(true);
      expect(quality.passed).toBe(false);
      expect(failingParts(quality.issues)).toEqual([{ kind: 'offering' }]);
      const repaired = (await reportsRepository.byId(db, reportId))!;
      expect(repaired.content.offering).toEqual(content.offering);
      expect(repaired.content.summary).not.toBe('TODO');
      expect(repaired).toMatchObject({ status: 'degraded', quality });
    } finally {
      await relay.close();
    }
  });

  it('fails a repair non-retryably when an insight it builds on is gone', async () => {
    const { reportId, insightIds } = await draftReport({ personaCount: 1 });
    const err = await repair({ reportId, issues: [], insightIds: { ...insightIds, goals_and_pains: crypto.randomUUID() } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ nonRetryable: true, type: 'InsightMissing' });
  });

  it('fails non-retryably for a report that does not exist', async () => {
    const { insightIds } = await draftReport({ personaCount: 1 });
    await expect(check(crypto.randomUUID())).rejects.toMatchObject({ type: 'ReportNotFound', nonRetryable: true });
    await expect(repair({ reportId: crypto.randomUUID(), issues: [], insightIds })).rejects.toMatchObject({ type: 'ReportNotFound', nonRetryable: true });
  });

  it('renders a stand-in report with a plain notice', async () => {
    const { reportId } = await draftReport({ personaCount: 2 });
    await check(reportId);
    const report = (await reportsRepository.byId(db, reportId))!;
    const meta = { version: report.version, status: report.status, quality: report.quality, createdAt: report.createdAt };
    expect(renderMarkdown(report.content, meta)).toContain('local stand-in, not a real AI model');
    expect(renderHtml(report.content, meta)).toContain('local stand-in, not a real AI model');
  });
});

/**
 * A relay in front of the AI stand-in that records which schema each request asked for (and each
 * request's body, `requests`), and when each request began and was answered (`timeline`, in
 * order: `start:<schema>`, `end:<schema>`). It answers 500 to requests for the schema named in
 * `failing` and to those `failWhen` holds true for, an answer that is no JSON at all to those
 * named in `unusable`, and with `holdRepairs` set to n holds every repair request until n of them
 * have arrived (or 20 s have passed, so a test of calls that never overlap fails, not hangs).
 * With `placeholderSummary` the synthesis's summary becomes "TODO", which the check fails. With
 * `maxChars`, an endpoint's output limit: a longer answer is cut off there, finish_reason
 * "length" (`cut` counts them, `lengths` records every answer's length).
 */
async function relayTo(target: string) {
  const asked: string[] = [];
  const timeline: string[] = [];
  const state: { failing?: string; failWhen?: (body: string) => boolean; unusable?: string; holdRepairs?: number; placeholderSummary?: boolean; maxChars?: number } = {};
  const lengths: number[] = [];
  const requests: { messages: { content: unknown }[] }[] = [];
  let cut = 0;
  let held: (() => void)[] = [];
  const holdRepair = (schema: string) =>
    new Promise<void>((resolve) => {
      if (!state.holdRepairs || !schema.startsWith('repair_')) return resolve();
      held.push(resolve);
      if (held.length >= state.holdRepairs) {
        for (const release of held.splice(0)) release();
      } else {
        setTimeout(resolve, 20_000).unref();
      }
    });
  const edited = (schema: string, text: string) => {
    if (state.maxChars !== undefined) {
      const completion = JSON.parse(text) as { choices: { message: { content: string }; finish_reason: string }[] };
      const choice = completion.choices[0]!;
      lengths.push(choice.message.content.length);
      if (choice.message.content.length > state.maxChars) {
        cut++;
        choice.message.content = choice.message.content.slice(0, state.maxChars);
        choice.finish_reason = 'length';
      }
      return JSON.stringify(completion);
    }
    if (!state.placeholderSummary || schema !== 'persona_report') return text;
    const completion = JSON.parse(text) as ReturnType<typeof completionOf>;
    const answer = JSON.parse(completion.choices[0]!.message.content) as { summary?: string };
    completion.choices[0]!.message.content = JSON.stringify({ ...answer, summary: 'TODO' });
    return JSON.stringify(completion);
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const schema = String((JSON.parse(body || '{}') as { response_format?: { json_schema?: { name?: string } } }).response_format?.json_schema?.name ?? 'none');
      asked.push(schema);
      requests.push(JSON.parse(body || '{}') as { messages: { content: unknown }[] });
      timeline.push(`start:${schema}`);
      res.on('finish', () => timeline.push(`end:${schema}`));
      if (schema === state.failing || state.failWhen?.(body)) {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'relay: failing on purpose', type: 'server_error' } }));
        return;
      }
      if (schema === state.unusable) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(completionOf('I would rather not answer in JSON today.')));
        return;
      }
      void holdRepair(schema)
        .then(() => fetch(`${target}${req.url!.replace(/^\/v1/, '')}`, { method: req.method, headers: { 'content-type': 'application/json' }, body }))
        .then(
          async (r) => res.writeHead(r.status, { 'content-type': 'application/json' }).end(edited(schema, await r.text())),
          () => res.writeHead(502).end(),
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    asked,
    timeline,
    state,
    lengths,
    requests,
    get cut() {
      return cut;
    },
    get failing() {
      return state.failing;
    },
    set failing(v: string | undefined) {
      state.failing = v;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const release of held.splice(0)) release();
        held = [];
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A chat completion as an OpenAI-compatible endpoint answers it, with `content` as the answer. */
function completionOf(content: string) {
  return {
    id: `chatcmpl-relay-${crypto.randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: 'local-stand-in',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
  };
}
