import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { freePort } from '../../src/dev/free-port.js';
import { SEARCH_ATTRIBUTES } from '../../src/dev/stack.js';
import { startStandInAi } from '../../src/dev/stand-in-ai.js';
import { findTemporalCli } from '../../src/dev/temporal-cli.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/dev/temporal-server.js';
import { startLocalService, type LocalService } from '../../src/local-service.js';
import { createLogger } from '../../src/logger.js';
import { AnalysisStatusKey, SiteDomainKey, workflowIdFor } from '../../workflows/definitions.js';
import { ACME_PAGES } from '../support/acme-site.js';
import { api, pollStatus } from '../support/api.js';
import { serveSite, type TestSite } from '../support/sites.js';
import { testResolver } from '../support/test-resolver.js';
import { NO_RATE_LIMITS } from '../support/service.js';

/**
 * What an engineer sees in the Temporal Web UI (issue 14): finished runs that closed instead of
 * staying Running, the SiteDomain and AnalysisStatus columns (a deleted analysis marked deleted),
 * and a run's timeline of summarized activities with no per-step bookkeeping rows. The shared test
 * server has no UI, so this test starts its own dev server with one, plus the API and a worker on
 * it as `npm run dev` does. Screenshots land in .dev/screenshots/.
 */

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = fileURLToPath(new URL('../../.dev/screenshots/', import.meta.url));
/** Short, so the finished analyses' runs close within the test. */
const IDLE = '8 seconds';
const LONG = 120_000;

describe('the Temporal Web UI an engineer reads', () => {
  let temporal: TemporalDevServer;
  let standIn: Awaited<ReturnType<typeof startStandInAi>>;
  let service: LocalService;
  let connection: Connection;
  let client: Client;
  let acme: TestSite;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium) to run this test.`);
    await mkdir(SCREENSHOTS, { recursive: true });
    temporal = await startTemporalDevServer({
      cliPath: await findTemporalCli({
        explicitPath: process.env.TEMPORAL_CLI_PATH,
        cacheDir: fileURLToPath(new URL('../../.dev/', import.meta.url)),
        log: () => {},
      }),
      port: await freePort(),
      uiPort: await freePort(),
      searchAttributes: SEARCH_ATTRIBUTES,
      log: () => {},
    });
    standIn = await startStandInAi();
    const config = loadConfig({
      PORT: '0',
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: temporal.address,
      OPENAI_BASE_URL: standIn.baseUrl,
      OPENAI_MODEL: 'stand-in-model',
      SCRAPE_ALLOW_PRIVATE_NETWORKS: 'true',
      ...NO_RATE_LIMITS,
      LOG_LEVEL: 'warn',
    });
    service = await startLocalService({ ...config, DATABASE_URL: inject('databaseUrl'), TEMPORAL_ADDRESS: temporal.address }, createLogger('warn', { test: 'temporal-web-ui' }), {
      workflowIdleTimeout: IDLE,
      resolve: testResolver({ localhost: '127.0.0.1' }),
    });
    connection = await Connection.connect({ address: temporal.address });
    client = new Client({ connection });
    acme = await serveSite(ACME_PAGES);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // playwright-core starts it headless with a fresh temporary profile of its own.
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    // The list's columns as an engineer would configure them (Configure Columns), kept by the UI in
    // localStorage: the two search attributes beside status and ID.
    await page.addInitScript((columns) => {
      if (!localStorage.getItem('namespace-workflow-table-columns')) {
        localStorage.setItem('namespace-workflow-table-columns', JSON.stringify({ default: columns }));
      }
    }, [
      { label: 'Status', pinned: true },
      { label: 'Workflow ID', pinned: true },
      { label: 'SiteDomain', pinned: false },
      { label: 'AnalysisStatus', pinned: false },
      { label: 'Start', pinned: false },
      { label: 'End', pinned: false },
    ]);
  }, LONG);

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    await connection?.close();
    await standIn?.stop();
    await acme?.close();
    await temporal?.stop();
  });

  async function analyze(): Promise<string> {
    const start = await api(service.apiUrl, '/analysis/start', {
      method: 'POST',
      json: { url: acme.url, options: { maxPages: 4, personaCount: 2, forceRefresh: true } },
    });
    expect(start.status).toBe(202);
    const id: string = start.body.data.analysisId;
    const { final } = await pollStatus(service.apiUrl, id, (s) => s.status === 'completed' || s.status === 'failed');
    expect(final.status, JSON.stringify(final.error)).toBe('completed');
    return id;
  }

  async function closed(id: string): Promise<void> {
    const handle = client.workflow.getHandle(workflowIdFor(id));
    const deadline = Date.now() + LONG;
    while ((await handle.describe()).status.name === 'RUNNING') {
      if (Date.now() > deadline) throw new Error(`the run of ${id} did not close after its idle period`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  it('lists closed runs with SiteDomain and AnalysisStatus, a deleted one marked deleted, and a readable timeline', async () => {
    const kept = await analyze();
    const deleted = await analyze();
    // DELETE while the run still waits for regenerations: it is marked, then cancelled.
    expect((await api(service.apiUrl, `/analysis/${deleted}`, { method: 'DELETE' })).status).toBe(200);
    await closed(kept);
    await closed(deleted);

    // A finished analysis does not stay Running: its run completed after the idle period.
    const keptRun = await client.workflow.getHandle(workflowIdFor(kept)).describe();
    expect(keptRun.status.name).toBe('COMPLETED');
    expect(keptRun.typedSearchAttributes.get(AnalysisStatusKey)).toBe('completed');
    expect(keptRun.typedSearchAttributes.get(SiteDomainKey)).toBe(new URL(acme.url).hostname);
    const deletedRun = await client.workflow.getHandle(workflowIdFor(deleted)).describe();
    expect(deletedRun.typedSearchAttributes.get(AnalysisStatusKey)).toBe('deleted');

    // The list: both runs, with the two search-attribute columns.
    await page.goto(`${temporal.uiUrl}/namespaces/default/workflows`);
    const list = page.locator('body');
    await expect.poll(() => list.innerText(), { timeout: LONG, interval: 500 }).toContain(workflowIdFor(deleted));
    const listText = await list.innerText();
    expect(listText).toContain('SiteDomain');
    expect(listText).toContain('AnalysisStatus');
    expect(listText).toContain(workflowIdFor(kept));
    expect(listText).toMatch(/\bdeleted\b/);
    expect(listText).toMatch(/\bcompleted\b/);
    // No run shows RUNNING (the status column and the counter above the list say it in capitals).
    expect(listText).not.toContain('RUNNING');
    await page.screenshot({ path: `${SCREENSHOTS}temporal-ui-workflows.png`, fullPage: true });

    // One analysis's run: its summary, and a timeline of summarized activities only.
    await page.goto(`${temporal.uiUrl}/namespaces/default/workflows/${workflowIdFor(kept)}`);
    const run = page.locator('body');
    await expect.poll(() => run.innerText(), { timeout: LONG, interval: 500 }).toContain('Crawl up to 4 pages of');
    const runText = await run.innerText();
    expect(runText).toMatch(/Synthesize 2 personas for/);
    expect(runText).toMatch(/Finalize report v1 of/);
    expect(runText).not.toContain('recordStep');
    await page.screenshot({ path: `${SCREENSHOTS}temporal-ui-timeline.png`, fullPage: true });
  }, 4 * LONG);
});
