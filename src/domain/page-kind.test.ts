import { describe, expect, it } from 'vitest';
import { PAGE_KIND_ORDER, PAGE_KIND_VALUE, pageKind, pageKindRank } from './page-kind.js';

describe('pageKind', () => {
  it('reads the kind from the URL', () => {
    const cases: [string, string][] = [
      ['https://a.com/', 'home'],
      ['https://a.com/de/', 'home'],
      ['https://a.com/about-us', 'about'],
      ['https://a.com/en/pricing', 'pricing'],
      ['https://a.com/features', 'product'],
      ['https://a.com/customers', 'customers'],
      ['https://a.com/case-studies/acme', 'testimonials'],
      ['https://a.com/faq', 'faq'],
      ['https://a.com/blog/getting-paid-faster', 'blog'],
      ['https://a.com/privacy-policy', 'legal'],
      ['https://a.com/impressum', 'legal'],
      ['https://a.com/careers', 'careers'],
      ['https://a.com/login', 'login'],
      ['https://a.com/blog/tag/invoices', 'archive'],
      ['https://a.com/2024/', 'archive'],
      ['https://a.com/something-else', 'other'],
      ['not a url', 'other'],
    ];
    for (const [url, kind] of cases) expect([url, pageKind(url)]).toEqual([url, kind]);
  });

  it('falls back to a short title when the URL names no kind', () => {
    expect(pageKind('https://a.com/p/123', 'Pricing | Acme')).toBe('pricing');
    expect(pageKind('https://a.com/p/124', 'Frequently asked questions - Acme')).toBe('faq');
    expect(pageKind('https://a.com/p/125', 'Privacy Policy')).toBe('legal');
    // A headline that mentions pricing is not the pricing page.
    expect(pageKind('https://a.com/p/126', 'Why we changed our pricing model this year | Acme')).toBe('other');
    // The URL wins over the title.
    expect(pageKind('https://a.com/terms', 'Pricing')).toBe('legal');
  });

  it('orders and values the kinds: telling pages first, legal, careers, login and archive last', () => {
    expect(pageKindRank('home')).toBeLessThan(pageKindRank('pricing'));
    expect(pageKindRank('blog')).toBeLessThan(pageKindRank('other'));
    expect(pageKindRank('other')).toBeLessThan(pageKindRank('legal'));
    for (const [a, b] of PAGE_KIND_ORDER.slice(1).map((k, i) => [PAGE_KIND_ORDER[i]!, k] as const)) {
      expect(PAGE_KIND_VALUE[a]).toBeGreaterThanOrEqual(PAGE_KIND_VALUE[b]);
    }
  });
});
