import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import winston from 'winston';
import { memoryRateLimits } from '../src/api/access/rate-limit.js';
import { createApp } from '../src/api/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { createDatabase, type Db } from '../src/database.js';
import { urlRefusal } from '../src/domain/address.js';
import { FAILURE_CODES, FailureType } from '../src/domain/failures.js';
import { createLogger } from '../src/logger.js';
import { insertAnalysis, quietActivityEnvironment, unusedModelClient } from '../test/support/activity-env.js';
import { serveSite, type TestSite } from '../test/support/sites.js';
import { startDecoy, temporaryDnsFailure, testResolver, type Decoy } from '../test/support/test-resolver.js';
import { createScrapingActivities, type ScrapingDeps } from './scraping.js';

/*
 * Hostile URLs through the validation step (real activity, real PostgreSQL, names answered by a
 * test resolver, never by the machine's DNS) and through the API's start route, while a decoy on
 * the loopback counts the connections it gets: zero. Unreachable sites say why.
 */

const databaseUrl = inject('databaseUrl');
let db: Db;
let decoy: Decoy;
let site: TestSite;
let sitePort: number;

const resolver = testResolver({
  'www.example-corp.com': '127.0.0.1',
  'v6.example-corp.com': '::1',
  // Only loopback answers reach the activity: a broken check would meet the decoy, never another
  // machine. A public answer beside a loopback one, and names resolving to a metadata address,
  // are checked with a test classifier in fetch-resource.test.ts.
  'multi.example-corp.com': ['127.0.0.1', '127.0.0.2'],
  'flaky.example-corp.com': temporaryDnsFailure('flaky.example-corp.com'),
  'site.test': '127.0.0.1',
});

beforeAll(async () => {
  db = createDatabase(databaseUrl, 2);
  decoy = await startDecoy();
  site = await serveSite({ '/': '<!doctype html><title>Site</title><p>Hello</p>', '/robots.txt': 'User-agent: *\nAllow: /\n' });
  sitePort = Number(new URL(site.url).port);
});

afterAll(async () => {
  await Promise.all([decoy?.close(), site?.close()]);
  await db?.destroy();
});

function scraping(config: Partial<Pick<Config, 'SCRAPE_ALLOW_PRIVATE_NETWORKS' | 'SCRAPE_ALLOWED_PORTS'>> = {}) {
  const deps: ScrapingDeps = {
    db,
    logger: createLogger('error'),
    ai: unusedModelClient(),
    config: { OPENAI_MODEL: 'unused', CACHE_TTL_HOURS: 24, SCRAPE_ALLOW_PRIVATE_NETWORKS: false, ...config },
    resolve: resolver,
  };
  return createScrapingActivities(deps);
}

async function validate(url: string, config: Parameters<typeof scraping>[0] = {}) {
  const analysisId = await insertAnalysis(db, url);
  return quietActivityEnvironment().run(scraping(config).validateSite, { analysisId });
}

async function refusal(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }
  throw new Error('expected the step to fail');
}

describe('validateSite refuses hostile destinations before any byte is sent', () => {
  const decoyPorts = () => ({ SCRAPE_ALLOWED_PORTS: [80, 443, decoy.port] as number[] });

  it.each(['www.example-corp.com', 'v6.example-corp.com', 'multi.example-corp.com', '127.0.0.1', '2130706433', '0x7f.1', '[::1]', '[::ffff:127.0.0.1]', 'localhost'])(
    'http://%s:<decoy>/ → URL_NOT_ALLOWED, naming the setting',
    async (host) => {
      const failure = await refusal(validate(`http://${host}:${decoy.port}/`, decoyPorts()));
      expect(failure.type).toBe(FailureType.UrlNotAllowed);
      expect(FAILURE_CODES[failure.type as FailureType]).toBe('URL_NOT_ALLOWED');
      expect(failure.message).toMatch(/SCRAPE_ALLOW_PRIVATE_NETWORKS=true admits loopback/);
      expect(decoy.connections()).toBe(0);
    },
  );

  it('a port outside SCRAPE_ALLOWED_PORTS is refused without even resolving the name', async () => {
    const calls = resolver.calls.length;
    const failure = await refusal(validate(`http://www.example-corp.com:${decoy.port}/`));
    expect(failure.type).toBe(FailureType.UrlNotAllowed);
    expect(failure.message).toMatch(new RegExp(`Port ${decoy.port} is not allowed.*SCRAPE_ALLOWED_PORTS`));
    expect(resolver.calls.length).toBe(calls);
    expect(decoy.connections()).toBe(0);
  });

  it('metadata addresses stay refused with SCRAPE_ALLOW_PRIVATE_NETWORKS=true', async () => {
    // A special name reaches the activity (it resolves nothing); literal metadata addresses are
    // refused by the pure URL rule, checked without handing them to code that connects.
    const failure = await refusal(validate(`http://metadata.google.internal:${decoy.port}/`, { SCRAPE_ALLOW_PRIVATE_NETWORKS: true, ...decoyPorts() }));
    expect(failure.type).toBe(FailureType.UrlNotAllowed);
    expect(failure.message).toMatch(/cloud metadata.*even with SCRAPE_ALLOW_PRIVATE_NETWORKS=true/);
    expect(decoy.connections()).toBe(0);
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[fd00:ec2::254]/']) {
      expect(urlRefusal(url, { allowPrivate: true, allowedPorts: [80, 443] }), url).toMatch(/cloud metadata.*even with SCRAPE_ALLOW_PRIVATE_NETWORKS=true/);
    }
  });

  it('with SCRAPE_ALLOW_PRIVATE_NETWORKS=true a local site is read, through the injected resolver', async () => {
    const result = await validate(`http://site.test:${sitePort}/`, { SCRAPE_ALLOW_PRIVATE_NETWORKS: true });
    expect(result).toEqual({ url: `http://site.test:${sitePort}/`, domain: 'site.test' });
    expect(site.hits.get('/robots.txt')).toBe(1);
  });
});

describe('a site that cannot be reached says why', () => {
  it('an unknown name: SITE_UNREACHABLE, could not resolve it, not retried', async () => {
    const failure = await refusal(validate('https://example.com/'));
    expect(failure.type).toBe(FailureType.SiteUnreachable);
    expect(FAILURE_CODES[failure.type as FailureType]).toBe('SITE_UNREACHABLE');
    expect(failure.message).toMatch(/^The name example\.com could not be found \(DNS\)/);
    expect(failure.nonRetryable).toBe(true);
  });

  it('a name server that does not answer: retried, and SITE_UNREACHABLE when retries run out', async () => {
    const failure = await refusal(validate('https://flaky.example-corp.com/'));
    expect(failure.type).toBe(FailureType.SiteUnavailable);
    expect(FAILURE_CODES[failure.type as FailureType]).toBe('SITE_UNREACHABLE');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toMatch(/^The name flaky\.example-corp\.com could not be looked up: its name server did not answer \(DNS\)\.$/);
  });

  it('nothing listening: says the site refused the connection', async () => {
    const closed = await serveSite({});
    const port = Number(new URL(closed.url).port);
    await closed.close();
    const failure = await refusal(validate(`http://site.test:${port}/`, { SCRAPE_ALLOW_PRIVATE_NETWORKS: true }));
    expect(failure.type).toBe(FailureType.SiteUnreachable);
    expect(failure.message).toMatch(/site\.test:\d+ refused the connection/);
  });
});

// ---------------------------------------------------------------------------------------------
// The API's start route: what a URL alone tells is refused with 422 and starts nothing.
// ---------------------------------------------------------------------------------------------

describe('POST /analysis/start', () => {
  function app(env: Record<string, string> = {}) {
    const touched: string[] = [];
    const standIn = <T>(name: string) =>
      new Proxy({}, {
        get(_t, prop) {
          if (prop === 'then' || typeof prop === 'symbol') return undefined;
          touched.push(`${name}.${String(prop)}`);
          throw new Error(`${name} stand-in reached`);
        },
      }) as T;
    const config = loadConfig(env);
    // No keys and limits kept in memory: the access checks need no database, so any touch of it is the route's.
    const access = { keys: { byHash: async () => undefined, anyExists: async () => false, touch: () => {} }, rateLimits: memoryRateLimits(config) };
    const instance = createApp({ db: standIn<Db>('db'), temporal: standIn<Client>('temporal'), taskQueue: 'q', logger: winston.createLogger({ silent: true }), config, access });
    const start = async (url: string) => {
      const res = await instance.request('/api/v2/analysis/start', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url }) });
      return { status: res.status, body: (await res.json()) as { success: boolean; error?: { code: string; message: string } } };
    };
    return { start, touched };
  }

  it.each([
    ['http://127.0.0.1/', /loopback/],
    ['http://2130706433/', /127\.0\.0\.1 is a loopback/],
    ['http://0x7f.1/', /loopback/],
    ['http://[::1]:80/', /loopback/],
    ['http://[::ffff:127.0.0.1]/', /loopback/],
    ['http://10.0.0.5/', /is a private \(non-public\) address/],
    ['http://100.64.0.1/', /is a private \(non-public\) address/],
    ['http://169.254.169.254/latest/meta-data/', /cloud metadata/],
    ['http://metadata.google.internal/', /cloud metadata/],
    ['http://localhost/', /loopback/],
    ['ftp://example.com/', /Only http and https/],
    ['javascript:alert(1)', /Only http and https/],
    ['https://user:pw@example.com/', /user name or password/],
    ['https://example.com:8443/', /Port 8443 is not allowed.*SCRAPE_ALLOWED_PORTS/],
  ])('%s → 422 URL_NOT_ALLOWED, nothing stored or started', async (url, message) => {
    const { start, touched } = app();
    const { status, body } = await start(url);
    expect(status).toBe(422);
    expect(body.success).toBe(false);
    expect(body.error?.code).toBe('URL_NOT_ALLOWED');
    expect(body.error?.message).toMatch(message);
    expect(touched).toEqual([]);
  });

  it('malformed input stays a 400 VALIDATION_ERROR', async () => {
    const { start, touched } = app();
    for (const url of ['not a url', 'http://', '']) {
      const { status, body } = await start(url);
      expect(status, url).toBe(400);
      expect(body.error?.code).toBe('VALIDATION_ERROR');
    }
    expect(touched).toEqual([]);
  });

  it('SCRAPE_ALLOW_PRIVATE_NETWORKS=true lets a local site through to the start, never metadata; SCRAPE_ALLOWED_PORTS widens the ports', async () => {
    const local = app({ SCRAPE_ALLOW_PRIVATE_NETWORKS: 'true' });
    // Past the URL checks: the stand-in database is reached (and fails, as a stand-in does).
    expect((await local.start('http://127.0.0.1:5173/')).status).not.toBe(422);
    expect(local.touched.length).toBeGreaterThan(0);
    const metadata = app({ SCRAPE_ALLOW_PRIVATE_NETWORKS: 'true' });
    expect((await metadata.start('http://169.254.169.254/')).body.error?.code).toBe('URL_NOT_ALLOWED');
    expect(metadata.touched).toEqual([]);
    const ports = app({ SCRAPE_ALLOWED_PORTS: '80,443,8443' });
    expect((await ports.start('https://example.com:8443/')).status).not.toBe(422);
  });

  it('a bad SCRAPE_ALLOWED_PORTS stops start-up with a message naming it', () => {
    expect(() => loadConfig({ SCRAPE_ALLOWED_PORTS: '80,http' })).toThrow(/SCRAPE_ALLOWED_PORTS/);
    expect(() => loadConfig({ SCRAPE_ALLOWED_PORTS: '0' })).toThrow(/SCRAPE_ALLOWED_PORTS/);
    expect(loadConfig({ SCRAPE_ALLOWED_PORTS: '80, 8080' }).SCRAPE_ALLOWED_PORTS).toEqual([80, 8080]);
    expect(loadConfig({ SCRAPE_ALLOWED_PORTS: '*' }).SCRAPE_ALLOWED_PORTS).toBe('any');
  });
});
