import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Db } from '../database.js';
import { sampleReport } from '../../test/support/sample-report.js';
import type { ReportContent } from '../domain/report.js';
import { aiResponsesRepository, type NewAiResponse } from './ai-responses.js';
import { reportsRepository } from './reports.js';
import { insertAnalysisRow } from '../../test/support/seed-analysis.js';

let db: Db;

beforeAll(async () => {
  const databaseUrl = inject('databaseUrl');
  db = createDatabase(databaseUrl, 2);
});

afterAll(async () => {
  await db?.destroy();
});

const analysis = () => insertAnalysisRow(db, 'acme.test', { personaCount: 1 });

function content(version: number, summary = 'Acme sells bridges.'): ReportContent {
  return sampleReport({ summary, personas: [], version });
}

const insightIds = { offering: crypto.randomUUID() };
const QUALITY = { droppedEvidence: {}, claims: { total: 0, withEvidence: 0, share: null }, fields: { checked: 0, rejected: 0 } };

describe('reportsRepository', () => {
  it('shows a report only once it is finalized, and finalizes exactly once', async () => {
    const analysisId = await analysis();
    const id = await reportsRepository.create(db, { analysisId, version: 1, content: content(1), insightIds });
    expect(await reportsRepository.latest(db, analysisId)).toBeUndefined();
    expect(await reportsRepository.byVersion(db, analysisId, 1)).toBeUndefined();
    expect(await reportsRepository.byVersion(db, analysisId, 1, { includeUnfinished: true })).toMatchObject({ id, status: 'draft' });

    await reportsRepository.setQuality(db, id, 'degraded', { passed: false, issues: [{ part: { kind: 'summary' }, rule: 'placeholder', message: 'x' }], ...QUALITY });
    expect(await reportsRepository.latest(db, analysisId)).toBeUndefined();

    expect(await reportsRepository.finalize(db, id, content(1))).toBe(true);
    expect(await reportsRepository.finalize(db, id, content(1, 'late retry'))).toBe(false);
    const latest = await reportsRepository.latest(db, analysisId);
    expect(latest).toMatchObject({ id, version: 1, status: 'degraded', quality: { passed: false }, content: { summary: 'Acme sells bridges.' } });
    expect(latest!.finalizedAt).toBeInstanceOf(Date);

    // A finalized report is immutable, even for a late retry of the generate activity.
    expect(await reportsRepository.create(db, { analysisId, version: 1, content: content(1, 'changed'), insightIds })).toBe(id);
    await reportsRepository.updateContent(db, id, content(1, 'changed'));
    expect((await reportsRepository.byId(db, id))!.content.summary).toBe('Acme sells bridges.');

    // v2 stays hidden until it too is finalized.
    const v2 = await reportsRepository.create(db, { analysisId, version: 2, content: content(2), instructions: 'More detail', insightIds });
    expect((await reportsRepository.latest(db, analysisId))!.version).toBe(1);
    await reportsRepository.setQuality(db, v2, 'passed', { passed: true, issues: [], ...QUALITY });
    await reportsRepository.finalize(db, v2, content(2));
    expect(await reportsRepository.latest(db, analysisId)).toMatchObject({ version: 2, status: 'passed', instructions: 'More detail' });
    expect((await reportsRepository.listVersions(db, analysisId)).map((v) => [v.version, v.status])).toEqual([
      [1, 'degraded'],
      [2, 'passed'],
    ]);
  });

  it('replaces the draft when create is retried', async () => {
    const analysisId = await analysis();
    const id = await reportsRepository.create(db, { analysisId, version: 1, content: content(1, 'first'), insightIds });
    await reportsRepository.setQuality(db, id, 'passed', { passed: true, issues: [], ...QUALITY });
    expect(await reportsRepository.create(db, { analysisId, version: 1, content: content(1, 'second'), insightIds })).toBe(id);
    const report = await reportsRepository.byId(db, id);
    expect(report).toMatchObject({ status: 'draft', quality: null, content: { summary: 'second' } });
  });
});

describe('aiResponsesRepository', () => {
  it('finds the newest parsed response per insight kind', async () => {
    const analysisId = await analysis();
    const base: Omit<NewAiResponse, 'kind' | 'version' | 'parsed'> = {
      analysisId,
      attempt: 1,
      model: 'gpt-4o-mini',
      standIn: false,
      rawOutput: '{}',
      promptTokens: 10,
      completionTokens: 5,
      totalTokens: 15,
      costUsd: 0.000123,
    };
    const offeringV1 = await aiResponsesRepository.save(db, { ...base, kind: 'offering', version: 1, parsed: {} });
    const segmentsV1 = await aiResponsesRepository.save(db, { ...base, kind: 'audience_segments', version: 1, parsed: {} });
    const offeringV2 = await aiResponsesRepository.save(db, { ...base, kind: 'offering', version: 2, parsed: {} });
    await aiResponsesRepository.save(db, { ...base, kind: 'audience_segments', version: 2, parsed: null });
    await aiResponsesRepository.save(db, { ...base, kind: 'personas', version: 2, parsed: {} });

    expect(await aiResponsesRepository.latestByKind(db, analysisId)).toEqual({ offering: offeringV2, audience_segments: segmentsV1 });
    expect(await aiResponsesRepository.latestByKind(db, analysisId, 1)).toEqual({ offering: offeringV1, audience_segments: segmentsV1 });
    const rows = await aiResponsesRepository.byIds(db, [offeringV1]);
    expect(rows[0]).toMatchObject({ cost_usd: '0.000123', total_tokens: 15 });
    expect(await aiResponsesRepository.byIds(db, [])).toEqual([]);
  });
});
