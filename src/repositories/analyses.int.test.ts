import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { insertAnalysisRow } from '../../test/support/seed-analysis.js';
import { withPassages, type CleanPage } from '../domain/corpus.js';
import { corpusSummary, outlineOf } from '../domain/corpus-summary.js';
import { fitTokenBudget } from '../domain/token-budget.js';
import { createDatabase, type Db } from '../database.js';
import { analysesRepository } from './analyses.js';

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

  it('has no outline before content processing, and reads corpora stored before budgeting by value', async () => {
    const id = await insertAnalysisRow(db, 'a.com', {});
    expect((await analysesRepository.statusById(db, id))!.corpus_outline).toBeNull();
    const old = { language: 'en', tokenEstimate: 3, pages: [{ contentId: '1', url: 'https://a.com/', title: '', text: 'Hello world.' }] };
    await db.updateTable('analyses').set({ corpus: JSON.stringify(old) }).where('id', '=', id).execute();
    expect((await analysesRepository.statusById(db, id))!.corpus_outline).toEqual(outlineOf(old));
  });
});
