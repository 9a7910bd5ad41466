import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cleanPage } from './clean-page.js';
import { cutAtBoundary, estimateTokens, fitTokenBudget, GROUP_SEPARATOR, structuredFacts, type BudgetPage } from './token-budget.js';
import { withPassages, type CleanPage, type Corpus } from './corpus.js';
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

// ---- helpers -----------------------------------------------------------------------------------

const cleaned = (url: string, text: string, opts: Partial<CleanPage> = {}): BudgetPage => {
  const page: CleanPage = { url, title: `Title of ${url}`, description: '', headings: [], text, jsonLd: [], language: 'en', ...opts };
  return { contentId: url.replace(/\W/g, ''), url, page };
};
/** A page of sections: a heading, then paragraphs of distinct sentences, one block per line. */
function sectioned(name: string, sections: number, paragraphs: number, sentences = 4): { text: string; headings: string[] } {
  const headings: string[] = [];
  const lines: string[] = [];
  for (let s = 0; s < sections; s++) {
    const heading = `${name} section ${s} heading`;
    headings.push(heading);
    lines.push(heading);
    for (let p = 0; p < paragraphs; p++) {
      lines.push(Array.from({ length: sentences }, (_, i) => `The ${name} page says thing ${s}.${p}.${i} about the product in detail.`).join(' '));
    }
  }
  return { text: lines.join('\n'), headings };
}
const page = (url: string, name: string, sections: number, paragraphs: number, extra: Partial<CleanPage> = {}) => {
  const { text, headings } = sectioned(name, sections, paragraphs);
  return cleaned(url, text, { headings, ...extra });
};

/** Every line of a corpus page is a verbatim line of the cleaned page (or a sentence-bounded piece of a very long one). */
function expectVerbatimBlocks(corpus: Corpus, pages: readonly BudgetPage[]) {
  for (const p of corpus.pages) {
    const source = pages.find((s) => s.contentId === p.contentId)!.page.text;
    const sourceLines = source.split('\n');
    for (const run of p.text.split(GROUP_SEPARATOR)) expect(source.includes(run)).toBe(true);
    for (const line of p.text.split('\n').filter(Boolean)) {
      if (line.length <= 800) expect(sourceLines).toContain(line);
      else expect(sourceLines.some((l) => l.includes(line))).toBe(true);
    }
  }
  // Passages are cut per run: each is a substring of the cleaned page.
  for (const [i, p] of withPassages(corpus).pages.entries()) {
    const source = pages.find((s) => s.contentId === p.contentId)!.page.text;
    for (const passage of p.passages!) {
      expect(passage.id.startsWith(`p${i + 1}.`)).toBe(true);
      expect(source.includes(passage.text)).toBe(true);
    }
  }
}

// ---- the budget --------------------------------------------------------------------------------

describe('fitTokenBudget', () => {
  it('keeps everything when it fits, most telling pages first, and says how much of each page was sent', () => {
    const pages = [
      cleaned('https://a.com/blog/post', 'A blog post.'),
      cleaned('https://a.com/privacy', 'Privacy policy.'),
      cleaned('https://a.com/about', 'About us.'),
      cleaned('https://a.com/pricing', 'Plans from 9 euros.'),
      cleaned('https://a.com/', 'Home.'),
    ];
    const corpus = fitTokenBudget(pages, 1000);
    expect(corpus.pages.map((p) => [p.url, p.kind])).toEqual([
      ['https://a.com/', 'home'],
      ['https://a.com/about', 'about'],
      ['https://a.com/pricing', 'pricing'],
      ['https://a.com/blog/post', 'blog'],
      ['https://a.com/privacy', 'legal'],
    ]);
    expect(corpus.pages.map((p) => p.text)).toEqual(['Home.', 'About us.', 'Plans from 9 euros.', 'A blog post.', 'Privacy policy.']);
    for (const p of corpus.pages) expect([p.chars, p.sentChars]).toEqual([p.text.length, p.text.length]);
    expect(corpus.tokenEstimate).toBe(corpus.pages.reduce((n, p) => n + estimateTokens(p.text), 0));
    expect(corpus.language).toBe('en');
    expect(corpus.unsent).toBeUndefined();
  });

  it('does not let a long legal page crowd out pricing and the home page', () => {
    const legal = page('https://a.com/terms', 'legal', 40, 5); // ~50,000 characters
    const home = page('https://a.com/', 'home', 3, 3);
    const pricing = page('https://a.com/pricing', 'pricing', 4, 3);
    const pages = [legal, home, pricing];
    const corpus = fitTokenBudget(pages, 3000);
    expect(corpus.tokenEstimate).toBeLessThanOrEqual(3000);
    const byUrl = new Map(corpus.pages.map((p) => [p.url, p]));
    // Home and pricing fit whole; the legal page gets what is left, and only that.
    expect(byUrl.get('https://a.com/')!.text).toBe(home.page.text);
    expect(byUrl.get('https://a.com/pricing')!.text).toBe(pricing.page.text);
    const terms = byUrl.get('https://a.com/terms')!;
    expect(terms.sentChars!).toBeLessThan(12_000 - home.page.text.length - pricing.page.text.length);
    expect(terms.sentChars! / terms.chars!).toBeLessThan(0.15);
    expectVerbatimBlocks(corpus, pages);
  });

  it('with too little room for all, shares by value with diminishing returns: home and pricing get more than a legal page', () => {
    const pages = [page('https://a.com/terms', 'legal', 20, 4), page('https://a.com/', 'home', 20, 4), page('https://a.com/pricing', 'pricing', 20, 4), page('https://a.com/misc', 'misc', 20, 4)];
    const corpus = fitTokenBudget(pages, 2000);
    const sent = Object.fromEntries(corpus.pages.map((p) => [p.kind, p.sentChars!]));
    expect(corpus.tokenEstimate).toBeLessThanOrEqual(2000);
    expect(sent.home).toBeGreaterThan(sent.other!);
    expect(sent.pricing).toBeGreaterThan(sent.other!);
    expect(sent.other).toBeGreaterThan(sent.legal!);
    expect(sent.legal).toBeGreaterThan(0); // still its headings and lead
    expectVerbatimBlocks(corpus, pages);
  });

  it('keeps text repeated across pages once, on the most telling page, and drops it from the others', () => {
    const chrome = ['Home', 'Pricing', 'Blog', 'We use cookies to improve your experience. Accept all cookies to continue.', '© 2024 Acme Ltd. All rights reserved.', '1,234 happy customers'];
    const body = (name: string) => [`${name} heading`, `The ${name} page explains what Acme does for small agencies in plain words.`, `More about ${name}: details that only this page has to say.`];
    const urls = ['https://a.com/blog/x', 'https://a.com/', 'https://a.com/about', 'https://a.com/pricing'];
    const pages = urls.map((url, i) => cleaned(url, [...chrome, ...body(`page${i}`), ...chrome.slice(3)].join('\n'), { headings: [`page${i} heading`] }));
    const corpus = fitTokenBudget(pages, 10_000);
    const all = corpus.pages.flatMap((p) => p.text.split('\n').filter(Boolean));
    for (const line of chrome) expect(all.filter((l) => l === line)).toHaveLength(1);
    // Kept on the home page, which comes first.
    expect(corpus.pages[0]!.url).toBe('https://a.com/');
    for (const line of chrome) expect(corpus.pages[0]!.text.split('\n')).toContain(line);
    // Each page keeps its own text.
    for (const [i] of urls.entries()) expect(all).toContain(`page${i} heading`);
    // Same line, different case or spacing: still the same line.
    const again = fitTokenBudget([cleaned('https://a.com/', 'Shared  footer line here.\nHome text.'), cleaned('https://a.com/x', 'shared footer line HERE.\nOther text.')], 1000);
    expect(again.pages[1]!.text).toBe('Other text.');
    expectVerbatimBlocks(corpus, pages);
  });

  it('gives every page its headings and lead paragraph before any page gets more', () => {
    const names = ['home', 'about', 'pricing', 'product', 'blog', 'misc', 'terms'];
    const urls = ['/', '/about', '/pricing', '/features', '/blog/post', '/misc', '/terms'];
    const pages = names.map((n, i) => page(`https://a.com${urls[i]}`, n, 3, 6));
    const corpus = fitTokenBudget(pages, 1200);
    expect(corpus.pages).toHaveLength(pages.length);
    for (const p of pages) {
      const got = corpus.pages.find((c) => c.url === p.url)!;
      const lines = got.text.split('\n');
      // Its first heading and its lead paragraph.
      expect(lines).toContain(p.page.headings[0]);
      expect(lines).toContain(p.page.text.split('\n')[1]);
    }
    // Some page got less than its informative part: then no page got body text beyond its sections' leads.
    const sectionLeads = (p: BudgetPage) => {
      const lines = p.page.text.split('\n');
      return new Set(lines.filter((l, i) => p.page.headings.includes(l) || p.page.headings.includes(lines[i - 1]!)));
    };
    for (const p of pages) {
      const got = corpus.pages.find((c) => c.url === p.url)!;
      for (const line of got.text.split('\n').filter(Boolean)) expect(sectionLeads(p).has(line)).toBe(true);
    }
    expectVerbatimBlocks(corpus, pages);
  });

  it('favours prices, testimonials and lists over plain paragraphs', () => {
    const plain = Array.from({ length: 30 }, (_, i) => `Plain paragraph number ${i} about the company history and its many offices around the world.`);
    const text = [
      'Pricing heading',
      'Simple pricing for every team size, billed monthly or yearly.',
      ...plain.slice(0, 15),
      'The Team plan costs $29 per user per month.',
      '“Acme halved our invoicing time,” says Jane Doe, CFO at Example Co.',
      ...plain.slice(15),
    ].join('\n');
    const pages = [cleaned('https://a.com/pricing', text, { headings: ['Pricing heading'] })];
    const corpus = fitTokenBudget(pages, 150);
    const lines = corpus.pages[0]!.text.split('\n');
    expect(lines).toContain('The Team plan costs $29 per user per month.');
    expect(lines).toContain('“Acme halved our invoicing time,” says Jane Doe, CFO at Example Co.');
    expect(lines.filter((l) => l.startsWith('Plain paragraph')).length).toBeLessThan(plain.length);
    // Selected blocks keep their page order, and non-adjacent runs are separated.
    expect(corpus.pages[0]!.text.indexOf('Simple pricing')).toBeLessThan(corpus.pages[0]!.text.indexOf('$29'));
    expect(corpus.pages[0]!.text).toContain(GROUP_SEPARATOR);
    expectVerbatimBlocks(corpus, pages);
  });

  it('cuts a very long block into sentence-bounded pieces rather than dropping it', () => {
    const long = Array.from({ length: 200 }, (_, i) => `Sentence ${i} of one enormous paragraph about the product.`).join(' ');
    const pages = [cleaned('https://a.com/', long), cleaned('https://a.com/about', 'About heading\nWe are a small team in Lisbon building invoicing tools.', { headings: ['About heading'] })];
    const corpus = fitTokenBudget(pages, 800);
    expect(corpus.tokenEstimate).toBeLessThanOrEqual(800);
    const home = corpus.pages[0]!;
    expect(home.text.startsWith('Sentence 0 of one enormous paragraph')).toBe(true);
    expect(home.text.length).toBeLessThan(long.length);
    expect(corpus.pages[1]!.text).toBe(pages[1]!.page.text);
    expectVerbatimBlocks(corpus, pages);
  });

  it('works on real pages: within the budget, every kept block verbatim, passages substrings of the cleaned page', () => {
    const names = fs.readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.html'));
    const pages = names.map((name, i) => ({ contentId: String(i), url: `https://${name}/`, page: clean(name) }));
    const corpus = fitTokenBudget(pages, 3000);
    expect(corpus.tokenEstimate).toBeLessThanOrEqual(3000);
    expect(corpus.pages).toHaveLength(names.length);
    expectVerbatimBlocks(corpus, pages);
    for (const p of corpus.pages) {
      expect(p.sentChars).toBeGreaterThan(0);
      expect(p.sentChars).toBeLessThanOrEqual(p.chars!);
    }
    expect(['en', 'de']).toContain(corpus.language);
  });

  it('leaves out the least telling pages rather than keeping useless slivers, and lists what it left out and why', () => {
    const pages = Array.from({ length: 10 }, (_, i) => page(`https://a.com/p${i}`, `p${i}`, 2, 4));
    const corpus = fitTokenBudget([cleaned('https://a.com/empty', ''), cleaned('https://a.com/terms', 'Terms heading\nOur terms.'), ...pages], 300);
    expect(corpus.pages.map((p) => p.url)).toEqual(['https://a.com/p0', 'https://a.com/p1', 'https://a.com/p2']);
    expect(corpus.unsent).toEqual(
      expect.arrayContaining([
        { url: 'https://a.com/empty', kind: 'other', chars: 0, reason: 'empty' },
        { url: 'https://a.com/terms', kind: 'legal', chars: 'Terms heading\nOur terms.'.length, reason: 'budget' },
        expect.objectContaining({ url: 'https://a.com/p9', reason: 'budget' }),
      ]),
    );
    // A page whose every line is on a more telling page sends nothing.
    const copy = fitTokenBudget([cleaned('https://a.com/', 'Same text.'), cleaned('https://a.com/copy', 'Same text.')], 1000);
    expect(copy.pages.map((p) => p.url)).toEqual(['https://a.com/']);
    expect(copy.unsent).toEqual([{ url: 'https://a.com/copy', kind: 'other', chars: 10, reason: 'repeated' }]);
    expect(fitTokenBudget([], 1000)).toEqual({ language: 'und', tokenEstimate: 0, pages: [] });
  });

  it('names the language most of the text is in', () => {
    const corpus = fitTokenBudget(
      [cleaned('https://a.com/', 'Short English text.', { language: 'en' }), page('https://a.com/de', 'de', 3, 3, { language: 'de' })],
      10_000,
    );
    expect(corpus.language).toBe('de');
  });

  it('carries the page context along: description, headings, JSON-LD facts and tags, without addresses', () => {
    const corpus = fitTokenBudget(
      [
        cleaned('https://a.com/', 'Welcome.', {
          description: 'Invoicing for freelancers. See https://a.com/start',
          headings: ['Invoices in a minute', 'Loved by agencies'],
          tags: ['freelancing', ' late  payments '],
          jsonLd: [{ '@context': 'https://schema.org', '@type': 'Organization', name: 'Acme', url: 'https://a.com', slogan: 'Get paid faster' }],
        }),
      ],
      1000,
    );
    expect(corpus.pages[0]).toMatchObject({
      description: 'Invoicing for freelancers. See',
      headings: ['Invoices in a minute', 'Loved by agencies'],
      facts: [expect.stringContaining('Get paid faster')],
      tags: ['freelancing', 'late payments'],
    });
  });
});

describe('structuredFacts', () => {
  it("uses the cleaner's JSON-LD summary, and makes one for a page cleaned before it had one; without addresses", () => {
    const jsonLd = [
      {
        '@context': 'https://schema.org',
        '@graph': [
          { '@type': 'WebPage', name: 'Home', url: 'https://a.com/' },
          { '@type': 'Organization', name: 'Acme', description: 'Invoicing for freelancers.' },
        ],
      },
      { '@type': 'SoftwareApplication', name: 'Acme Invoicing', offers: [{ '@type': 'Offer', price: '9', priceCurrency: 'EUR' }] },
    ];
    const made = structuredFacts({ jsonLd });
    expect(made).toHaveLength(2);
    expect(made).toEqual(expect.arrayContaining([expect.stringMatching(/Acme.*Invoicing for freelancers\./), expect.stringMatching(/Acme Invoicing.*9 EUR/)]));
    expect(structuredFacts({ jsonLd: [], summary: 'Organization: Acme — see https://a.com/about\nFAQ: Can I cancel? Yes.' })).toEqual([
      'Organization: Acme — see',
      'FAQ: Can I cancel? Yes.',
    ]);
    expect(structuredFacts({ jsonLd: [] })).toEqual([]);
  });
});
