import { randomUUID } from 'node:crypto';
import { access } from 'node:fs/promises';
import type { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sampleReport } from '../test/support/sample-report.js';
import { createApp } from './api/app.js';
import { startApi, type RunningApi } from './api/server.js';
import { loadConfig } from './config.js';
import { createDatabase, type Db } from './database.js';
import { renderHtml } from './domain/render-report.js';
import { createLogger } from './logger.js';
import { CHROMIUM_INSTALL_HELP, PdfUnavailableError, renderPdf } from './pdf.js';
import { connectTemporal } from './temporal.js';

/*
 * PDF reports printed by the machine's Chromium (Debian's `chromium`; CI installs it). The API runs
 * over real HTTP against the test stack's PostgreSQL; the finished analysis is written as rows, as
 * the workflow leaves them (no worker needed to read a report).
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const NOWHERE = '/nonexistent/chromium';
const logger = createLogger('error');

let db: Db;
let connection: Connection;
let client: Client;
const apis: RunningApi[] = [];

async function apiWith(env: Record<string, string>): Promise<string> {
  const config = loadConfig({ RATE_LIMIT_WRITES_PER_MINUTE: '100000', RATE_LIMIT_READS_PER_MINUTE: '100000', ...env });
  const api = await startApi({ app: createApp({ db, temporal: client, taskQueue: `pdf-${randomUUID()}`, logger, config }), port: 0, hostname: '127.0.0.1' });
  apis.push(api);
  return api.url;
}

/** An analysis as a finished workflow leaves it: completed, with a passed version 1. */
async function finishedAnalysis(): Promise<string> {
  const id = randomUUID();
  const domain = `pdf-${id.slice(0, 8)}.test`;
  await db
    .insertInto('analyses')
    .values({
      id,
      url: `https://${domain}/`,
      input_url: `https://${domain}/`,
      domain,
      status: 'completed',
      options: JSON.stringify({}),
      idempotency_key: null,
      request_hash: randomUUID(),
      workflow_id: `analysis-${id}`,
      current_step: null,
      latest_version: 1,
      requested_version: 1,
      corpus: null,
      language: 'en',
      error: null,
      completed_at: new Date(),
    })
    .execute();
  await db
    .insertInto('reports')
    .values({
      analysis_id: id,
      version: 1,
      status: 'passed',
      content: JSON.stringify(sampleReport({ site: { url: `https://${domain}/`, domain, title: 'Acme Bridges' } })),
      quality: JSON.stringify({ passed: true, issues: [] }),
      model: 'test-model',
      instructions: null,
      stand_in: false,
      finalized_at: new Date(),
    })
    .execute();
  return id;
}

beforeAll(async () => {
  // CI installs Chromium (.ci/run); a machine without it fails here with the way to get it.
  await access(CHROMIUM).catch(() => {
    throw new Error(`these tests print PDFs with Chromium, absent at ${CHROMIUM}: apt-get install chromium`);
  });
  db = createDatabase(inject('databaseUrl'), 2);
  ({ connection, client } = await connectTemporal({ TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: 'default' }));
});

afterAll(async () => {
  for (const api of apis) await api.close().catch(() => {});
  await connection?.close();
  await db?.destroy();
});

describe('renderPdf', () => {
  it('prints the HTML report to a PDF', async () => {
    const html = renderHtml(sampleReport(), { version: 1, status: 'passed', quality: null, createdAt: new Date() });
    const pdf = await renderPdf(html, { executablePath: CHROMIUM });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    // One page at least, and more than an empty document's few hundred bytes.
    expect(pdf.toString('latin1')).toMatch(/\/Type\s*\/Page\b/);
    expect(pdf.length).toBeGreaterThan(5_000);
  }, 60_000);

  it('without Chromium, says how to install it', async () => {
    const failure = await renderPdf('<p>x</p>', { executablePath: NOWHERE }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(PdfUnavailableError);
    expect((failure as Error).message).toContain('apt-get install chromium');
    expect((failure as Error).message).toContain(NOWHERE);
  });
});

describe('GET /analysis/{id}/report?format=pdf', () => {
  it('answers a PDF of a finished analysis', async () => {
    const base = await apiWith({ CHROMIUM_PATH: CHROMIUM });
    const id = await finishedAnalysis();
    const res = await fetch(`${base}/api/v2/analysis/${id}/report?format=pdf`);
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.status, body.toString('utf8').slice(0, 500)).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('x-report-version')).toBe('1');
    expect(body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  }, 90_000);

  it('without Chromium: 501 in the envelope, saying how to install it', async () => {
    const base = await apiWith({ CHROMIUM_PATH: NOWHERE });
    const id = await finishedAnalysis();
    const res = await fetch(`${base}/api/v2/analysis/${id}/report?format=pdf`);
    expect(res.status).toBe(501);
    const body = (await res.json()) as { success: boolean; error: { code: string; message: string; details: unknown } };
    expect(body.success).toBe(false);
    expect(body.error.code).toBe('PDF_UNAVAILABLE');
    expect(body.error.message).toContain(CHROMIUM_INSTALL_HELP.slice(0, 40));
    expect(body.error.message).toContain('apt-get install chromium');
    expect(body.error.details).toEqual({ install: 'apt-get install chromium' });
    // The other formats do not need Chromium.
    expect((await fetch(`${base}/api/v2/analysis/${id}/report?format=html`)).status).toBe(200);
  });
});
