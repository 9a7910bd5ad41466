import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cleanPage } from './clean-page.js';
import { cutAtBoundary, estimateTokens, fitTokenBudget, type BudgetPage } from './token-budget.js';
import type { CleanPage } from './corpus.js';
import { FIXTURES_DIR, readFixture } from '../../test/support/fixtures.js';

const fixture = readFixture;
const clean = (name: string) => cleanPage(fixture(name), `https://${name.replace(/\.html$/, '')}/`);


describe('cutAtBoundary', () => {
  const text = 'First sentence here. Second sentence is longer than that! Third one?';

  it('returns short text unchanged', () => {
    expect(cutAtBoundary(text, 1000)).toBe(text);
  });

  it('cuts after the last sentence end that fits', () => {
    expect(cutAtBoundary(text, 60)).toBe('First sentence here. Second sentence is longer than that!');
    expect(cutAtBoundary('Line one\nLine two continues', 15)).toBe('Line one');
  });

  it('falls back to a word end, then to a hard cut', () => {
    expect(cutAtBoundary('alpha beta gamma delta epsilon', 17)).toBe('alpha beta gamma');
    expect(cutAtBoundary('x'.repeat(50), 10)).toBe('x'.repeat(10));
    expect(cutAtBoundary('😀😀😀', 3)).toBe('😀');
  });
});

describe('fitTokenBudget', () => {
  const cleaned = (url: string, text: string, language = 'en'): BudgetPage => {
    const page: CleanPage = { url, title: `Title of ${url}`, description: '', headings: [], text, jsonLd: [], language };
    return { contentId: url.replace(/\W/g, ''), url, page };
  };
  const sentence = (n: number) => `This is sentence number ${n} about the product. `;
  const prose = (sentences: number) => Array.from({ length: sentences }, (_, i) => sentence(i)).join('').trim();

  it('keeps everything when it fits, home page first', () => {
    const corpus = fitTokenBudget([cleaned('https://a.com/about', 'About us.'), cleaned('https://a.com/', 'Home.')], 1000);
    expect(corpus.pages.map((p) => p.url)).toEqual(['https://a.com/', 'https://a.com/about']);
    expect(corpus.pages.map((p) => p.text)).toEqual(['Home.', 'About us.']);
    expect(corpus.tokenEstimate).toBe(estimateTokens('Home.') + estimateTokens('About us.'));
    expect(corpus.language).toBe('en');
  });

  it('gives short pages all they need and splits the rest fairly, within the budget', () => {
    const pages = [cleaned('https://a.com/', prose(400)), cleaned('https://a.com/short', prose(5)), cleaned('https://a.com/long', prose(400))];
    const corpus = fitTokenBudget(pages, 2000);
    expect(corpus.tokenEstimate).toBeLessThanOrEqual(2000);
    expect(corpus.tokenEstimate).toBeGreaterThan(1900);
    const [home, short, long] = corpus.pages;
    expect(short!.text).toBe(prose(5));
    expect(Math.abs(home!.text.length - long!.text.length)).toBeLessThan(100);
    for (const p of corpus.pages) {
      const source = pages.find((s) => s.url === p.url)!.page.text;
      expect(source.startsWith(p.text)).toBe(true); // quotes from the corpus are verbatim in the cleaned text
      expect(p.text).toMatch(/\.$/); // cut at a sentence end
    }
  });

  it('works on real pages: each corpus text is a prefix of its cleaned page', () => {
    const names = fs.readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.html'));
    const pages = names.map((name, i) => ({ contentId: String(i), url: `https://${name}/`, page: clean(name) }));
    const corpus = fitTokenBudget(pages, 3000);
    expect(corpus.tokenEstimate).toBeLessThanOrEqual(3000);
    expect(corpus.pages).toHaveLength(names.length);
    for (const p of corpus.pages) {
      expect(pages.find((s) => s.contentId === p.contentId)!.page.text.startsWith(p.text)).toBe(true);
    }
    expect(['en', 'de']).toContain(corpus.language);
  });

  it('leaves out the last pages rather than keeping useless slivers, and skips empty pages', () => {
    const pages = Array.from({ length: 10 }, (_, i) => cleaned(`https://a.com/p${i}`, prose(50)));
    const corpus = fitTokenBudget([cleaned('https://a.com/empty', ''), ...pages], 300);
    expect(corpus.pages.map((p) => p.url)).toEqual(['https://a.com/p0', 'https://a.com/p1', 'https://a.com/p2']);
    expect(fitTokenBudget([], 1000)).toEqual({ language: 'und', tokenEstimate: 0, pages: [] });
  });

  it('names the language most of the text is in', () => {
    const corpus = fitTokenBudget([cleaned('https://a.com/', prose(3), 'en'), cleaned('https://a.com/de', prose(30), 'de')], 10_000);
    expect(corpus.language).toBe('de');
  });
});
