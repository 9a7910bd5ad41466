import { describe, expect, it } from 'vitest';
import { dedupeKey, extractLinks, parseSitemap, parseSitemapIndex, prioritizeLinks } from './site-links.js';
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

  it('puts start first, then about, pricing, products, customers, blog, then the rest by path length; never logout', () => {
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
      'https://example.com/careers',
      'https://example.com/a/b/c',
      'https://example.com/login',
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
  });
});

describe('parseSitemap', () => {
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
