import { describe, expect, it } from 'vitest';
import { withPassages, type CleanPage } from './corpus.js';
import { fitTokenBudget } from './token-budget.js';
import { corpusSummary, outlineOf } from './corpus-summary.js';

const page = (url: string, text: string): { contentId: string; url: string; page: CleanPage } => ({
  contentId: url,
  url,
  page: { url, title: '', description: '', headings: [], text, jsonLd: [], language: 'en' },
});

describe('corpusSummary', () => {
  it('says per page how much of it was sent, pages left out last with why', () => {
    const legal = Array.from({ length: 400 }, (_, i) => `Clause ${i}: the customer agrees to term number ${i} of this agreement.`).join('\n');
    const corpus = withPassages(
      fitTokenBudget([page('https://a.com/terms', legal), page('https://a.com/', 'Acme makes invoicing simple.'), page('https://a.com/empty', '')], 2_000),
    );
    const { corpus: summary } = corpusSummary(outlineOf(JSON.parse(JSON.stringify(corpus))));
    expect(summary!.tokenEstimate).toBe(corpus.tokenEstimate);
    expect(summary!.pages[0]).toEqual({ url: 'https://a.com/', kind: 'home', chars: 28, sentChars: 28, share: 1 });
    const terms = summary!.pages[1]!;
    expect(terms).toMatchObject({ url: 'https://a.com/terms', kind: 'legal', chars: legal.length });
    expect(terms.sentChars).toBeGreaterThan(0);
    expect(terms.share).toBe(Math.round((terms.sentChars / legal.length) * 100) / 100);
    expect(summary!.pages[2]).toEqual({ url: 'https://a.com/empty', kind: 'other', chars: 0, sentChars: 0, share: 0, left: 'empty' });
  });

  it('reads corpora stored before budgeting by value, and nothing before processing', () => {
    expect(corpusSummary(outlineOf(null))).toEqual({});
    expect(corpusSummary(outlineOf({ language: 'en', tokenEstimate: 3, pages: [{ contentId: '1', url: 'https://a.com/', title: '', text: 'Hello world.' }] }))).toEqual({
      corpus: { tokenEstimate: 3, pages: [{ url: 'https://a.com/', kind: null, chars: 12, sentChars: 12, share: 1 }] },
    });
  });
});
