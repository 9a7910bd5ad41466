import { MockActivityEnvironment } from '@temporalio/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { analysisStatus } from '../src/api/routes/analysis-status.js';
import { DEFAULT_USER_AGENT, type Config } from '../src/config.js';
import { createDatabase, type Db } from '../src/database.js';
import { CLEANER_VERSION } from '../src/domain/clean-page.js';
import type { CrawlReport } from '../src/domain/site-links.js';
import { createLogger } from '../src/logger.js';
import { analysesRepository } from '../src/repositories/analyses.js';
import { insertAnalysis, unusedModelClient } from '../test/support/activity-env.js';
import { htmlPage, legalPage, serveCrawlSite, type CrawlRoute, type CrawlTestSite } from '../test/support/crawl-sites.js';
import { FailureType } from '../src/domain/failures.js';
import { createProcessingActivities } from './processing.js';
import { createScrapingActivities, type ScrapingDeps } from './scraping.js';
import { testResolver } from '../test/support/test-resolver.js';

const databaseUrl = inject('databaseUrl');
let db: Db;
const sites: CrawlTestSite[] = [];

beforeAll(() => {
  db = createDatabase(databaseUrl, 2);
});

afterAll(async () => {
  await Promise.all(sites.map((s) => s.close()));
  await db?.destroy();
});

function deps(config: Partial<Config> = {}): ScrapingDeps {
  return {
    db,
    logger: createLogger('error'),
    ai: unusedModelClient(),
    config: { OPENAI_MODEL: 'unused', SCRAPE_ALLOW_PRIVATE_NETWORKS: true, CACHE_TTL_HOURS: 24, ...config } as ScrapingDeps['config'],
    // Sites are on 127.0.0.1; any name a page links to is answered by a test resolver (ENOTFOUND), never the machine's DNS.
    resolve: testResolver({}),
  };
}

async function site(routes: Record<string, CrawlRoute>): Promise<CrawlTestSite> {
  const s = await serveCrawlSite(routes);
  sites.push(s);
  return s;
}

async function extract(url: string, options: Record<string, unknown> = {}, config: Partial<Config> = {}) {
  const id = await insertAnalysis(db, url, options);
  const result = await new MockActivityEnvironment().run(createScrapingActivities(deps(config)).extractContent, { analysisId: id });
  const { crawl } = await db.selectFrom('analyses').select('crawl').where('id', '=', id).executeTakeFirstOrThrow();
  return { id, result, report: crawl as CrawlReport };
}

const paths = (base: string, urls: Array<{ url: string }>) => urls.map((u) => `/${u.url.slice(base.length)}`);
const skippedFor = (report: CrawlReport, base: string) => Object.fromEntries(report.skipped.map((s) => [`/${s.url.slice(base.length)}`, s.reason]));
const links = (...hrefs: string[]) => hrefs.map((h) => `<a href="${h}">${h}</a>`).join(' ');
const sitemap = (entries: Array<[string, string?]>) =>
  `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${entries
    .map(([loc, lastmod]) => `<url><loc>${loc}</loc>${lastmod ? `<lastmod>${lastmod}</lastmod>` : ''}</url>`)
    .join('')}</urlset>`;

/**
 * A company site whose best pages hide at depth 2 and in a sitemap index, with a long legal page,
 * careers, login (robots-disallowed), archives, dated and undated blog posts, a tracking copy of
 * the pricing page (canonical) and a link to another site.
 */
async function companySite() {
  const routes: Record<string, CrawlRoute> = {
    '/': htmlPage('Acme', `<p>Invoices for freelancers.</p>${links('/blog/', '/company', '/terms', '/careers', '/login', '/tag/news', '/2024/', '/pricing?ref=home', 'https://elsewhere.example/')}`),
    '/company': htmlPage('Company', `<p>Founded 2015.</p>${links('/team', '/customers')}`),
    '/team': htmlPage('Team', '<p>Twelve people.</p>'),
    '/customers': htmlPage('Customers', '<p>Photographers.</p>'),
    '/pricing': htmlPage('Pricing', '<p>9 euros.</p>'),
    '/faq': htmlPage('FAQ', '<p>Can I cancel? Yes.</p>'),
    '/blog/': htmlPage('Blog', links('/blog/2023/02/old-post', '/blog/2025/06/new-post', '/blog/2024/11/mid-post', '/blog/page/2')),
    '/blog/2023/02/old-post': htmlPage('Old', '<p>Old.</p>'),
    '/blog/2025/06/new-post': htmlPage('New', '<p>New.</p>'),
    '/blog/2024/11/mid-post': htmlPage('Mid', '<p>Mid.</p>'),
    '/blog/page/2': htmlPage('Blog page 2', '<p>Older posts.</p>'),
    '/blog/undated-a': htmlPage('Undated A', '<p>Newest by lastmod.</p>'),
    '/blog/undated-b': htmlPage('Undated B', '<p>Oldest by lastmod.</p>'),
    '/terms': legalPage(),
    '/careers': htmlPage('Careers', '<p>Join us.</p>'),
    '/login': htmlPage('Login', '<form></form>'),
    '/tag/news': htmlPage('News tag', '<p>Tagged.</p>'),
    '/2024/': htmlPage('2024', '<p>Archive.</p>'),
  };
  const s = await site(routes);
  routes['/pricing'] = htmlPage('Pricing', '<p>9 euros.</p>', `<link rel="canonical" href="${s.url}pricing">`);
  routes['/robots.txt'] = `User-agent: *\nDisallow: /login\n\nSitemap: ${s.url}sitemap_index.xml\n`;
  routes['/sitemap_index.xml'] = `<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <sitemap><loc>${s.url}tag-sitemap.xml</loc><lastmod>2025-10-01</lastmod></sitemap>
    <sitemap><loc>${s.url}post-sitemap.xml</loc><lastmod>2025-09-01</lastmod></sitemap>
    <sitemap><loc>${s.url}page-sitemap.xml</loc></sitemap></sitemapindex>`;
  routes['/post-sitemap.xml'] = sitemap([
    [`${s.url}blog/undated-b`, '2020-01-01'],
    [`${s.url}blog/undated-a`, '2025-09-01T10:00:00+00:00'],
  ]);
  routes['/page-sitemap.xml'] = sitemap([[s.url], [`${s.url}faq`], [`${s.url}pricing`]]);
  routes['/tag-sitemap.xml'] = sitemap([[`${s.url}tag/news`]]);
  return s;
}

describe('choosing pages by value across the whole crawl', () => {
  it('ranks links of every depth and sitemap-index entries together; legal, careers, login and archives last', async () => {
    const acme = await companySite();
    const { result, report } = await extract(acme.url, { maxPages: 8 });

    expect(result).toEqual({ pageCount: 8, fetched: 8, fromCache: 0 });
    // /team and /customers are only linked from /company (depth 2), /faq is only in a child sitemap.
    expect(paths(acme.url, report.read)).toEqual(['/', '/team', '/company', '/pricing', '/customers', '/faq', '/blog/', '/blog/undated-a']);
    expect(report.read.map((r) => r.kind)).toEqual(['home', 'about', 'about', 'pricing', 'customers', 'faq', 'blog', 'blog']);
    const skipped = skippedFor(report, acme.url);
    expect(skipped).toMatchObject({
      '/login': 'robots',
      '/pricing?ref=home': 'canonical',
      '/blog/2025/06/new-post': 'page_limit',
      '/terms': 'page_limit',
      '/careers': 'page_limit',
    });
    expect(report.skipped.find((s) => s.url === 'https://elsewhere.example/')).toMatchObject({ reason: 'off_site' });
    // What was left, in the order it would have been read: newest posts first, low-value pages last.
    const left = report.skipped.filter((s) => s.reason === 'page_limit').map((s) => `/${s.url.slice(acme.url.length)}`);
    expect(left.slice(0, 4)).toEqual(['/blog/2025/06/new-post', '/blog/2024/11/mid-post', '/blog/2023/02/old-post', '/blog/undated-b']);
    expect(new Set(left.slice(-5))).toEqual(new Set(['/terms', '/careers', '/tag/news', '/2024/', '/blog/page/2']));
    // Nothing off the list was requested: not the legal page, not the login page.
    expect(acme.hits('/terms')).toHaveLength(0);
    expect(acme.hits('/login')).toHaveLength(0);
    expect(acme.hits('/tag-sitemap.xml')).toHaveLength(1); // read, but last: its entries are archives
  });

  it('gives every valuable kind its turn before a third page of one kind', async () => {
    const s = await site({
      '/': htmlPage('Home', links('/company/history', '/company/board', '/company/offices', '/company/values', '/pricing', '/features', '/careers')),
      '/company/history': htmlPage('History', '<p>1990.</p>'),
      '/company/board': htmlPage('Board', '<p>Five people.</p>'),
      '/company/offices': htmlPage('Offices', '<p>Berlin.</p>'),
      '/company/values': htmlPage('Values', '<p>Honesty.</p>'),
      '/pricing': htmlPage('Pricing', '<p>9 euros.</p>'),
      '/features': htmlPage('Features', '<p>Reminders.</p>'),
      '/careers': htmlPage('Careers', '<p>Join.</p>'),
    });
    const { report } = await extract(s.url, { maxPages: 6 });
    expect(paths(s.url, report.read)).toEqual(['/', '/company/board', '/company/values', '/pricing', '/features', '/company/history']);
    expect(skippedFor(report, s.url)).toEqual({ '/company/offices': 'page_limit', '/careers': 'page_limit' });
  });

  it('keeps a start URL below the root to its section first', async () => {
    const routes: Record<string, CrawlRoute> = {
      '/products/invoicing/': htmlPage('Invoicing', links('/', '/about', '/pricing', '/products/invoicing/features', '/products/invoicing/pricing', '/products/payroll/')),
      '/products/invoicing/features': htmlPage('Features', '<p>Reminders.</p>'),
      '/products/invoicing/pricing': htmlPage('Invoicing pricing', '<p>5 euros.</p>'),
      '/': htmlPage('Home', '<p>Home.</p>'),
      '/about': htmlPage('About', '<p>About.</p>'),
      '/pricing': htmlPage('Pricing', '<p>Pricing.</p>'),
      '/products/payroll/': htmlPage('Payroll', '<p>Payroll.</p>'),
    };
    const s = await site(routes);
    const { report } = await extract(`${s.url}products/invoicing/`, { maxPages: 4 });
    expect(paths(s.url, report.read)).toEqual(['/products/invoicing/', '/products/invoicing/pricing', '/products/invoicing/features', '/']);
    expect(skippedFor(report, s.url)).toMatchObject({ '/about': 'page_limit', '/pricing': 'page_limit', '/products/payroll/': 'page_limit' });
  });

  it('reads a redirect chain once and collapses duplicates', async () => {
    const s = await site({
      '/': htmlPage('Home', links('/old-about', '/about', '/about/', '/copy-of-home')),
      '/old-about': { status: 301, headers: { location: '/older-about' } },
      '/older-about': { status: 302, headers: { location: '/about' } },
      '/about': htmlPage('About', '<p>We moved.</p>'),
      '/copy-of-home': htmlPage('Home', links('/old-about', '/about', '/about/', '/copy-of-home')),
    });
    const { report } = await extract(s.url);
    const read = paths(s.url, report.read);
    expect(read[0]).toBe('/');
    expect(read.filter((p) => p.includes('about'))).toHaveLength(1);
    expect(report.skipped.filter((x) => x.reason === 'duplicate').map((x) => `/${x.url.slice(s.url.length)}`).sort()).toEqual(
      ['/copy-of-home', read.includes('/about') ? '/old-about' : '/about'].sort(),
    );
    expect(s.hits('/about/')).toHaveLength(0); // the same page written with a slash
  });

  it('honours the depth, byte and time limits', async () => {
    const deep = await site({
      '/': htmlPage('Home', links('/a')),
      '/a': htmlPage('A', links('/a/b')),
      '/a/b': htmlPage('B', '<p>Deep.</p>'),
    });
    const shallow = await extract(deep.url, {}, { CRAWL_MAX_DEPTH: 1 });
    expect(paths(deep.url, shallow.report.read)).toEqual(['/', '/a']);
    expect(deep.hits('/a/b')).toHaveLength(0);

    const big = await site({
      '/': htmlPage('Home', links('/terms', '/about', '/pricing')),
      '/terms': legalPage(),
      '/about': htmlPage('About', '<p>About.</p>'),
      '/pricing': htmlPage('Pricing', '<p>Pricing.</p>'),
    });
    const bytes = await extract(big.url, {}, { CRAWL_MAX_BYTES: 20_000, CRAWL_CONCURRENCY: 1 });
    expect(paths(big.url, bytes.report.read)).toEqual(['/', '/about', '/pricing', '/terms']);
    const bigger = await site({
      '/': htmlPage('Home', links('/terms', '/about', '/pricing')),
      '/terms': legalPage(),
      '/pricing': legalPage(),
      '/about': htmlPage('About', '<p>About.</p>'),
    });
    const capped = await extract(bigger.url, {}, { CRAWL_MAX_BYTES: 20_000, CRAWL_CONCURRENCY: 1 });
    expect(paths(bigger.url, capped.report.read)).toEqual(['/', '/about', '/pricing']);
    expect(skippedFor(capped.report, bigger.url)).toEqual({ '/terms': 'byte_limit' });

    const slowRoutes: Record<string, CrawlRoute> = { '/': htmlPage('Home', links('/p1', '/p2', '/p3', '/p4', '/p5')) };
    for (let i = 1; i <= 5; i++) slowRoutes[`/p${i}`] = { body: htmlPage(`P${i}`, `<p>Page ${i}.</p>`), delayMs: 400 };
    const slow = await site(slowRoutes);
    const started = Date.now();
    const timed = await extract(slow.url, {}, { CRAWL_MAX_SECONDS: 0.6, CRAWL_CONCURRENCY: 1 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(timed.report.read.length).toBeLessThan(6);
    expect(timed.report.skipped.some((x) => x.reason === 'time_limit')).toBe(true);
  });

  it('lists at most 50 skipped pages per reason and counts the rest', async () => {
    const offSite = Array.from({ length: 60 }, (_, i) => `https://partner${i}.example/`);
    const s = await site({ '/': htmlPage('Home', links(...offSite)) });
    const { report } = await extract(s.url);
    expect(report.skipped.filter((x) => x.reason === 'off_site')).toHaveLength(50);
    expect(report.moreSkipped).toBe(10);
  });

  it('keeps at most CRAWL_CONCURRENCY requests in flight per host', async () => {
    const routes: Record<string, CrawlRoute> = { '/': htmlPage('Home', links('/p1', '/p2', '/p3', '/p4', '/p5', '/p6')) };
    for (let i = 1; i <= 6; i++) routes[`/p${i}`] = { body: htmlPage(`P${i}`, `<p>Page ${i}.</p>`), delayMs: 150 };
    const s = await site(routes);
    const { report } = await extract(s.url, {}, { CRAWL_CONCURRENCY: 2 });
    expect(report.read).toHaveLength(7);
    expect(s.maxInFlight).toBe(2);
  });
});

describe('an honest crawler', () => {
  it('sends one configured User-Agent on every request and matches robots.txt with it, honouring Crawl-delay', async () => {
    const userAgent = 'TestCrawler/9.9 (+https://example.test/bot)';
    const routes: Record<string, CrawlRoute> = {
      '/': htmlPage('Home', links('/about', '/members/area', '/pricing')),
      '/about': htmlPage('About', '<p>About.</p>'),
      '/pricing': htmlPage('Pricing', '<p>Pricing.</p>'),
      '/members/area': htmlPage('Members', '<p>Members only.</p>'),
      // Everyone else is shut out; our group lets us in, except for /members/.
      '/robots.txt': 'User-agent: TestCrawler\nDisallow: /members/\nCrawl-delay: 1\n\nUser-agent: *\nDisallow: /\n',
    };
    const s = await site(routes);
    const { report } = await extract(s.url, {}, { SCRAPE_USER_AGENT: userAgent });
    expect(paths(s.url, report.read)).toEqual(['/', '/about', '/pricing']);
    expect(skippedFor(report, s.url)).toMatchObject({ '/members/area': 'robots' });
    expect(s.requests.length).toBeGreaterThanOrEqual(5); // robots.txt, sitemap.xml, three pages
    for (const r of s.requests) {
      expect(r.headers['user-agent']).toBe(userAgent);
      expect(r.headers['sec-ch-ua']).toBeUndefined(); // no generated browser headers
    }
    // Crawl-delay: 1 second between the starts of two requests once robots.txt is read. Measured
    // at the server, one arrival can be late on a busy machine and shorten one gap; the whole span
    // cannot be much shorter than the delays it holds (without them it is a few milliseconds).
    const times = s.requests.map((r) => r.at);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual((times.length - 1) * 1000 - 500);
  });

  it('says BLOCKED_BY_SITE when the site refuses our User-Agent, and never retries as a browser', async () => {
    const s = await site({
      '/': (req) => (/PersonaAnalyzer/.test(req.headers['user-agent'] ?? '') ? { status: 403, body: 'Forbidden' } : { body: htmlPage('Home', '<p>Hi.</p>') }),
    });
    const error = await extract(s.url).catch((e: unknown) => e);
    expect(error).toMatchObject({ type: FailureType.BlockedBySite, nonRetryable: true });
    expect((error as Error).message).toContain('refused our crawler (HTTP 403');
    expect((error as Error).message).toContain(DEFAULT_USER_AGENT);
    expect(DEFAULT_USER_AGENT).toMatch(/^PersonaAnalyzer\/\d+\.\d+\.\d+ \(\+https:\/\/\S+\)$/);
    expect(s.hits('/').map((r) => r.headers['user-agent'])).toEqual([DEFAULT_USER_AGENT]);
  });
});

describe('the page cache', () => {
  /** A home page answering If-Modified-Since and an about page answering If-None-Match; two broken links. */
  async function cachedSite() {
    const lastModified = 'Mon, 01 Sep 2025 10:00:00 GMT';
    return site({
      '/': (req) =>
        req.headers['if-modified-since'] === lastModified
          ? { status: 304 }
          : { body: htmlPage('Home', links('/about', '/gone', '/removed')), headers: { 'last-modified': lastModified } },
      '/about': (req) => (req.headers['if-none-match'] === '"v1"' ? { status: 304 } : { body: htmlPage('About', '<p>About.</p>'), headers: { etag: '"v1"' } }),
      '/removed': { status: 410, body: 'gone for good' },
    });
  }

  it('remembers 404 and 410 for the TTL, sends no request for fresh pages, a conditional one for stale pages; forceRefresh re-reads', async () => {
    const s = await cachedSite();
    const first = await extract(s.url);
    expect(first.result).toEqual({ pageCount: 2, fetched: 2, fromCache: 0 });
    expect(skippedFor(first.report, s.url)).toEqual({ '/gone': 'broken_link', '/removed': 'broken_link' });
    expect(first.report.skipped.find((x) => x.url.endsWith('/removed'))?.detail).toBe('HTTP 410');
    const gone = await db.selectFrom('website_content').select(['status_code', 'html']).where('url', '=', `${s.url}gone`).executeTakeFirstOrThrow();
    expect(gone).toEqual({ status_code: 404, html: '' });

    // Fresh: not one request, broken links included, and they are still reported.
    const before = s.requests.length;
    const second = await extract(s.url);
    expect(s.requests.length).toBe(before);
    expect(second.result).toEqual({ pageCount: 2, fetched: 0, fromCache: 2 });
    expect(second.report.read.map((r) => r.from)).toEqual(['cache', 'cache']);
    expect(skippedFor(second.report, s.url)).toEqual({ '/gone': 'broken_link', '/removed': 'broken_link' });

    // Stale: conditional requests; 304 keeps the stored copy.
    await db.updateTable('website_content').set({ fetched_at: sql<Date>`now() - interval '2 days'` }).where('url', 'like', `${s.url}%`).execute();
    const third = await extract(s.url);
    expect(third.result).toEqual({ pageCount: 2, fetched: 0, fromCache: 2 });
    expect(third.report.read.map((r) => r.from)).toEqual(['revalidated', 'revalidated']);
    expect(s.hits('/').at(-1)!.headers['if-modified-since']).toBe('Mon, 01 Sep 2025 10:00:00 GMT');
    expect(s.hits('/about').at(-1)!.headers['if-none-match']).toBe('"v1"');
    expect(s.hits('/gone')).toHaveLength(2); // a stale broken link is asked again, plainly
    expect(s.hits('/gone').at(-1)!.headers['if-none-match']).toBeUndefined();
    expect(await storedIds(third.id)).toEqual(await storedIds(first.id));

    // forceRefresh: everything read again, unconditionally.
    const fourth = await extract(s.url, { forceRefresh: true });
    expect(fourth.result).toEqual({ pageCount: 2, fetched: 2, fromCache: 0 });
    const lastAbout = s.hits('/about').at(-1)!;
    expect(lastAbout.headers['if-none-match']).toBeUndefined();
    expect(s.hits('/about')).toHaveLength(3);
  });

  async function storedIds(analysisId: string) {
    const { content_ids } = await db.selectFrom('analyses').select('content_ids').where('id', '=', analysisId).executeTakeFirstOrThrow();
    return content_ids;
  }

  it('cleans a cached page again when the cleaner version changed', async () => {
    const s = await site({ '/': htmlPage('Home', '<p>Invoices for freelancers who hate paperwork.</p>') });
    const { id } = await extract(s.url);
    const processing = createProcessingActivities(deps());
    const corpus = async () => {
      const row = await db.selectFrom('analyses').select('corpus').where('id', '=', id).executeTakeFirstOrThrow();
      return JSON.stringify(row.corpus);
    };
    await new MockActivityEnvironment().run(processing.processContent, { analysisId: id });
    const [contentId] = await storedIds(id);
    const row = await db.selectFrom('website_content').select(['cleaned', 'cleaner_version']).where('id', '=', contentId!).executeTakeFirstOrThrow();
    expect(row.cleaner_version).toBe(CLEANER_VERSION);

    // A stored cleaned page of today's version is served as stored...
    const edited = JSON.stringify(row.cleaned).replaceAll('paperwork', 'STOREDCOPY');
    await db.updateTable('website_content').set({ cleaned: edited }).where('id', '=', contentId!).execute();
    await new MockActivityEnvironment().run(processing.processContent, { analysisId: id });
    expect(await corpus()).toContain('STOREDCOPY');

    // ...one of another version is cleaned again from the stored HTML.
    await db.updateTable('website_content').set({ cleaner_version: CLEANER_VERSION - 1 }).where('id', '=', contentId!).execute();
    await new MockActivityEnvironment().run(processing.processContent, { analysisId: id });
    expect(await corpus()).not.toContain('STOREDCOPY');
    expect(await corpus()).toContain('paperwork');
    const after = await db.selectFrom('website_content').select('cleaner_version').where('id', '=', contentId!).executeTakeFirstOrThrow();
    expect(after.cleaner_version).toBe(CLEANER_VERSION);
  });
});

describe('GET /analysis/{id}: pages', () => {
  it('lists the pages read and skipped, each with why', async () => {
    const acme = await companySite();
    const { id, report } = await extract(acme.url, { maxPages: 3 });
    await db.updateTable('analyses').set({ status: 'completed' }).where('id', '=', id).execute();
    const row = (await analysesRepository.statusById(db, id))!;
    const view = analysisStatus(row);
    expect(view.pages).toEqual(report);
    expect(view.pages!.read[0]).toEqual({ url: acme.url, kind: 'home', from: 'site' });
    expect(view.pages!.skipped).toContainEqual({ url: `${acme.url}login`, reason: 'robots', detail: 'its rule "Disallow: /login", line 2' });
    expect(view.pages!.skipped).toContainEqual({ url: `${acme.url}terms`, reason: 'page_limit', detail: '3 pages read' });
  });
});
