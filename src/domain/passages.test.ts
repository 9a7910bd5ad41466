import { describe, expect, it } from 'vitest';
import { foldForMatching, locateQuote, locateQuotePieces, splitPassages, type LocatablePassage } from './passages.js';
import { cleanPage } from './clean-page.js';
import { readFixture } from '../../test/support/fixtures.js';

describe('splitPassages', () => {
  it('cuts a page into numbered verbatim slices: short blocks join the next, long blocks split between sentences', () => {
    const long = Array.from({ length: 12 }, (_, i) => `Sentence number ${i + 1} says something about invoices and clients.`).join(' ');
    const text = `Pricing\nThe Solo plan costs 9 euros per month.\n${long}\nContact`;
    const passages = splitPassages(text, 3, 'en');
    expect(passages.map((p) => p.id)).toEqual(passages.map((_, i) => `p3.${i + 1}`));
    // The heading joined its paragraph.
    expect(passages[0]!.text).toBe('Pricing\nThe Solo plan costs 9 euros per month.');
    for (const p of passages) {
      expect(text.includes(p.text)).toBe(true);
      expect(p.text.length).toBeLessThanOrEqual(400);
    }
    expect(passages.length).toBeGreaterThan(3);
  });

  it('is deterministic and keeps every passage a substring on a real saved page', () => {
    const page = cleanPage(readFixture('caktusgroup.com.django.html'), 'https://www.caktusgroup.com/');
    const a = splitPassages(page.text, 1, 'en');
    expect(a).toEqual(splitPassages(page.text, 1, 'en'));
    expect(a.length).toBeGreaterThan(10);
    for (const p of a) expect(page.text.includes(p.text)).toBe(true);
  });

  it("cuts a long block between sentences, not after an abbreviation (a saved German page, in the site's language)", () => {
    const page = cleanPage(readFixture('viehbacher.com.steuerrecht.html'), 'https://www.viehbacher.com/de/steuerrecht');
    const passages = splitPassages(page.text, 1, 'de');
    // A cut at every full stop ended one passage on "Rechtsanwalts bzw." and began the next with "Steuerberaters und ...".
    expect(passages.some((p) => p.text.includes('jedes einzelnen Rechtsanwalts bzw. Steuerberaters und die Verfügbarkeit'))).toBe(true);
    for (const p of passages) expect(p.text).not.toMatch(/(?:\bbzw|\bsog|\bz\. B|\bvgl)\.$/u);
  });
});

const passages: LocatablePassage[] = [
  { id: 'p1.1', url: 'https://acme.test/', text: 'Acme Invoicing helps freelancers send professional invoices in under a minute.' },
  { id: 'p2.1', url: 'https://acme.test/pricing', text: "The Solo plan costs 9 euros per month — it's all you need." },
];

describe('locateQuote', () => {
  it('finds a quote despite case, curly quotes, dashes, ellipses and whitespace', () => {
    expect(foldForMatching('  “It’s  ALL” – you…  ')).toBe(`it's all" - you`);
    expect(locateQuote('the solo plan costs 9 euros per month - it’s all you need', passages)?.id).toBe('p2.1');
    expect(locateQuote('“Acme Invoicing helps freelancers send professional invoices…”', passages)?.id).toBe('p1.1');
  });

  it('finds a quote across a heading and its paragraph as the prompt shows it, and one with a slash of its own', () => {
    const withHeading: LocatablePassage[] = [
      { id: 'p3.1', url: 'https://acme.test/about', text: 'About Acme\nWe started Acme after years of chasing late payments.' },
      { id: 'p3.2', url: 'https://acme.test/about', text: 'Runs on Mac / Windows and in any browser.' },
    ];
    expect(locateQuote('About Acme / We started Acme after years', withHeading)?.id).toBe('p3.1');
    expect(locateQuote('Runs on Mac / Windows and in any browser', withHeading)?.id).toBe('p3.2');
  });

  it('finds a quote cited to the wrong page on its real page', () => {
    expect(locateQuote('helps freelancers send professional invoices', passages, (u) => u.endsWith('/pricing'))?.url).toBe('https://acme.test/');
  });

  it('finds nothing for a paraphrase, an invention or a fragment too short to mean anything', () => {
    expect(locateQuote('Acme lets freelancers bill clients quickly.', passages)).toBeUndefined();
    expect(locateQuote('Acme', passages)).toBeUndefined();
  });

  it('splits a merged quote into its pieces, and refuses one with an invented piece', () => {
    const merged = 'Acme Invoicing helps freelancers send professional invoices ... The Solo plan costs 9 euros per month';
    expect(locateQuotePieces(merged, passages).found.map((p) => p.id)).toEqual(['p1.1', 'p2.1']);
    const half = 'Acme Invoicing helps freelancers send professional invoices ... Every customer loves us more than anything';
    expect(locateQuotePieces(half, passages).found).toEqual([]);
  });
});
