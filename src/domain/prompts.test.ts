import { describe, expect, it } from 'vitest';
import { withPassages, type CleanPage, type Corpus } from './corpus.js';
import { PAGE_CONTEXT_LABELS, pageContextLines, PROMPT_MARKERS, PROMPT_SCAFFOLDING, PROMPT_TERMS, promptPassages, siteMessage } from './prompts.js';
import { echoIndex, promptEcho } from './quality.js';
import { fitTokenBudget } from './token-budget.js';

const site = { url: 'https://acme.test/', domain: 'acme.test' };

function corpusOf(pages: Partial<CleanPage>[]): Corpus {
  return withPassages(
    fitTokenBudget(
      pages.map((p, i) => {
        const page: CleanPage = { url: '', title: '', description: '', headings: [], text: '', jsonLd: [], language: 'en', ...p };
        return { contentId: String(i), url: page.url, page };
      }),
      10_000,
    ),
  );
}

const home: Partial<CleanPage> = {
  url: 'https://acme.test/',
  title: 'Acme Invoicing',
  description: 'Invoicing software for freelancers and small agencies.',
  headings: ['Acme Invoicing', 'Invoices in a minute', 'Built for agencies'],
  text: [
    'Invoices in a minute',
    'Acme Invoicing helps freelancers send professional invoices in under a minute.',
    'Built for agencies',
    'Small agencies use Acme to track billable hours across clients and projects.',
  ].join('\n'),
  jsonLd: [{ '@type': 'SoftwareApplication', name: 'Acme Invoicing', url: 'https://acme.test/', offers: { price: '9', priceCurrency: 'EUR' } }],
};
const pricing: Partial<CleanPage> = {
  url: 'https://acme.test/pricing',
  title: 'Pricing',
  description: 'Plans for every stage.',
  headings: ['Pricing'],
  tags: ['plans', 'invoicing'],
  text: 'The Solo plan costs 9 euros per month and includes unlimited invoices.',
};

describe('siteMessage', () => {
  it('shows each page with its description, headings, structured data and tags as context lines, then its passages', () => {
    const corpus = corpusOf([home, pricing]);
    const chosen = promptPassages(corpus, 10_000);
    const message = siteMessage(site, corpus, chosen);
    expect(message).toBe(
      [
        'Website: https://acme.test/ (acme.test)',
        "The website's text as numbered passages. Cite passages by their ID.",
        '',
        'Page 1: https://acme.test/',
        'Page title: Acme Invoicing',
        'Page description: Invoicing software for freelancers and small agencies.',
        'Page structured data: Product: Acme Invoicing — price 9 EUR',
        '[p1.1] Invoices in a minute / Acme Invoicing helps freelancers send professional invoices in under a minute.',
        '[p1.2] Built for agencies / Small agencies use Acme to track billable hours across clients and projects.',
        '',
        'Page 2: https://acme.test/pricing',
        'Page title: Pricing',
        'Page description: Plans for every stage.',
        'Page tags: plans, invoicing',
        '[p2.1] The Solo plan costs 9 euros per month and includes unlimited invoices.',
      ].join('\n'),
    );
    // Headings the passages shown already say, and the title, are not repeated; context lines are no passages.
    expect([...chosen.values()].flat().map((p) => p.id)).toEqual(['p1.1', 'p1.2', 'p2.1']);
  });

  it('lists the headings of what the prompt leaves out, so the model sees the outline of the page', () => {
    const long = {
      ...home,
      description: '',
      headings: ['Invoices in a minute', 'Built for agencies', 'Time tracking', 'Client portals'],
      text: [
        home.text!,
        'Time tracking',
        'Track every billable hour with a single click from the browser or phone.'.repeat(3),
        'Client portals',
        'Clients see their invoices and pay online by card or bank transfer.'.repeat(3),
      ].join('\n'),
    };
    const corpus = corpusOf([long]);
    const chosen = promptPassages(corpus, 80);
    const message = siteMessage(site, corpus, chosen);
    expect(chosen.get(0)!.length).toBeLessThan(corpus.pages[0]!.passages!.length);
    expect(message).toContain('Page headings: Time tracking | Client portals');
  });

  it('keeps context lines within the prompt budget: at most a quarter of a page\'s share, and without addresses', () => {
    const many = Array.from({ length: 8 }, (_, i) => ({
      url: `https://acme.test/p${i}`,
      title: `Page ${i}`,
      description: `Description of page ${i}, long enough to matter: ${'words about the offering '.repeat(20)} https://acme.test/x`,
      headings: Array.from({ length: 10 }, (_, h) => `Heading ${h} of page ${i}`),
      text: `Body text of page ${i} says what Acme does for agencies and freelancers.`,
    }));
    const corpus = corpusOf(many);
    for (const tokens of [300, 1500, 10_000]) {
      const chosen = promptPassages(corpus, tokens);
      const message = siteMessage(site, corpus, chosen);
      const shown = message.split('\n').filter((l) => l.startsWith('[p') || l.startsWith('Page description:') || l.startsWith('Page headings:') || l.startsWith('Page structured data:'));
      expect(shown.reduce((n, l) => n + l.length + 1, 0)).toBeLessThanOrEqual(tokens * 4);
      const context = message.split('\n').filter((l) => /^Page (description|headings|structured data):/.test(l));
      expect(context.every((l) => !/https?:\/\//.test(l))).toBe(true);
      const perPage = Math.floor((tokens * 4) / 8 / 4);
      for (const lines of chosen.context!.values()) expect(lines.reduce((n, l) => n + l.length + 1, 0)).toBeLessThanOrEqual(Math.min(700, perPage));
    }
  });

  it('still renders corpora stored before page context, and a plain passage map', () => {
    const corpus: Corpus = { language: 'en', tokenEstimate: 10, pages: [{ contentId: '1', url: 'https://acme.test/', title: 'Acme', text: 'Hello there, this is Acme.' }] };
    const withIds = withPassages(corpus);
    const message = siteMessage(site, withIds, new Map([[0, withIds.pages[0]!.passages!]]));
    expect(message.split('\n').slice(3)).toEqual(['Page 1: https://acme.test/', 'Page title: Acme', '[p1.1] Hello there, this is Acme.']);
    expect(pageContextLines(withIds.pages[0]!)).toEqual([]);
  });
});

describe('page context labels and the quality rules', () => {
  const ctx = { scaffolding: PROMPT_SCAFFOLDING, markers: PROMPT_MARKERS, terms: PROMPT_TERMS };

  it('rejects a field that copies a context line with its label', () => {
    for (const label of Object.values(PAGE_CONTEXT_LABELS)) {
      expect(promptEcho(`${label} Invoicing software for freelancers and small agencies.`, echoIndex(ctx, 'Some site text.'))).toBe('holds a line of the prompt format');
    }
  });

  it('rejects a field that copies the repair prompt\'s label or the language line, wherever in the field', () => {
    // Seen delivered (trust e2e, misbehaving stand-in): the label, then the language line in quotes.
    const field = 'The rejected version (JSON): "Write in: en (ISO 639-1 code)."';
    expect(promptEcho(field, echoIndex(ctx, 'Some site text.'))).toBe('holds a line of the prompt format');
    expect(promptEcho('Our answer: "Write in: de (ISO 639-1 code)."', echoIndex(ctx, 'Some site text.'))).toBe('holds a line of the prompt format');
  });

  it('does not flag the site\'s own words, nor prose that mentions a page description', () => {
    const siteText = 'Invoicing software for freelancers and small agencies.';
    expect(promptEcho('Invoicing software for freelancers and small agencies.', echoIndex(ctx, siteText))).toBeNull();
    expect(promptEcho('Write a better page description: our SEO tool shows how.', echoIndex(ctx, 'Write a better page description: our SEO tool shows how.'))).toBeNull();
  });
});
