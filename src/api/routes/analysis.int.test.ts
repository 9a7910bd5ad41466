import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, defaultPayloadConverter, type WorkflowHandle } from '@temporalio/client';
import { sql } from 'kysely';
import pg from 'pg';
import winston from 'winston';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AnalysisStatusKey, SiteDomainKey, type AnalysisWorkflowInput } from '../../../workflows/definitions.js';
import { loadConfig } from '../../config.js';
import { createDatabase, type Db } from '../../database.js';
import { freePort } from '../../dev/free-port.js';
import { samplePersona, sampleReport } from '../../../test/support/sample-report.js';
import type { ReportContent } from '../../domain/report.js';
import { createLogger } from '../../logger.js';
import { migrateToLatest } from '../../migrate.js';
import { connectTemporal } from '../../temporal.js';
import { createApp, type ApiDeps } from '../app.js';
import type { ApiResponse } from '../envelope.js';
import { startApi, type RunningApi } from '../server.js';

/**
 * The API over real HTTP against the test stack's PostgreSQL and Temporal dev server. No worker
 * polls this file's task queue, so every workflow stays pending, exactly as in an outage of the
 * workers; that is also what makes the status route fall back to PostgreSQL.
 *
 * Isolation from other test files running at the same time: a database of its own (row counts
 * stay exact) and a task queue of its own (no other file's worker picks these workflows up).
 */

const taskQueue = `api-int-${randomUUID()}`;
const logger = createLogger('warn');
const startedWorkflows = new Set<string>();

let adminUrl: string;
let databaseName: string;
let db: Db;
let connection: Connection;
let client: Client;
let api: RunningApi;
let deadConnection: Connection | undefined;
let deadConnectionLastUsed = 0;
/** The longest the client's gRPC retry schedules its next attempt (maxIntervalMs of its default policy). */
const GRPC_RETRY_MAX_INTERVAL_MS = 5_000;

async function createOwnDatabase(baseUrl: string): Promise<string> {
  databaseName = `api_int_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${databaseName}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${databaseName}`;
  return url.toString();
}

function deps(overrides: Partial<ApiDeps> = {}): ApiDeps {
  return {
    db,
    temporal: client,
    taskQueue,
    logger,
    // Limits out of reach: rate limiting has its own tests (access/access.int.test.ts).
    config: loadConfig({ RATE_LIMIT_WRITES_PER_MINUTE: '100000', RATE_LIMIT_READS_PER_MINUTE: '100000' }),
    workflowIdleTimeout: '1 minute',
    ...overrides,
  };
}

beforeAll(async () => {
  adminUrl = inject('databaseUrl');
  const databaseUrl = await createOwnDatabase(adminUrl);
  await migrateToLatest(databaseUrl);
  db = createDatabase(databaseUrl, 4);
  ({ connection, client } = await connectTemporal({ TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: 'default' }));
  api = await startApi({ app: createApp(deps()), port: 0, hostname: '127.0.0.1' });
});

afterAll(async () => {
  await Promise.all(
    [...startedWorkflows].map((id) => client?.workflow.getHandle(id).terminate('api integration test cleanup').catch(() => undefined)),
  );
  await api?.close();
  await connection?.close();
  if (deadConnection) {
    await sleep(Math.max(0, deadConnectionLastUsed + GRPC_RETRY_MAX_INTERVAL_MS + 500 - Date.now()));
    await deadConnection.close();
  }
  await db?.destroy();
  if (databaseName) {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${databaseName} with (force)`).finally(() => admin.end());
  }
});

async function call<T = any>(path: string, init: RequestInit & { json?: unknown; base?: string } = {}) {
  const { json, base, ...rest } = init;
  const res = await fetch(`${base ?? api.url}/api/v2${path}`, {
    ...rest,
    headers: { ...(json !== undefined ? { 'Content-Type': 'application/json' } : {}), ...(rest.headers as Record<string, string>) },
    body: json !== undefined ? JSON.stringify(json) : rest.body,
  });
  const text = await res.text();
  const isJson = res.headers.get('content-type')?.startsWith('application/json');
  return { status: res.status, headers: res.headers, text, body: (isJson ? JSON.parse(text) : undefined) as ApiResponse<T> };
}

async function start(url: string, init: { options?: object; key?: string } = {}) {
  const res = await call('/analysis/start', {
    method: 'POST',
    json: { url, ...(init.options ? { options: init.options } : {}) },
    headers: init.key ? { 'Idempotency-Key': init.key } : {},
  });
  if (res.status === 202) startedWorkflows.add(`analysis-${res.body.data.analysisId}`);
  return res;
}

async function countAnalyses(): Promise<number> {
  const row = await db.selectFrom('analyses').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

function uniqueHost(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}.example.com`;
}

function handleOf(analysisId: string): WorkflowHandle {
  return client.workflow.getHandle(`analysis-${analysisId}`);
}

async function historyEvents(analysisId: string, runId?: string) {
  const history = await client.workflow.getHandle(`analysis-${analysisId}`, runId).fetchHistory();
  return history.events ?? [];
}

function reportContent(domain: string, version: number): ReportContent {
  return sampleReport({ site: { url: `https://${domain}/`, domain, title: 'Acme Bridges' }, personas: [samplePersona()], version });
}

/** What a worker would have written: a finished first report. */
async function markCompletedWithReport(analysisId: string, domain: string) {
  await db
    .updateTable('analyses')
    .set({ status: 'completed', latest_version: 1, completed_at: new Date() })
    .where('id', '=', analysisId)
    .execute();
  await db
    .insertInto('reports')
    .values({
      analysis_id: analysisId,
      version: 1,
      status: 'passed',
      content: JSON.stringify(reportContent(domain, 1)),
      quality: JSON.stringify({ passed: true, issues: [] }),
      model: 'test-model',
      instructions: null,
      stand_in: false,
      finalized_at: new Date(),
    })
    .execute();
}

/**
 * First in the file on purpose: the Temporal client keeps retrying UNAVAILABLE calls on timers that
 * outlive the request deadline, and closing the channel under a pending retry throws an uncaught
 * "Channel has been shut down". afterAll closes the dead connection once those timers have run out.
 */
describe('Temporal unreachable', () => {
  it('start → 503 SERVICE_UNAVAILABLE with the row rolled back; status from PostgreSQL; regenerate marked not started; health down', async () => {
    deadConnection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
    const deadClient = new Client({ connection: deadConnection, namespace: 'default' });
    const outage = await startApi({
      // Silent: the 503s logged with their stack here are expected.
      app: createApp(deps({ temporal: deadClient, temporalTimeoutMs: 1_500, logger: winston.createLogger({ silent: true }) })),
      port: 0,
      hostname: '127.0.0.1',
    });
    try {
      const before = await countAnalyses();
      const began = Date.now();
      const res = await call('/analysis/start', { base: outage.url, method: 'POST', json: { url: `https://${uniqueHost('outage')}` } });
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ success: false, error: { code: 'SERVICE_UNAVAILABLE' } });
      expect(Date.now() - began).toBeLessThan(5_000);
      expect(await countAnalyses()).toBe(before);

      // Status still answers from PostgreSQL while Temporal is down.
      const existing = await start(`https://${uniqueHost('outage-status')}`);
      const status = await call(`/analysis/${existing.body.data.analysisId}`, { base: outage.url });
      expect(status.status).toBe(200);
      expect(status.body.data.source).toBe('database');

      // A regeneration whose signal cannot be delivered keeps its version number used up (a signal
      // that timed out may still arrive) and is marked as not started, so nothing looks under way.
      const host = uniqueHost('outage-regen');
      const finished = (await start(`https://${host}/`)).body.data.analysisId;
      await markCompletedWithReport(finished, host);
      const regen = await call(`/analysis/${finished}/regenerate`, { base: outage.url, method: 'POST', json: {} });
      expect(regen.status).toBe(503);
      const after = await rowOf(finished);
      expect(after.requested_version).toBe(2);
      expect(after.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', version: 2 });
      const view = await call(`/analysis/${finished}`, { base: outage.url });
      expect(view.body.data.status).toBe('completed');
      const cancel = await call(`/analysis/${finished}/cancel`, { base: outage.url, method: 'POST' });
      expect(cancel.body.error?.code).toBe('ALREADY_FINISHED');

      const health = await call('/health', { base: outage.url });
      expect(health.status).toBe(503);
      expect(health.body.data).toMatchObject({ status: 'down', checks: { database: { status: 'ok' }, temporal: { status: 'down' } } });
    } finally {
      deadConnectionLastUsed = Date.now();
      await outage.close();
    }
  });
});

describe('bad input writes nothing', () => {
  it.each([
    ['not a URL', { url: 'not a url at all' }, 'VALIDATION_ERROR', 400],
    ['wrong scheme', { url: 'ftp://files.example.com/' }, 'URL_NOT_ALLOWED', 422],
    ['cloud metadata address', { url: 'http://169.254.169.254/latest/meta-data/' }, 'URL_NOT_ALLOWED', 422],
    ['missing url', { options: { maxPages: 3 } }, 'VALIDATION_ERROR', 400],
    ['unknown option', { url: 'https://example.com', options: { depth: 3 } }, 'VALIDATION_ERROR', 400],
  ])('%s → %s', async (_name, json, code, status) => {
    const before = await countAnalyses();
    const res = await call('/analysis/start', { method: 'POST', json });
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ success: false, error: { code } });
    if (status === 400) expect(res.body.error!.details).toMatchObject({ fields: expect.any(Array) });
    expect(res.headers.get('X-Request-Id')).toBe(res.body.metadata.requestId);
    expect(await countAnalyses()).toBe(before);
  });

  it('malformed JSON → 400 VALIDATION_ERROR, nothing written', async () => {
    const before = await countAnalyses();
    const res = await call('/analysis/start', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"url":' });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('VALIDATION_ERROR');
    expect(await countAnalyses()).toBe(before);
  });

  it('an unknown analysis ID → 404 NOT_FOUND on every route', async () => {
    const id = randomUUID();
    const requests: [string, string, unknown?][] = [
      ['GET', `/analysis/${id}`],
      ['GET', `/analysis/${id}/report`],
      ['POST', `/analysis/${id}/cancel`],
      ['POST', `/analysis/${id}/regenerate`, {}],
      ['DELETE', `/analysis/${id}`],
    ];
    for (const [method, path, json] of requests) {
      const res = await call(path, { method, json });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error?.code).toBe('NOT_FOUND');
    }
  });

  it('an unknown route → 404 NOT_FOUND in the envelope', async () => {
    const res = await call('/analyses');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });
});

describe('POST /analysis/start', () => {
  it('202 with links; the row is pending and the workflow exists with search attributes, memo and summary', async () => {
    const host = uniqueHost('start');
    const res = await start(`https://WWW.${host}/?utm_source=x`, { options: { maxPages: 3 } });
    expect(res.status).toBe(202);
    const { analysisId, status, links } = res.body.data;
    expect(status).toBe('pending');
    expect(links).toEqual({
      self: `/api/v2/analysis/${analysisId}`,
      report: `/api/v2/analysis/${analysisId}/report`,
      regenerate: `/api/v2/analysis/${analysisId}/regenerate`,
      cancel: `/api/v2/analysis/${analysisId}/cancel`,
    });
    expect(res.headers.get('Location')).toBe(links.self);

    const row = await db.selectFrom('analyses').selectAll().where('id', '=', analysisId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      url: `https://www.${host}/`,
      input_url: `https://WWW.${host}/?utm_source=x`,
      domain: host,
      status: 'pending',
      workflow_id: `analysis-${analysisId}`,
      latest_version: 0,
      requested_version: 1,
      options: { maxPages: 3, personaCount: 3, forceRefresh: false },
    });

    const description = await handleOf(analysisId).describe();
    expect(description.type).toBe('AnalysisWorkflow');
    expect(description.taskQueue).toBe(taskQueue);
    expect(description.status.name).toBe('RUNNING');
    expect(description.typedSearchAttributes.get(SiteDomainKey)).toBe(host);
    expect(description.typedSearchAttributes.get(AnalysisStatusKey)).toBe('pending');
    expect(description.memo).toEqual({ url: `https://www.${host}/` });
    expect(await description.staticSummary()).toBe(`Persona analysis of ${host}`);

    const [started] = await historyEvents(analysisId);
    const input = defaultPayloadConverter.fromPayload<AnalysisWorkflowInput>(
      started!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!,
    );
    expect(input).toEqual({ analysisId, url: `https://www.${host}/`, options: row.options, idleTimeout: '1 minute' });
  });

});

describe('Idempotency-Key', () => {
  it('the same key and request → the same analysis, one row, one workflow', async () => {
    const key = randomUUID();
    const host = uniqueHost('idem');
    const first = await start(`https://${host}/`, { key, options: { maxPages: 2, personaCount: 2 } });
    // Equivalent request: URL normalizes to the same, option keys in another order.
    const second = await start(`https://${host.toUpperCase()}`, { key, options: { personaCount: 2, maxPages: 2 } });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.data.analysisId).toBe(first.body.data.analysisId);
    const rows = await db.selectFrom('analyses').select('id').where('domain', '=', host).execute();
    expect(rows).toHaveLength(1);
    const runs = await historyEvents(first.body.data.analysisId);
    expect(runs.filter((e) => e.workflowExecutionStartedEventAttributes)).toHaveLength(1);
  });

  it('concurrent requests with one key → one analysis', async () => {
    const key = randomUUID();
    const host = uniqueHost('idem-race');
    const results = await Promise.all([1, 2, 3].map(() => start(`https://${host}/`, { key })));
    expect(results.map((r) => r.status)).toEqual([202, 202, 202]);
    expect(new Set(results.map((r) => r.body.data.analysisId)).size).toBe(1);
    expect(await db.selectFrom('analyses').select('id').where('domain', '=', host).execute()).toHaveLength(1);
  });

  it('the same key with a different request → 409 IDEMPOTENCY_KEY_REUSED, nothing written', async () => {
    const key = randomUUID();
    const url = `https://${uniqueHost('idem-a')}/`;
    const first = await start(url, { key });
    expect(first.status).toBe(202);
    const before = await countAnalyses();
    const otherUrl = await start(`https://${uniqueHost('idem-b')}/`, { key });
    expect(otherUrl.status).toBe(409);
    expect(otherUrl.body.error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', details: { analysisId: first.body.data.analysisId } });
    const otherOptions = await start(url, { key, options: { maxPages: 7 } });
    expect(otherOptions.status).toBe(409);
    expect(await countAnalyses()).toBe(before);
  });
});

async function rowOf(id: string) {
  return db.selectFrom('analyses').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

describe('GET /analysis (list)', () => {
  it('pages newest first with an opaque cursor until nextCursor is null; filters by domain and status', async () => {
    const host = uniqueHost('list');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await start(`https://${host}/page-${i}`);
      ids.push(res.body.data.analysisId);
    }
    await db.updateTable('analyses').set({ status: 'failed' }).where('id', '=', ids[0]!).execute();

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?domain=www.${host}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await call(`/analysis${query}`);
      expect(res.status).toBe(200);
      expect(res.body.data.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.items.map((item: { analysisId: string }) => item.analysisId));
      cursor = res.body.data.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());

    const failed = await call(`/analysis?domain=${host}&status=failed`);
    expect(failed.body.data).toMatchObject({ items: [{ analysisId: ids[0], status: 'failed', domain: host }], nextCursor: null });

    const defaults = await call('/analysis');
    expect(defaults.body.data.items.length).toBeLessThanOrEqual(20);
  });

  it('keeps paging exact when rows share a created_at (same transaction timestamp)', async () => {
    const host = uniqueHost('list-tie');
    const createdAt = new Date();
    const ids = Array.from({ length: 3 }, () => randomUUID());
    await db
      .insertInto('analyses')
      .values(
        ids.map((id) => ({
          id,
          url: `https://${host}/`,
          input_url: `https://${host}/`,
          domain: host,
          status: 'completed' as const,
          options: '{}',
          request_hash: id,
          workflow_id: `analysis-${id}`,
          created_at: createdAt,
        })),
      )
      .execute();
    const first = await call(`/analysis?domain=${host}&limit=2`);
    const second = await call(`/analysis?domain=${host}&limit=2&cursor=${first.body.data.nextCursor}`);
    const all = [...first.body.data.items, ...second.body.data.items].map((i: { analysisId: string }) => i.analysisId);
    expect(all).toEqual([...ids].sort().reverse());
    expect(second.body.data.nextCursor).toBeNull();
  });
});

describe('GET /analysis/:id (status)', () => {
  it('answers a running analysis from PostgreSQL alone (no worker polls this queue, nothing waits for one)', async () => {
    const res = await start(`https://${uniqueHost('status')}/`);
    const id = res.body.data.analysisId;
    const status = await call(`/analysis/${id}`);
    expect(status.status).toBe(200);
    expect(status.body.data).toMatchObject({
      analysisId: id,
      status: 'pending',
      percent: 0,
      currentStep: null,
      version: 1,
      latestReportVersion: null,
      source: 'database',
      completedAt: null,
    });
    expect(status.body.data.steps).toEqual(
      ['validation', 'content_extraction', 'content_processing', 'ai_analysis', 'report_generation', 'quality_check', 'finalization'].map(
        (name) => ({ name, state: 'pending', attempts: 0 }),
      ),
    );
  });

  it('shows attempts and errors that activities recorded in analysis_steps', async () => {
    const res = await start(`https://${uniqueHost('status-steps')}/`);
    const id = res.body.data.analysisId;
    const startedAt = new Date('2026-01-01T10:00:00Z');
    await db
      .insertInto('analysis_steps')
      .values([
        { analysis_id: id, version: 1, step: 'validation', state: 'completed', attempts: 1, started_at: startedAt, finished_at: startedAt },
        { analysis_id: id, version: 1, step: 'content_extraction', state: 'running', attempts: 3, last_error: 'timeout', started_at: startedAt },
      ])
      .execute();
    await db.updateTable('analyses').set({ status: 'running', current_step: 'content_extraction' }).where('id', '=', id).execute();

    const status = await call(`/analysis/${id}`);
    expect(status.body.data).toMatchObject({ status: 'running', currentStep: 'content_extraction', percent: 21, source: 'database' });
    expect(status.body.data.steps.slice(0, 3)).toEqual([
      { name: 'validation', state: 'completed', attempts: 1, startedAt: startedAt.toISOString(), finishedAt: startedAt.toISOString() },
      { name: 'content_extraction', state: 'running', attempts: 3, lastError: 'timeout', startedAt: startedAt.toISOString() },
      { name: 'content_processing', state: 'pending', attempts: 0 },
    ]);
  });
});

describe('GET /analysis/:id/report', () => {
  it('409 REPORT_NOT_READY while none exists, then json, markdown and html of a finished report', async () => {
    const host = uniqueHost('report');
    const res = await start(`https://${host}/`);
    const id = res.body.data.analysisId;

    const notReady = await call(`/analysis/${id}/report`);
    expect(notReady.status).toBe(409);
    expect(notReady.body.error).toMatchObject({ code: 'REPORT_NOT_READY', details: { status: 'pending' } });

    await markCompletedWithReport(id, host);

    const json = await call(`/analysis/${id}/report`);
    expect(json.status).toBe(200);
    expect(json.body.data).toMatchObject({
      analysisId: id,
      version: 1,
      status: 'passed',
      report: { site: { domain: host }, personas: [{ name: 'Maria, the municipal engineer' }] },
      quality: { passed: true, issues: [] },
    });

    const markdown = await call(`/analysis/${id}/report?format=markdown&version=1`);
    expect(markdown.status).toBe(200);
    expect(markdown.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(markdown.text).toMatch(/^# Customer personas: Acme Bridges/);
    expect(markdown.headers.get('X-Request-Id')).toEqual(expect.any(String));

    const html = await call(`/analysis/${id}/report?format=html`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(html.text).toMatch(/^<!doctype html>/);
    expect(html.text).toContain('Maria, the municipal engineer');

    const unknownVersion = await call(`/analysis/${id}/report?version=5`);
    expect(unknownVersion.status).toBe(404);
    expect(unknownVersion.body.error?.code).toBe('NOT_FOUND');

    const badFormat = await call(`/analysis/${id}/report?format=docx`);
    expect(badFormat.status).toBe(400);

    // A version handed out by regenerate but not finished yet.
    await db.updateTable('analyses').set({ requested_version: 2, status: 'running' }).where('id', '=', id).execute();
    const pending = await call(`/analysis/${id}/report?version=2`);
    expect(pending.status).toBe(409);
    expect(pending.body.error?.code).toBe('REPORT_NOT_READY');
  });

  it('a draft (unfinished) report is not served', async () => {
    const host = uniqueHost('report-draft');
    const id = (await start(`https://${host}/`)).body.data.analysisId;
    await db
      .insertInto('reports')
      .values({ analysis_id: id, version: 1, status: 'draft', content: JSON.stringify(reportContent(host, 1)), model: 'test-model', instructions: null, stand_in: false })
      .execute();
    expect((await call(`/analysis/${id}/report`)).status).toBe(409);
  });
});

describe('POST /analysis/:id/regenerate', () => {
  it('hands out versions 2 then 3 and signals the open workflow with them', async () => {
    const host = uniqueHost('regen');
    const id = (await start(`https://${host}/`)).body.data.analysisId;
    await markCompletedWithReport(id, host);

    const first = await call(`/analysis/${id}/regenerate`, { method: 'POST', json: { instructions: 'Focus on enterprise buyers.' } });
    expect(first.status).toBe(202);
    expect(first.body.data).toEqual({ analysisId: id, nextVersion: 2 });
    // No body at all is a regeneration with defaults.
    const second = await call(`/analysis/${id}/regenerate`, { method: 'POST' });
    expect(second.status).toBe(202);
    expect(second.body.data).toEqual({ analysisId: id, nextVersion: 3 });

    expect((await rowOf(id)).requested_version).toBe(3);
    const signals = (await historyEvents(id))
      .map((e) => e.workflowExecutionSignaledEventAttributes)
      .filter((a) => a?.signalName === 'regenerate')
      .map((a) => defaultPayloadConverter.fromPayload(a!.input!.payloads![0]!));
    expect(signals).toEqual([{ instructions: 'Focus on enterprise buyers.', version: 2 }, { version: 3 }]);
  });

  it('starts a closed workflow again with resume.latestVersion', async () => {
    const host = uniqueHost('regen-closed');
    const id = (await start(`https://${host}/`)).body.data.analysisId;
    await markCompletedWithReport(id, host);
    const firstRun = await handleOf(id).describe();
    await handleOf(id).terminate('closed for the test');

    const res = await call(`/analysis/${id}/regenerate`, { method: 'POST', json: { sections: ['personas'] } });
    expect(res.status).toBe(202);
    expect(res.body.data.nextVersion).toBe(2);

    const secondRun = await handleOf(id).describe();
    expect(secondRun.runId).not.toBe(firstRun.runId);
    expect(secondRun.status.name).toBe('RUNNING');
    const events = await historyEvents(id, secondRun.runId);
    const input = defaultPayloadConverter.fromPayload<AnalysisWorkflowInput>(
      events[0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!,
    );
    expect(input.resume).toEqual({ latestVersion: 1 });
    const signal = events.find((e) => e.workflowExecutionSignaledEventAttributes)?.workflowExecutionSignaledEventAttributes;
    expect(defaultPayloadConverter.fromPayload(signal!.input!.payloads![0]!)).toEqual({ sections: ['personas'], version: 2 });
  });

  it('409 while the first report is still being written, and for a failed analysis without a report', async () => {
    const id = (await start(`https://${uniqueHost('regen-early')}/`)).body.data.analysisId;
    const early = await call(`/analysis/${id}/regenerate`, { method: 'POST', json: {} });
    expect(early.status).toBe(409);
    expect(early.body.error?.code).toBe('ANALYSIS_NOT_READY');

    await db.updateTable('analyses').set({ status: 'failed' }).where('id', '=', id).execute();
    const failed = await call(`/analysis/${id}/regenerate`, { method: 'POST', json: {} });
    expect(failed.status).toBe(409);
    expect(failed.body.error?.code).toBe('NO_REPORT_TO_REGENERATE');
    expect((await rowOf(id)).requested_version).toBe(1);
  });
});

describe('POST /analysis/:id/cancel', () => {
  it('cancels a pending analysis through Temporal: 202, cancel requested in the history', async () => {
    const id = (await start(`https://${uniqueHost('cancel')}/`)).body.data.analysisId;
    const res = await call(`/analysis/${id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(res.body.data).toEqual({ analysisId: id, status: 'pending', cancelRequested: true });
    // Until a worker runs the cancellation the row stays pending; asking again is harmless.
    const again = await call(`/analysis/${id}/cancel`, { method: 'POST' });
    expect(again.status).toBe(202);
    const events = await historyEvents(id);
    expect(events.some((e) => e.workflowExecutionCancelRequestedEventAttributes)).toBe(true);
    const audit = await db.selectFrom('processing_events').select('type').where('analysis_id', '=', id).execute();
    expect(audit.map((e) => e.type)).toContain('cancel_requested');
  });

  it('409 ALREADY_FINISHED for a finished analysis', async () => {
    const host = uniqueHost('cancel-done');
    const id = (await start(`https://${host}/`)).body.data.analysisId;
    await markCompletedWithReport(id, host);
    const res = await call(`/analysis/${id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'ALREADY_FINISHED', details: { status: 'completed' } });
  });
});

describe('DELETE /analysis/:id', () => {
  it('removes the analysis with its steps and reports; an audit event without content remains', async () => {
    const host = uniqueHost('delete');
    const id = (await start(`https://${host}/`)).body.data.analysisId;
    await markCompletedWithReport(id, host);
    await db.insertInto('analysis_steps').values({ analysis_id: id, version: 1, step: 'validation', state: 'completed' }).execute();

    const res = await call(`/analysis/${id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ analysisId: id, deleted: true });

    expect((await call(`/analysis/${id}`)).status).toBe(404);
    for (const table of ['analyses', 'analysis_steps', 'reports'] as const) {
      const column = table === 'analyses' ? 'id' : 'analysis_id';
      const left = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where ${sql.ref(column)} = ${id}`.execute(db);
      expect(left.rows[0]?.n, table).toBe(0);
    }
    const audit = await db.selectFrom('processing_events').selectAll().where('analysis_id', '=', id).execute();
    expect(audit).toEqual([expect.objectContaining({ type: 'analysis_deleted', message: null, details: null, version: null })]);
    // The workflow (open, waiting for regenerations) was asked to stop.
    expect((await historyEvents(id)).some((e) => e.workflowExecutionCancelRequestedEventAttributes)).toBe(true);

    expect((await call(`/analysis/${id}`, { method: 'DELETE' })).status).toBe(404);
  });
});

describe('GET /health', () => {
  it('200 degraded: database and Temporal up, but no worker polls the task queue', async () => {
    const res = await call('/health');
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      status: 'degraded',
      checks: {
        database: { status: 'ok', latencyMs: expect.any(Number) },
        temporal: { status: 'ok' },
        workers: { status: 'degraded', taskQueue, workflowPollers: 0, activityPollers: 0 },
        ai: { status: 'skipped' },
      },
    });
  });

  it('reports the AI endpoint through the optional checkAi dependency', async () => {
    const app = createApp(deps({ checkAi: async () => false }));
    const res = await app.request('/api/v2/health');
    const body = (await res.json()) as ApiResponse<any>;
    expect(body.data.checks.ai.status).toBe('degraded');
  });
});
