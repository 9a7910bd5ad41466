import { describe, expect, it } from 'vitest';
import {
  classifyPage,
  dedupeKey,
  extractLinks,
  parseSitemap,
  parseSitemapEntries,
  parseSitemapIndex,
  parseSitemapIndexEntries,
  prioritizeLinks,
  readPageLinks,
} from './site-links.js';
import { readFixture } from '../../test/support/fixtures.js';

const fixture = readFixture;

describe('extractLinks', () => {
  const html = `<html><body>
    <a href="/about">About</a>
    <a href="pricing?utm_source=nav#top">Pricing</a>
    <a href="https://www.example.com/blog/">Blog</a>
    <a href="https://other.com/">Elsewhere</a>
    <a href="https://docs.example.com/">Docs</a>
    <a href="mailto:hi@example.com">Mail</a>
    <a href="tel:+123">Call</a>
    <a href="javascript:void(0)">JS</a>
    <a href="#section">Anchor</a>
    <a href="/brochure.pdf">PDF</a>
    <a href="/about#team">About again</a>
    <a href="ftp://example.com/file">FTP</a>
    <a>no href</a>
  </body></html>`;

  it('keeps same-site http(s) page links, normalized and deduped, in document order', () => {
    expect(extractLinks(html, 'https://example.com/products/')).toEqual([
      'https://example.com/about',
      'https://example.com/products/pricing',
      'https://www.example.com/blog/',
    ]);
  });

  it('resolves against <base href>', () => {
    const page = '<html><head><base href="https://example.com/en/"></head><body><a href="team">Team</a></body></html>';
    expect(extractLinks(page, 'https://example.com/')).toEqual(['https://example.com/en/team']);
  });

  it('reads a real page: microlink.io links to its blog but not to docs.microlink.io', () => {
    const links = extractLinks(fixture('microlink.io.html'), 'https://microlink.io/');
    expect(links).toContain('https://microlink.io/blog');
    expect(links.some((l) => l.includes('docs.microlink.io'))).toBe(false);
    expect(links.every((l) => new URL(l).hostname === 'microlink.io')).toBe(true);
  });
});

describe('prioritizeLinks', () => {
  const start = 'https://example.com/';

  it('puts start first, then about, pricing, products, customers, blog, the rest; careers, login and legal last; never logout', () => {
    const urls = [
      'https://example.com/blog/2024/01/some-long-post',
      'https://example.com/careers',
      'https://example.com/blog',
      'https://example.com/privacy',
      'https://example.com/customers',
      'https://example.com/a/b/c',
      'https://example.com/products/widget',
      'https://example.com/pricing',
      'https://example.com/about-us',
      'https://example.com/login',
      'https://example.com/logout',
      'https://example.com/en/case-studies',
    ];
    expect(prioritizeLinks(urls, start, 20)).toEqual([
      'https://example.com/',
      'https://example.com/about-us',
      'https://example.com/pricing',
      'https://example.com/products/widget',
      'https://example.com/customers',
      'https://example.com/en/case-studies',
      'https://example.com/blog',
      'https://example.com/blog/2024/01/some-long-post',
      'https://example.com/a/b/c',
      'https://example.com/login',
      'https://example.com/careers',
      'https://example.com/privacy',
    ]);
  });

  it('puts the home page right after a deeper start page', () => {
    expect(prioritizeLinks(['https://example.com/blog', 'https://example.com/'], 'https://example.com/features', 3)).toEqual([
      'https://example.com/features',
      'https://example.com/',
      'https://example.com/blog',
    ]);
  });

  it('honours max, drops other sites and treats /x and /x/ as one page', () => {
    const urls = ['https://example.com/about/', 'https://example.com/about', 'https://evil.com/about', 'https://www.example.com/pricing'];
    expect(prioritizeLinks(urls, start, 10)).toEqual([
      'https://example.com/',
      'https://example.com/about/',
      'https://www.example.com/pricing',
    ]);
    expect(prioritizeLinks(urls, start, 2)).toHaveLength(2);
    expect(prioritizeLinks(urls, start, 1)).toEqual(['https://example.com/']);
  });

  it('recognises German page names (fairkom.eu)', () => {
    const page = 'https://www.fairkom.eu/about';
    const ranked = prioritizeLinks(extractLinks(fixture('fairkom.eu.about.html'), page), page, 4);
    expect(ranked).toEqual(['https://www.fairkom.eu/about', 'https://www.fairkom.eu/', 'https://www.fairkom.eu/referenzen', 'https://www.fairkom.eu/blog']);
  });

  it('dedupeKey ignores a trailing slash but not the root', () => {
    expect(dedupeKey('https://example.com/a/')).toBe(dedupeKey('https://example.com/a'));
    expect(dedupeKey('https://example.com/')).toBe('https://example.com/');
    expect(dedupeKey('http://www.example.com/a/')).toBe(dedupeKey('https://example.com/a'));
    expect(dedupeKey('https://example.com/a?x=1')).not.toBe(dedupeKey('https://example.com/a'));
  });
});

describe('ranking across the whole crawl', () => {
  const start = 'https://example.com/';

  it('orders home, about, pricing, product, customers, testimonials, FAQ, blog, the rest, then legal, careers, login, archives', () => {
    const urls = [
      'https://example.com/tag/pricing',
      'https://example.com/blog/2023/',
      'https://example.com/blog/page/3',
      'https://example.com/terms-of-service',
      'https://example.com/jobs',
      'https://example.com/sign-in',
      'https://example.com/partners',
      'https://example.com/faq',
      'https://example.com/testimonials',
      'https://example.com/customers',
      'https://example.com/solutions/agencies',
      'https://example.com/pricing',
      'https://example.com/company',
      'https://example.com/blog/',
    ];
    const ranked = prioritizeLinks(urls, start, 50).map((u) => new URL(u).pathname);
    expect(ranked.slice(0, 10)).toEqual(['/', '/company', '/pricing', '/solutions/agencies', '/customers', '/testimonials', '/faq', '/blog/', '/partners', '/jobs']);
    expect(new Set(ranked.slice(9))).toEqual(new Set(['/jobs', '/sign-in', '/terms-of-service', '/tag/pricing', '/blog/2023/', '/blog/page/3']));
  });

  it('puts the most recent blog posts first, by the date in the URL or the sitemap lastmod', () => {
    const ranked = prioritizeLinks(
      [
        'https://example.com/blog/2021/03/old',
        { url: 'https://example.com/blog/undated-new', lastmod: '2025-10-02' },
        'https://example.com/blog/no-date-at-all',
        'https://example.com/2025/01/15/root-dated-post',
        { url: 'https://example.com/blog/undated-old', lastmod: '2019-05-01T08:00:00Z' },
        'https://example.com/blog/2024-07-01-dashed-date',
        'https://example.com/blog',
      ],
      start,
      20,
    ).map((u) => new URL(u).pathname);
    expect(ranked).toEqual([
      '/',
      '/blog',
      '/blog/undated-new',
      '/2025/01/15/root-dated-post',
      '/blog/2024-07-01-dashed-date',
      '/blog/2021/03/old',
      '/blog/undated-old',
      '/blog/no-date-at-all',
    ]);
  });

  it('keeps a start URL below the root to its section first, then the rest of the site by value', () => {
    const ranked = prioritizeLinks(
      ['https://example.com/', 'https://example.com/about', 'https://example.com/docs/api/', 'https://example.com/docs/guide/faq', 'https://example.com/docs/guide/setup', 'https://example.com/docs/guidelines'],
      'https://example.com/docs/guide/',
      20,
    ).map((u) => new URL(u).pathname);
    expect(ranked).toEqual(['/docs/guide/', '/docs/guide/faq', '/docs/guide/setup', '/', '/about', '/docs/api/', '/docs/guidelines']);
  });

  it('treats www. and the bare host as one site', () => {
    expect(prioritizeLinks(['https://www.example.com/pricing', 'https://shop.example.com/pricing'], start, 5)).toEqual([start, 'https://www.example.com/pricing']);
  });

  it('classifies pages by their URL, with dates for posts', () => {
    expect(classifyPage('https://example.com/')).toEqual({ kind: 'home' });
    expect(classifyPage('https://example.com/de/')).toEqual({ kind: 'other' });
    expect(classifyPage('https://example.com/de/preise')).toEqual({ kind: 'pricing' });
    expect(classifyPage('https://example.com/about/careers')).toEqual({ kind: 'careers' });
    expect(classifyPage('https://example.com/impressum')).toEqual({ kind: 'legal' });
    expect(classifyPage('https://example.com/2024/05/')).toEqual({ kind: 'archive' });
    expect(classifyPage('https://example.com/news/2024/05/launch')).toEqual({ kind: 'blog', date: Date.UTC(2024, 4, 1) });
    expect(classifyPage('https://example.com/case-studies/acme')).toEqual({ kind: 'testimonials' });
    expect(classifyPage('https://example.com/blog/x', '2025-01-02')).toEqual({ kind: 'blog', date: Date.parse('2025-01-02') });
    expect(classifyPage('https://example.com/about', '2025-01-02')).toEqual({ kind: 'about' });
  });
});

describe('readPageLinks', () => {
  it('returns same-site links, other sites, and the canonical URL', () => {
    const html = `<html><head><link rel="canonical" href="/pricing?utm_source=x"></head><body>
      <a href="/about">About</a><a href="https://other.example/">Other</a><a href="/logo.png">Logo</a></body></html>`;
    expect(readPageLinks(html, 'https://example.com/pricing?ref=nav')).toEqual({
      links: ['https://example.com/about'],
      offSite: ['https://other.example/'],
      canonical: 'https://example.com/pricing',
    });
    expect(readPageLinks('<a href="/x">x</a>', 'https://example.com/').canonical).toBeUndefined();
  });
});

describe('parseSitemap', () => {
  it('reads lastmod of pages and of child sitemaps', () => {
    const xml = `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc>https://example.com/blog/a</loc><lastmod>2025-01-02</lastmod></url>
      <url><loc>https://example.com/blog/b</loc><lastmod>not a date</lastmod></url></urlset>`;
    expect(parseSitemapEntries(xml)).toEqual([{ url: 'https://example.com/blog/a', lastmod: '2025-01-02' }, { url: 'https://example.com/blog/b' }]);
    const index = `<sitemapindex><sitemap><loc>https://example.com/post-sitemap.xml</loc><lastmod>2025-03-01T00:00:00Z</lastmod></sitemap></sitemapindex>`;
    expect(parseSitemapIndexEntries(index)).toEqual([{ url: 'https://example.com/post-sitemap.xml', lastmod: '2025-03-01T00:00:00Z' }]);
  });

  it('reads <url><loc> entries', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
      <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
        <url><loc> https://example.com/ </loc><lastmod>2024-01-01</lastmod></url>
        <url><loc>https://example.com/pricing</loc></url>
        <url><loc>not-a-url</loc></url>
      </urlset>`;
    expect(parseSitemap(xml)).toEqual(['https://example.com/', 'https://example.com/pricing']);
    expect(parseSitemapIndex(xml)).toEqual([]);
  });

  it('reads a sitemap index separately', () => {
    const xml = `<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://example.com/sitemap-pages.xml</loc></sitemap></sitemapindex>`;
    expect(parseSitemap(xml)).toEqual([]);
    expect(parseSitemapIndex(xml)).toEqual(['https://example.com/sitemap-pages.xml']);
  });

  it('yields nothing for HTML or garbage', () => {
    expect(parseSitemap('<html><body>Not found</body></html>')).toEqual([]);
    expect(parseSitemap('}{')).toEqual([]);
  });
});
