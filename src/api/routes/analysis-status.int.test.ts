import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { createDatabase, type Db } from '../../database.js';
import { createLogger } from '../../logger.js';
import { connectTemporal } from '../../temporal.js';
import { createApp } from '../app.js';
import type { ApiResponse } from '../envelope.js';
import { FIXTURE_STARTED_AT } from '../../../test/support/progress-workflow.js';

/**
 * The status route's workflow path: a worker runs a stand-in AnalysisWorkflow that answers the
 * `progress` query, and the route merges that with the attempts activities wrote to PostgreSQL.
 * Own task queue, so no other test file's worker runs these workflows.
 */

const taskQueue = `api-status-${randomUUID()}`;
const fixturePath = fileURLToPath(new URL('../../../test/support/progress-workflow.ts', import.meta.url));

let db: Db;
let connection: Connection;
let client: Client;
let worker: Worker;
let workerRun: Promise<void>;
const workflowIds: string[] = [];

beforeAll(async () => {
  // The worker's state changes are noise here; warnings and errors still show.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const databaseUrl = inject('databaseUrl');
  db = createDatabase(databaseUrl, 2);
  ({ connection, client } = await connectTemporal({ TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: 'default' }));
  worker = await Worker.create({
    connection: await NativeConnection.connect({ address: inject('temporalAddress') }),
    taskQueue,
    workflowsPath: fixturePath,
  });
  workerRun = worker.run();
});

afterAll(async () => {
  await Promise.all(workflowIds.map((id) => client?.workflow.getHandle(id).terminate('test cleanup').catch(() => undefined)));
  if (worker) {
    worker.shutdown();
    await workerRun;
    await worker.options.connection?.close();
  }
  await connection?.close();
  await db?.destroy();
});

describe('GET /analysis/:id while a worker answers the progress query', () => {
  it('takes states from the workflow and attempts and errors from analysis_steps', async () => {
    const app = createApp({ db, temporal: client, taskQueue, logger: createLogger('warn'), config: loadConfig({ RATE_LIMIT_READS_PER_MINUTE: '100000' }) });
    const started = await app.request('/api/v2/analysis/start', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ url: `https://status-${randomUUID().slice(0, 8)}.example.com/` }),
    });
    expect(started.status).toBe(202);
    const { analysisId } = ((await started.json()) as ApiResponse<{ analysisId: string }>).data!;
    workflowIds.push(`analysis-${analysisId}`);

    // Activities record attempts as they happen; the workflow's board only counts its own.
    await db
      .insertInto('analysis_steps')
      .values([
        { analysis_id: analysisId, version: 1, step: 'content_extraction', state: 'completed', attempts: 3, last_error: 'HTTP 503' },
        { analysis_id: analysisId, version: 1, step: 'content_processing', state: 'running', attempts: 2, last_error: 'timeout' },
      ])
      .execute();

    const res = await app.request(`/api/v2/analysis/${analysisId}`);
    const body = (await res.json()) as ApiResponse<any>;
    expect(res.status).toBe(200);
    expect(body.data).toMatchObject({
      analysisId,
      // The row still says pending: the workflow's view wins while it runs.
      status: 'running',
      percent: 36,
      currentStep: 'content_processing',
      version: 1,
      latestReportVersion: null,
      source: 'workflow',
    });
    expect(body.data.steps).toEqual([
      { name: 'validation', state: 'completed', attempts: 1, startedAt: FIXTURE_STARTED_AT, finishedAt: FIXTURE_STARTED_AT },
      { name: 'content_extraction', state: 'completed', attempts: 3, lastError: 'HTTP 503', startedAt: FIXTURE_STARTED_AT, finishedAt: FIXTURE_STARTED_AT },
      { name: 'content_processing', state: 'running', attempts: 2, lastError: 'timeout', startedAt: FIXTURE_STARTED_AT },
      { name: 'ai_analysis', state: 'pending', attempts: 0 },
      { name: 'report_generation', state: 'pending', attempts: 0 },
      { name: 'quality_check', state: 'pending', attempts: 0 },
      { name: 'finalization', state: 'pending', attempts: 0 },
    ]);
  });
});
