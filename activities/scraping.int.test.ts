import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Db } from '../src/database.js';
import { createLogger } from '../src/logger.js';
import { serveSite, type Route, type TestSite } from '../test/support/sites.js';
import { createScrapingActivities, type ScrapingDeps } from './scraping.js';
import { startDecoy, testResolver } from '../test/support/test-resolver.js';
import { classifyAddress, isAllowedClass, urlRefusal } from '../src/domain/address.js';
import { unusedModelClient } from '../test/support/activity-env.js';
import { insertAnalysis } from '../test/support/activity-env.js';

const databaseUrl = inject('databaseUrl');
let db: Db;
const sites: TestSite[] = [];

beforeAll(async () => {
  db = createDatabase(databaseUrl, 2);
});

afterAll(async () => {
  await Promise.all(sites.map((s) => s.close()));
  await db?.destroy();
});

/** Names resolve through a test resolver, never the machine's DNS: localhost is the loopback, anything else does not exist. */
const resolve = testResolver({ localhost: ['127.0.0.1', '::1'] });

function activities(allowPrivate = true) {
  const deps: ScrapingDeps = {
    db,
    logger: createLogger('error'),
    // Never called by these activities.
    ai: unusedModelClient(),
    config: { OPENAI_MODEL: 'unused', SCRAPE_ALLOW_PRIVATE_NETWORKS: allowPrivate, CACHE_TTL_HOURS: 24 },
    resolve,
  };
  return createScrapingActivities(deps);
}

async function site(routes: Record<string, Route>): Promise<TestSite> {
  const s = await serveSite(routes);
  sites.push(s);
  return s;
}

const newAnalysis = (url: string, options: Record<string, unknown> = {}) => insertAnalysis(db, url, options);

/** Runs an activity as Temporal would, collecting its heartbeats. */
async function run<R>(fn: (input: { analysisId: string }) => Promise<R>, analysisId: string, env = new MockActivityEnvironment()) {
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => heartbeats.push(d));
  const result = (await env.run(fn, { analysisId })) as R;
  return { result, heartbeats };
}

async function storedUrls(analysisId: string): Promise<string[]> {
  const { content_ids } = await db.selectFrom('analyses').select('content_ids').where('id', '=', analysisId).executeTakeFirstOrThrow();
  const rows = await db.selectFrom('website_content').select(['id', 'url']).where('id', 'in', content_ids.length ? content_ids : [randomUUID()]).execute();
  return content_ids.map((id) => rows.find((r) => r.id === id)!.url);
}

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><title>${title}</title></head><body><nav><a href="/">Home</a></nav><main><h1>${title}</h1>${body}</main></body></html>`;

/** A small company site: home links to about, pricing, blog, a robots-disallowed page, an image and another site. */
async function companySite() {
  const elsewhere = await site({ '/': page('Elsewhere', '<p>Another site.</p>') });
  const routes: Record<string, Route> = {
    '/': page(
      'Acme',
      `<p>Acme makes invoicing simple for freelancers.</p>
       <a href="/about">About</a> <a href="/pricing?utm_source=home">Pricing</a> <a href="/blog/">Blog</a>
       <a href="/private/secret">Secret</a> <a href="/logo.png">Logo</a> <a href="${elsewhere.url}partner">Partner</a>`,
    ),
    '/about': page('About', '<p>Founded in 2015 by two freelancers.</p>'),
    '/pricing': page('Pricing', '<p>Solo: 9 euros per month.</p>'),
    '/blog/': page('Blog', '<p>Latest posts.</p><a href="/blog/first-post">First post</a>'),
    '/blog/first-post': page('First post', '<p>Why invoices get paid late.</p>'),
    '/customers': page('Customers', '<p>Photographers and designers use Acme.</p>'),
    '/private/secret': page('Secret', '<p>Admin only.</p>'),
    '/logo.png': { body: Buffer.from([0x89, 0x50, 0x4e, 0x47]), type: 'image/png' },
  };
  const acme = await site(routes);
  // Routes are read per request, so these can name the port the site got.
  routes['/robots.txt'] = `User-agent: *\nDisallow: /private/\n\nSitemap: ${acme.url}sitemap.xml\n`;
  routes['/sitemap.xml'] = `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <url><loc>${acme.url}</loc></url><url><loc>${acme.url}customers</loc></url><url><loc>${acme.url}private/secret</loc></url>
    <url><loc>${elsewhere.url}from-sitemap</loc></url></urlset>`;
  return { acme, elsewhere };
}

const htmlHits = (s: TestSite) => [...s.hits].filter(([p]) => !['/robots.txt', '/sitemap.xml'].includes(p)).reduce((n, [, c]) => n + c, 0);

describe('extractContent', () => {
  it('crawls same-site pages in priority order, honouring robots.txt, and reads the sitemap', async () => {
    const { acme, elsewhere } = await companySite();
    const id = await newAnalysis(acme.url);
    const { result, heartbeats } = await run(activities().extractContent, id);

    expect(result).toEqual({ pageCount: 6, fetched: 6, fromCache: 0 });
    expect(await storedUrls(id)).toEqual([
      acme.url,
      `${acme.url}about`,
      `${acme.url}pricing`,
      `${acme.url}customers`, // only the sitemap names it
      `${acme.url}blog/`,
      `${acme.url}blog/first-post`,
    ]);
    expect(acme.hits.get('/private/secret')).toBeUndefined(); // robots.txt
    expect(acme.hits.get('/logo.png')).toBeUndefined(); // not a page
    expect(elsewhere.hits.size).toBe(0); // another site (another port), linked and in the sitemap
    expect(acme.hits.get('/robots.txt')).toBe(1);
    expect(heartbeats.at(-1)).toEqual({ done: 6, total: 10 });
    expect(heartbeats.length).toBeGreaterThanOrEqual(6);

    const stored = await db.selectFrom('website_content').selectAll().where('url', '=', `${acme.url}pricing`).executeTakeFirstOrThrow();
    expect(stored.status_code).toBe(200);
    expect(stored.content_type).toMatch(/^text\/html/);
    expect(stored.html).toContain('Solo: 9 euros per month.');
    expect(stored.content_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('stops at maxPages', async () => {
    const { acme } = await companySite();
    const id = await newAnalysis(acme.url, { maxPages: 3 });
    const { result } = await run(activities().extractContent, id);
    expect(result.pageCount).toBe(3);
    expect(await storedUrls(id)).toEqual([acme.url, `${acme.url}about`, `${acme.url}pricing`]);
    expect(htmlHits(acme)).toBe(3);
  });

  it('reads nothing from the site again within the cache TTL; forceRefresh fetches again', async () => {
    const { acme } = await companySite();
    const first = await newAnalysis(acme.url);
    await run(activities().extractContent, first);
    const hitsAfterFirst = new Map(acme.hits);

    const second = await newAnalysis(acme.url);
    const { result } = await run(activities().extractContent, second);
    expect(result).toEqual({ pageCount: 6, fetched: 0, fromCache: 6 });
    expect(acme.hits).toEqual(hitsAfterFirst); // not even robots.txt or the sitemap
    expect(await storedUrls(second)).toEqual(await storedUrls(first));

    const refreshed = await newAnalysis(acme.url, { forceRefresh: true });
    const again = await run(activities().extractContent, refreshed);
    expect(again.result).toEqual({ pageCount: 6, fetched: 6, fromCache: 0 });
    expect(acme.hits.get('/')).toBe(2);
    expect(acme.hits.get('/pricing')).toBe(2);
    // Same bodies: the same rows, with a newer fetch time.
    const { content_ids: firstIds } = await db.selectFrom('analyses').select('content_ids').where('id', '=', first).executeTakeFirstOrThrow();
    const { content_ids: refreshedIds } = await db.selectFrom('analyses').select('content_ids').where('id', '=', refreshed).executeTakeFirstOrThrow();
    expect(refreshedIds).toEqual(firstIds);
  });

  it('follows redirects within the site and stores the page under the URL asked for', async () => {
    const acme = await site({
      '/': page('Home', '<p>Home page.</p><a href="/old-about">About</a>'),
      '/old-about': { status: 301, body: '', headers: { location: '/about' } },
      '/about': page('About', '<p>We moved.</p>'),
    });
    const id = await newAnalysis(acme.url);
    const { result } = await run(activities().extractContent, id);
    expect(result.pageCount).toBe(2);
    expect(await storedUrls(id)).toEqual([acme.url, `${acme.url}old-about`]);
  });

  it.each([
    [404, 'SiteUnreachable', true],
    [410, 'SiteUnreachable', true],
    [503, undefined, false],
    [429, undefined, false],
  ] as const)('start page answering %i fails with %s (non-retryable: %s)', async (status, type, nonRetryable) => {
    const acme = await site({ '/': { status, body: 'nope' } });
    const id = await newAnalysis(acme.url);
    const error = await run(activities().extractContent, id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    if (nonRetryable) expect(error).toMatchObject({ type, nonRetryable: true });
    else expect(error instanceof ApplicationFailure && error.nonRetryable).toBe(false);
    expect((error as Error).message).toContain(String(status));
  });

  it('fails non-retryably when the site refuses connections, and with NoContent for a start page that is not HTML', async () => {
    const closed = await serveSite({});
    await closed.close();
    const refused = await run(activities().extractContent, await newAnalysis(closed.url)).catch((e: unknown) => e);
    expect(refused).toMatchObject({ type: 'SiteUnreachable', nonRetryable: true });
    expect((refused as Error).message).toContain('ECONNREFUSED');

    const pdf = await site({ '/': { body: '%PDF-1.4', type: 'application/pdf' } });
    const notHtml = await run(activities().extractContent, await newAnalysis(pdf.url)).catch((e: unknown) => e);
    expect(notHtml).toMatchObject({ type: 'NoContent', nonRetryable: true });
  });

  it('refuses a start page that redirects to another site', async () => {
    const other = await site({ '/': page('Other', '<p>Other.</p>') });
    const acme = await site({ '/': { status: 302, body: '', headers: { location: other.url } } });
    const error = await run(activities().extractContent, await newAnalysis(acme.url)).catch((e: unknown) => e);
    expect(error).toMatchObject({ type: 'SiteUnreachable', nonRetryable: true });
    expect(other.hits.size).toBe(0);
  });

  it('skips pages that fail and keeps going', async () => {
    const acme = await site({
      '/': page('Home', '<p>Home.</p><a href="/broken">Broken</a><a href="/pdf">PDF</a><a href="/about">About</a>'),
      '/broken': { status: 500, body: 'oops' },
      '/pdf': { body: '%PDF', type: 'application/pdf' },
      '/about': page('About', '<p>About.</p>'),
    });
    const id = await newAnalysis(acme.url);
    const { result } = await run(activities().extractContent, id);
    expect(result.pageCount).toBe(2);
    expect(await storedUrls(id)).toEqual([acme.url, `${acme.url}about`]);
  });

  it('stops when the activity is cancelled', async () => {
    const routes: Record<string, Route> = {
      '/': page('Home', Array.from({ length: 6 }, (_, i) => `<a href="/slow-${i}">Slow ${i}</a>`).join('')),
    };
    for (let i = 0; i < 6; i++) routes[`/slow-${i}`] = { body: page('Slow', '<p>Slow.</p>'), delayMs: 60_000 };
    const acme = await site(routes);
    const env = new MockActivityEnvironment();
    // Cancel as soon as the start page is in: the slow pages never answer.
    env.on('heartbeat', () => env.cancel());
    const started = Date.now();
    const error = await env.run(activities().extractContent, { analysisId: await newAnalysis(acme.url) }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((error as Error).name).toMatch(/AbortError|CancelledFailure/);
  });
});

describe('validateSite', () => {
  it('accepts a reachable site whose robots.txt allows us', async () => {
    const { acme } = await companySite();
    const { result } = await run(activities().validateSite, await newAnalysis(`${acme.url}?utm_source=x#top`));
    expect(result).toEqual({ url: acme.url, domain: '127.0.0.1' });
  });

  /*
   * Only loopback addresses reach an activity here, each on a decoy that counts connections: a
   * broken check would connect to the decoy, never to a real private, link-local or metadata
   * address. Those classes are refused by the same pure rules, checked below without a socket.
   */
  it.each(['127.0.0.1', 'localhost', '[::1]', '127.0.0.2'])('refuses %s unless private networks are allowed (nothing is fetched)', async (host) => {
    const decoy = await startDecoy();
    try {
      const error = await run(activities(false).validateSite, await newAnalysis(`http://${host}:${decoy.port}/`)).catch((e: unknown) => e);
      expect(error).toMatchObject({ type: 'UrlNotAllowed', nonRetryable: true });
      expect(decoy.connections()).toBe(0);
    } finally {
      await decoy.close();
    }
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', 'metadata'],
    ['http://10.0.0.1/', 'private'],
    ['http://[fe80::1]/', 'link-local'],
  ] as const)('refuses %s by the pure address rules, before any activity would connect', (url, kind) => {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    expect(classifyAddress(host)).toBe(kind);
    expect(urlRefusal(url, { allowPrivate: false, allowedPorts: [80, 443] })).toMatch(/non-public|not allowed|refused/i);
    expect(isAllowedClass(kind, true)).toBe(kind === 'private');
  });

  it('says a host name resolves to a non-public address without naming the address', async () => {
    const error = await run(activities(false).validateSite, await newAnalysis('http://localhost:9/')).catch((e: unknown) => e);
    expect(error).toMatchObject({ type: 'UrlNotAllowed', nonRetryable: true });
    const message = (error as Error).message;
    expect(message).toContain('localhost resolves to a loopback (non-public) address');
    expect(message).not.toContain('127.0.0.1');
    expect(message).not.toContain('::1');
  });

  it('refuses the loopback test site itself when private networks are not allowed, without a request', async () => {
    const { acme } = await companySite();
    const error = await run(activities(false).validateSite, await newAnalysis(acme.url)).catch((e: unknown) => e);
    expect(error).toMatchObject({ type: 'UrlNotAllowed', nonRetryable: true });
    expect((error as Error).message).toContain('loopback');
    expect(acme.hits.size).toBe(0);
  });

  it.each(['ftp://example.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'https://user:secret@example.com/'])('refuses %s as an invalid URL', async (url) => {
    const error = await run(activities().validateSite, await newAnalysis(url)).catch((e: unknown) => e);
    expect(error).toMatchObject({ type: 'UrlNotAllowed', nonRetryable: true });
  });

  it('refuses a host that does not exist, saying so in words (the test resolver knows no such name)', async () => {
    const error = await run(activities().validateSite, await newAnalysis('https://no-such-host.invalid/')).catch((e: unknown) => e);
    expect(error).toMatchObject({ type: 'SiteUnreachable', nonRetryable: true });
    expect((error as Error).message).toMatch(/^The name no-such-host\.invalid could not be found \(DNS\)/);
    expect(resolve.calls).toContain('no-such-host.invalid');
  });

  it('refuses a start page that robots.txt disallows; a missing robots.txt allows everything', async () => {
    const closedSite = await site({ '/robots.txt': 'User-agent: *\nDisallow: /\n', '/': page('Home', '<p>Hi.</p>') });
    const error = await run(activities().validateSite, await newAnalysis(closedSite.url)).catch((e: unknown) => e);
    expect(error).toMatchObject({ type: 'RobotsDisallowed', nonRetryable: true });
    expect(closedSite.hits.get('/')).toBeUndefined();

    const ourAgentOnly = await site({ '/robots.txt': 'User-agent: PersonaAnalyzer\nDisallow: /\n\nUser-agent: *\nAllow: /\n', '/': page('Home', '<p>Hi.</p>') });
    await expect(run(activities().validateSite, await newAnalysis(ourAgentOnly.url))).rejects.toMatchObject({ type: 'RobotsDisallowed' });

    const noRobots = await site({ '/': page('Home', '<p>Hi.</p>') });
    await expect(run(activities().validateSite, await newAnalysis(noRobots.url))).resolves.toMatchObject({ result: { url: noRobots.url } });
    expect(noRobots.hits.get('/robots.txt')).toBe(1);
  });

  it('treats a failing robots.txt (5xx) as "not now": a retryable failure', async () => {
    const acme = await site({ '/robots.txt': { status: 503, body: 'down' }, '/': page('Home', '<p>Hi.</p>') });
    const error = await run(activities().validateSite, await newAnalysis(acme.url)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error instanceof ApplicationFailure && error.nonRetryable).toBe(false);
    expect(error).toMatchObject({ type: 'SiteUnavailable' });
    expect((error as Error).message).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/robots\.txt answered HTTP 503 \(Service Unavailable\)/);
    expect(acme.hits.get('/')).toBeUndefined();
  });

  it('fails non-retryably for an analysis that does not exist', async () => {
    await expect(run(activities().validateSite, randomUUID())).rejects.toMatchObject({ type: 'AnalysisNotFound', nonRetryable: true });
  });
});
