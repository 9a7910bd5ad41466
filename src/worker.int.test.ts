import { chmod, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { afterAll, expect, inject, it } from 'vitest';
import { ACME_PAGES } from '../test/support/acme-site.js';
import { serveSite } from '../test/support/sites.js';
import { api } from '../test/support/api.js';
import { testResolver } from '../test/support/test-resolver.js';
import { loadConfig } from './config.js';
import { freePort, isPortFree } from './dev/free-port.js';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from './dev/postgres.js';
import { SEARCH_ATTRIBUTES } from './dev/stack.js';
import { findTemporalCli } from './dev/temporal-cli.js';
import { startTemporalDevServer, type TemporalDevServer } from './dev/temporal-server.js';
import { startStandInAi } from './dev/stand-in-ai.js';
import { startLocalService } from './local-service.js';
import { createLogger } from './logger.js';
import { workflowIdFor } from '../workflows/definitions.js';
import { NO_RATE_LIMITS } from '../test/support/service.js';

/*
 * PostgreSQL (or Temporal) stops under a running worker and comes back: the worker (and the API beside it, in
 * this very process) survive the pool's lost connections, keep polling Temporal, and the analysis
 * started before the outage completes after it. The database is a throwaway PostgreSQL of this
 * test's own, so stopping it disturbs no other test.
 */

const devDir = fileURLToPath(new URL('../.dev/', import.meta.url));
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 100_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

it('survives PostgreSQL stopping mid-analysis; the analysis completes once it is back', async () => {
  const dataDir = await mkdtemp(path.join(devDir, 'test-outage-'));
  await chmod(dataDir, 0o755); // as root, PostgreSQL runs as another user and must reach its data dir
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  // Persistent: the same cluster must come back with its data after the stop.
  const startPostgres = () => startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pg'), port, log: () => {}, persistent: true });
  let postgres: EmbeddedPostgresServer = await startPostgres();
  cleanups.push(() => postgres.stop());

  const standIn = await startStandInAi();
  cleanups.push(() => standIn.stop());
  const site = await serveSite(ACME_PAGES);
  cleanups.push(() => site.close());
  const taskQueue = `outage-${Date.now()}`;
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: postgres.databaseUrl,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: taskQueue,
    OPENAI_BASE_URL: standIn.baseUrl,
    OPENAI_MODEL: 'stand-in-model',
    SCRAPE_ALLOW_PRIVATE_NETWORKS: 'true',
    ...NO_RATE_LIMITS,
    LOG_LEVEL: 'error',
  });
  const service = await startLocalService(
    { ...config, DATABASE_URL: postgres.databaseUrl, TEMPORAL_ADDRESS: inject('temporalAddress') },
    createLogger('error', { test: 'outage' }),
    { resolve: testResolver({}) },
  );
  cleanups.push(() => service.stop());
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  cleanups.push(() => connection.close());
  const temporal = new Client({ connection });

  // The model calls take a while: PostgreSQL stops while they are in flight.
  standIn.setLatency(5_000);
  const analysisId = await startAnalysis(service.apiUrl, site.url);
  await until('the first model call', async () => standIn.requests() > 0);
  standIn.setLatency(0);

  await postgres.stop();
  expect(await isPortFree(port)).toBe(true);
  // The calls in flight end while the database is down: storing their answers fails, and the
  // activities are retried (an attempt beyond the first shows on a pending activity).
  const handle = temporal.workflow.getHandle(workflowIdFor(analysisId));
  await until('an activity attempt to fail on the database', async () => {
    const { raw } = await handle.describe();
    return (raw.pendingActivities ?? []).some((a) => (a.attempt ?? 0) > 1);
  });
  postgres = await startPostgres();

  const final = await finished(service.apiUrl, analysisId);
  expect(final).toMatchObject({ status: 'completed' });
  const report = await fetch(`${service.apiUrl}/api/v2/analysis/${analysisId}/report`);
  expect(report.status).toBe(200);
  await report.arrayBuffer();
});

it('keeps polling while Temporal is down and carries on when it returns; a stop with Temporal gone returns', async () => {
  const stateDir = await mkdtemp(path.join(devDir, 'test-temporal-outage-'));
  cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
  const cliPath = await findTemporalCli({ explicitPath: process.env.TEMPORAL_CLI_PATH, cacheDir: devDir, log: () => {} });
  const ports = { port: await freePort(), uiPort: await freePort() };
  // A server of this test's own, its state in a file: the same server comes back after the stop.
  const startTemporal = () =>
    startTemporalDevServer({ cliPath, ...ports, dbFile: path.join(stateDir, 'temporal.sqlite'), searchAttributes: SEARCH_ATTRIBUTES, log: () => {} });
  let temporalServer: TemporalDevServer = await startTemporal();
  cleanups.push(() => temporalServer.stop());

  const standIn = await startStandInAi();
  cleanups.push(() => standIn.stop());
  const site = await serveSite(ACME_PAGES);
  cleanups.push(() => site.close());
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: inject('databaseUrl'),
    TEMPORAL_ADDRESS: temporalServer.address,
    TEMPORAL_TASK_QUEUE: `temporal-outage-${Date.now()}`,
    OPENAI_BASE_URL: standIn.baseUrl,
    OPENAI_MODEL: 'stand-in-model',
    SCRAPE_ALLOW_PRIVATE_NETWORKS: 'true',
    ...NO_RATE_LIMITS,
    LOG_LEVEL: 'error',
  });
  const service = await startLocalService(
    { ...config, DATABASE_URL: inject('databaseUrl'), TEMPORAL_ADDRESS: temporalServer.address },
    createLogger('error', { test: 'temporal-outage' }),
    { resolve: testResolver({}) },
  );
  let serviceStopped = false;
  cleanups.push(async () => serviceStopped || service.stop());

  standIn.setLatency(3_000);
  const analysisId = await startAnalysis(service.apiUrl, site.url);
  await until('the first model call', async () => standIn.requests() > 0);
  standIn.setLatency(0);

  // Down while the model calls finish: their results cannot be reported until the server is back.
  await temporalServer.stop();
  await sleep(5_000); // the length of the outage, not an assertion
  temporalServer = await startTemporal();

  const final = await finished(service.apiUrl, analysisId);
  expect(final).toMatchObject({ status: 'completed' });

  // Stopping the worker while its server is gone: bounded, it returns.
  await temporalServer.stop();
  await service.stop();
  serviceStopped = true;
});

async function startAnalysis(apiUrl: string, siteUrl: string): Promise<string> {
  const started = await api<{ analysisId: string }>(apiUrl, '/analysis/start', { method: 'POST', json: { url: siteUrl, options: { maxPages: 3, personaCount: 1 } } });
  expect(started.status).toBe(202);
  return started.body.data!.analysisId;
}

/** The analysis's final status; reads failing while a dependency is still coming back count as not yet. */
function finished(apiUrl: string, analysisId: string) {
  return until('the analysis to finish', async () => {
    const res = await fetch(`${apiUrl}/api/v2/analysis/${analysisId}`);
    const body = (await res.json()) as { data?: { status: string } };
    return body.data && ['completed', 'failed', 'cancelled'].includes(body.data.status) ? body.data : undefined;
  });
}
