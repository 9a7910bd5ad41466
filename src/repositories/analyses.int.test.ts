import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { insertAnalysisRow } from '../../test/support/seed-analysis.js';
import { withPassages, type CleanPage } from '../domain/corpus.js';
import { corpusSummary, outlineOf } from '../domain/corpus-summary.js';
import { fitTokenBudget } from '../domain/token-budget.js';
import { createDatabase, type Db } from '../database.js';
import { aiResponsesRepository } from './ai-responses.js';
import { analysesRepository } from './analyses.js';
import { analysisContentRepository } from './analysis-content.js';
import { notificationsRepository } from './notifications.js';
import { stepsRepository } from './steps.js';

let db: Db;

beforeAll(() => {
  db = createDatabase(inject('databaseUrl'), 2);
});

afterAll(async () => {
  await db?.destroy();
});

const page = (url: string, text: string): { contentId: string; url: string; page: CleanPage } => ({
  contentId: url,
  url,
  page: { url, title: '', description: '', headings: ['Pricing'], text, jsonLd: [], language: 'en' },
});

describe('analysesRepository.statusById', () => {
  it('gives the stored corpus as the outline a loaded corpus has, without its texts', async () => {
    const legal = Array.from({ length: 300 }, (_, i) => `Clause ${i}: the customer agrees to term number ${i}.`).join('\n');
    const corpus = withPassages(fitTokenBudget([page('https://a.com/terms', legal), page('https://a.com/', 'Acme makes invoicing simple.'), page('https://a.com/empty', '')], 2_000));
    const id = await insertAnalysisRow(db, 'a.com', { maxPages: 3 });
    await db.updateTable('analyses').set({ corpus: JSON.stringify(corpus) }).where('id', '=', id).execute();

    const row = (await analysesRepository.statusById(db, id))!;
    expect(row.corpus_outline).toEqual(outlineOf(corpus));
    expect(corpusSummary(row.corpus_outline)).toEqual(corpusSummary(outlineOf(corpus)));
    expect(JSON.stringify(row)).not.toContain('Clause 1:');
    expect(row).not.toHaveProperty('corpus');
    expect(row.url).toBe((await analysesRepository.byId(db, id))!.url);
  });

  it('reads the outline stored with the corpus when content processing wrote it, not one projected again', async () => {
    const corpus = withPassages(fitTokenBudget([page('https://a.com/', 'Acme makes invoicing simple.'), page('https://a.com/pricing', 'Plans from 9 euros.')], 2_000));
    const id = await insertAnalysisRow(db, 'a.com', { maxPages: 2 });
    await analysisContentRepository.setCorpus(db, id, corpus, 'en');
    expect((await analysesRepository.statusById(db, id))!.corpus_outline).toEqual(outlineOf(corpus));
    // The stored column is what is read: a different outline stored there is what comes back.
    const stored = { ...outlineOf(corpus)!, tokenEstimate: 12345 };
    await db.updateTable('analyses').set({ corpus_outline: JSON.stringify(stored) }).where('id', '=', id).execute();
    expect((await analysesRepository.statusById(db, id))!.corpus_outline).toEqual(stored);
  });

  it('has no outline before content processing, and reads corpora stored before budgeting by value', async () => {
    const id = await insertAnalysisRow(db, 'a.com', {});
    expect((await analysesRepository.statusById(db, id))!.corpus_outline).toBeNull();
    const old = { language: 'en', tokenEstimate: 3, pages: [{ contentId: '1', url: 'https://a.com/', title: '', text: 'Hello world.' }] };
    await db.updateTable('analyses').set({ corpus: JSON.stringify(old) }).where('id', '=', id).execute();
    expect((await analysesRepository.statusById(db, id))!.corpus_outline).toEqual(outlineOf(old));
  });

  it('nests the steps, usage and notifications as their own repositories read them, timestamps and sums intact', async () => {
    const id = await insertAnalysisRow(db, 'a.com', {});
    const started = new Date('2026-11-30T10:00:00.123Z');
    const finished = new Date('2026-11-30T10:00:01.456Z');
    await db
      .insertInto('analysis_steps')
      .values([
        { analysis_id: id, version: 1, step: 'validation', state: 'completed', attempts: 1, started_at: started, finished_at: finished },
        { analysis_id: id, version: 2, step: 'ai_analysis', state: 'failed', attempts: 3, last_error: 'The AI endpoint refused the key.', started_at: started, finished_at: null },
        { analysis_id: id, version: 1, step: 'ai_analysis', state: 'running', attempts: 2, started_at: null, finished_at: null },
      ])
      .execute();
    const answer = { analysis_id: id, version: 1, kind: 'offering', attempt: 1, model: 'm', stand_in: true, raw_output: '{}', parsed: null, total_tokens: 0 };
    await db
      .insertInto('ai_responses')
      .values([
        { ...answer, prompt_tokens: 1200, cached_tokens: 1024, completion_tokens: 80, cost_usd: 0.000151 },
        { ...answer, prompt_tokens: 7, completion_tokens: 2, cost_usd: 0.0000005 },
      ])
      .execute();
    await db
      .insertInto('notifications')
      .values([
        { analysis_id: id, version: 1, channel: 'webhook', event: 'analysis.version_completed', target: 'https://hooks.example/x', payload: JSON.stringify({}), state: 'delivered', attempts: 2, delivered_at: finished },
        { analysis_id: id, version: 1, channel: 'email', event: 'analysis.version_completed', target: 'a@b.example', payload: JSON.stringify({}), last_error: 'mailbox full' },
      ])
      .execute();

    const row = (await analysesRepository.statusById(db, id))!;
    const steps = (await stepsRepository.list(db, id)).map(({ step, version, state, attempts, last_error, started_at, finished_at }) => ({ step, version, state, attempts, last_error, started_at, finished_at }));
    expect(row.steps).toEqual(steps);
    expect(row.steps[0]!.started_at).toEqual(started);
    expect(row.usage).toEqual(await aiResponsesRepository.usage(db, id));
    expect(row.usage).toMatchObject({ calls: 2, inputTokens: 1207, cachedTokens: 1024, outputTokens: 82, costUsd: 0.000152 });
    expect(row.notifications).toEqual(await notificationsRepository.list(db, id));
    expect(row.notifications.find((n) => n.channel === 'webhook')!.deliveredAt).toBe(finished.toISOString());

    // One unpriced call makes the cost unknown, nested as read alone.
    await db.insertInto('ai_responses').values({ ...answer, prompt_tokens: 1, completion_tokens: 1, cost_usd: null }).execute();
    expect((await analysesRepository.statusById(db, id))!.usage.costUsd).toBe('unknown');
  });

  it('reads an analysis with no steps, calls or notifications as empty, not null', async () => {
    const id = await insertAnalysisRow(db, 'a.com', {});
    const row = (await analysesRepository.statusById(db, id))!;
    expect(row.steps).toEqual([]);
    expect(row.notifications).toEqual([]);
    expect(row.usage).toEqual({ calls: 0, inputTokens: 0, cachedTokens: 0, outputTokens: 0, costUsd: 0, pricedCostUsd: 0 });
  });
});
