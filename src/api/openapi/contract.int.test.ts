import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACME_PAGES } from '../../../test/support/acme-site.js';
import { startTestService, type TestService } from '../../../test/support/service.js';
import { serveSite, type TestSite } from '../../../test/support/sites.js';
import { createApiClient } from '../client/index.js';
import { describeApi } from './generate.js';

/**
 * The typed client (openapi-fetch over the generated types) against a running API and worker, and
 * every answer it gets checked against the document's schema for that route, status and media
 * type: what the document promises is what the service sends.
 */

const spec = describeApi() as any;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);

/** Fails with ajv's errors when `res` is not what the document says `method path` answers with `res.status`. */
function expectDocumented(method: string, path: string, res: Response, body: unknown) {
  const operation = spec.paths[path]?.[method];
  expect(operation, `${method.toUpperCase()} ${path} is documented`).toBeDefined();
  const written = operation.responses[String(res.status)];
  const response = written?.$ref ? spec.components.responses[written.$ref.split('/').pop()] : written;
  expect(response, `${method.toUpperCase()} ${path} documents status ${res.status}`).toBeDefined();
  for (const [name, header] of Object.entries<any>(response.headers ?? {})) {
    if (header.required) expect(res.headers.get(name), `header ${name}`).not.toBeNull();
  }
  const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const content = response.content?.[mediaType];
  expect(content, `${method.toUpperCase()} ${path} ${res.status} documents ${mediaType}`).toBeDefined();
  // The schema's $refs point into the document's components: validate with them at the root.
  const validate = ajv.compile({ ...content.schema, components: spec.components });
  const valid = validate(body);
  expect(valid ? [] : validate.errors, `${method.toUpperCase()} ${path} ${res.status} body`).toEqual([]);
}

let service: TestService;
let site: TestSite;

beforeAll(async () => {
  service = await startTestService();
  site = await serveSite(ACME_PAGES);
});

afterAll(async () => {
  await service?.stop();
  await site?.close();
});

describe('the typed client against the running API', () => {
  it('starts an analysis, follows its status to the end and reads the report; every answer matches the document', async () => {
    const api = createApiClient(service.apiUrl);

    const started = await api.POST('/api/v2/analysis/start', {
      body: { url: site.url, options: { maxPages: 3, personaCount: 1 } },
      headers: { 'Idempotency-Key': `contract-${Date.now()}` },
    });
    expect(started.response.status).toBe(202);
    expectDocumented('post', '/api/v2/analysis/start', started.response, started.data);
    const id = started.data!.data.analysisId;
    expect(started.response.headers.get('Location')).toBe(`/api/v2/analysis/${id}`);

    const deadline = Date.now() + 120_000;
    let status = await api.GET('/api/v2/analysis/{id}', { params: { path: { id } } });
    while (!['completed', 'failed', 'cancelled'].includes(status.data?.data.status ?? '')) {
      expect(status.response.status).toBe(200);
      expectDocumented('get', '/api/v2/analysis/{id}', status.response, status.data);
      if (Date.now() > deadline) throw new Error(`analysis ${id} did not finish; last: ${JSON.stringify(status.data)}`);
      await new Promise((r) => setTimeout(r, 200));
      status = await api.GET('/api/v2/analysis/{id}', { params: { path: { id } } });
    }
    expectDocumented('get', '/api/v2/analysis/{id}', status.response, status.data);
    expect(status.data!.data.status).toBe('completed');
    expect(status.data!.data.percent).toBe(100);

    const report = await api.GET('/api/v2/analysis/{id}/report', { params: { path: { id } } });
    expect(report.response.status).toBe(200);
    expectDocumented('get', '/api/v2/analysis/{id}/report', report.response, report.data);
    // JSON, Markdown, HTML or PDF by `format`: the typed body is their union.
    const body = report.data as { data: { report: { personas: unknown[] } } };
    expect(body.data.report.personas).toHaveLength(1);

    const markdown = await api.GET('/api/v2/analysis/{id}/report', { params: { path: { id }, query: { format: 'markdown' } }, parseAs: 'text' });
    expectDocumented('get', '/api/v2/analysis/{id}/report', markdown.response, markdown.data);

    // Other test files add analyses to the same database meanwhile: page until this one shows up.
    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      const list = await api.GET('/api/v2/analysis', { params: { query: { limit: 5, ...(cursor ? { cursor } : {}) } } });
      expectDocumented('get', '/api/v2/analysis', list.response, list.data);
      listed.push(...list.data!.data.items.map((i) => i.analysisId));
      cursor = list.data!.data.nextCursor ?? undefined;
    } while (cursor && !listed.includes(id));
    expect(listed).toContain(id);

    const health = await api.GET('/api/v2/health');
    expectDocumented('get', '/api/v2/health', health.response, health.data);
  });

  it('gets errors in the documented envelope: 400, 404, 405 and 409', async () => {
    const api = createApiClient(service.apiUrl);
    // The check itself can fail: a body missing what the document requires is refused.
    const ok = new Response('{}', { status: 200, headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'x' } });
    expect(() => expectDocumented('get', '/api/v2/analysis/{id}', ok, { success: true, data: { analysisId: 'x' } })).toThrow(/body/);

    const invalid = await api.POST('/api/v2/analysis/start', { body: { url: 'not a url' } });
    expect(invalid.response.status).toBe(400);
    expectDocumented('post', '/api/v2/analysis/start', invalid.response, invalid.error);

    const missing = await api.GET('/api/v2/analysis/{id}', { params: { path: { id: '00000000-0000-4000-8000-000000000000' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.error.code).toBe('NOT_FOUND');
    expectDocumented('get', '/api/v2/analysis/{id}', missing.response, missing.error);

    const notReady = await api.GET('/api/v2/analysis/{id}/report', { params: { path: { id: '00000000-0000-4000-8000-000000000000' }, query: { version: 1 } } });
    expectDocumented('get', '/api/v2/analysis/{id}/report', notReady.response, notReady.error);

    // A method the path does not have: the document's 405 (with Allow) describes it.
    const get = await fetch(`${service.apiUrl}/api/v2/analysis/00000000-0000-4000-8000-000000000000/cancel`);
    expect(get.status).toBe(405);
    expect(get.headers.get('Allow')).toBe('POST');
    expectDocumented('post', '/api/v2/analysis/{id}/cancel', get, await get.json());

    const finished = await api.GET('/api/v2/analysis', { params: { query: { status: 'completed', limit: 1 } } });
    const done = finished.data!.data.items[0];
    expect(done, 'the analysis of the first test').toBeDefined();
    const cancel = await api.POST('/api/v2/analysis/{id}/cancel', { params: { path: { id: done!.analysisId } } });
    expect(cancel.response.status).toBe(409);
    expect(cancel.error?.error.code).toBe('ALREADY_FINISHED');
    expectDocumented('post', '/api/v2/analysis/{id}/cancel', cancel.response, cancel.error);
  });
});

describe('the interactive docs in Chromium', () => {
  it('render every documented operation with nothing loaded from another origin', async () => {
    const executablePath = '/usr/bin/chromium';
    expect(existsSync(executablePath), 'Chromium is needed: apt-get install chromium').toBe(true);
    const profile = mkdtempSync(path.join(tmpdir(), 'api-docs-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 1400 },
    });
    try {
      const page = await context.newPage();
      const elsewhere: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(service.apiUrl)) elsewhere.push(r.url());
      });
      await page.goto(`${service.apiUrl}/api/v2/docs`);
      const count = Object.values<any>(spec.paths).reduce((n, item) => n + Object.keys(item).length, 0);
      // Runs in the page: `document` there is the DOM.
      await page.waitForFunction((n) => window.document.querySelectorAll('.opblock').length === n, count, { timeout: 60_000 });
      const shown = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.textContent));
      expect(new Set(shown)).toEqual(new Set(Object.keys(spec.paths)));
      expect(elsewhere).toEqual([]);
      const dir = path.resolve('.dev/screenshots');
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: path.join(dir, 'api-docs.png') });
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
