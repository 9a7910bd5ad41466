import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { createDatabase, type Db } from '../../database.js';
import { createLogger } from '../../logger.js';
import { insertAnalysisRow } from '../../../test/support/seed-analysis.js';
import { createApp } from '../app.js';
import type { ApiResponse } from '../envelope.js';

/**
 * The status route answers from PostgreSQL alone, running analyses included: the rows the
 * activities keep current (analysis_steps, the analysis row). The app here gets a Temporal client
 * that fails every use, so a read that still asked the workflow would fail.
 */

let db: Db;
let temporalCalls = 0;
const unusableTemporal = new Proxy({} as Client, {
  get() {
    temporalCalls++;
    throw new Error('the status route must not use Temporal');
  },
});

beforeAll(() => {
  db = createDatabase(inject('databaseUrl'), 2);
});
afterAll(async () => {
  await db?.destroy();
});

function app() {
  return createApp({
    db,
    temporal: unusableTemporal,
    taskQueue: `api-status-${randomUUID()}`,
    logger: createLogger('warn'),
    config: loadConfig({ RATE_LIMIT_READS_PER_MINUTE: '100000', RATE_LIMIT_WRITES_PER_MINUTE: '100000' }),
  });
}

async function status(id: string) {
  const res = await app().request(`/api/v2/analysis/${id}`);
  return { status: res.status, body: (await res.json()) as ApiResponse<any> };
}

const startedAt = new Date('2026-01-01T10:00:00.000Z');

describe('GET /analysis/:id of a running analysis', () => {
  it('shows the step an attempt is working on, with the attempts and errors the activities recorded', async () => {
    const id = await insertAnalysisRow(db, `status-${randomUUID().slice(0, 8)}.example.com`);
    await db
      .insertInto('analysis_steps')
      .values([
        { analysis_id: id, version: 1, step: 'validation', state: 'completed', attempts: 1, started_at: startedAt, finished_at: startedAt },
        { analysis_id: id, version: 1, step: 'content_extraction', state: 'completed', attempts: 3, started_at: startedAt, finished_at: startedAt },
        { analysis_id: id, version: 1, step: 'content_processing', state: 'running', attempts: 2, last_error: 'timeout', started_at: startedAt },
      ])
      .execute();

    const { status: code, body } = await status(id);
    expect(code).toBe(200);
    expect(body.data).toMatchObject({ analysisId: id, status: 'running', percent: 36, currentStep: 'content_processing', version: 1, latestReportVersion: null, source: 'database' });
    expect(body.data.steps).toEqual([
      { name: 'validation', state: 'completed', attempts: 1, startedAt: startedAt.toISOString(), finishedAt: startedAt.toISOString() },
      { name: 'content_extraction', state: 'completed', attempts: 3, startedAt: startedAt.toISOString(), finishedAt: startedAt.toISOString() },
      { name: 'content_processing', state: 'running', attempts: 2, lastError: 'timeout', startedAt: startedAt.toISOString() },
      { name: 'ai_analysis', state: 'pending', attempts: 0 },
      { name: 'report_generation', state: 'pending', attempts: 0 },
      { name: 'quality_check', state: 'pending', attempts: 0 },
      { name: 'finalization', state: 'pending', attempts: 0 },
    ]);
    expect(temporalCalls).toBe(0);
  });

  it('shows a regeneration as running from the moment it was accepted, before the workflow starts it', async () => {
    const id = await insertAnalysisRow(db, `status-regen-${randomUUID().slice(0, 8)}.example.com`);
    const steps = ['validation', 'content_extraction', 'content_processing', 'ai_analysis', 'report_generation', 'quality_check', 'finalization'] as const;
    await db
      .insertInto('analysis_steps')
      .values(steps.map((step) => ({ analysis_id: id, version: 1, step, state: 'completed' as const, attempts: 1, started_at: startedAt, finished_at: startedAt })))
      .execute();
    // What finalizeReport and then the regenerate route leave: v1 published, v2 handed out.
    await db.updateTable('analyses').set({ status: 'completed', latest_version: 1, requested_version: 2, current_step: null }).where('id', '=', id).execute();

    const { body } = await status(id);
    expect(body.data).toMatchObject({ status: 'running', version: 2, latestReportVersion: 1, currentStep: null, percent: 43 });
    expect(body.data.steps.map((s: { state: string }) => s.state)).toEqual(['completed', 'completed', 'completed', 'pending', 'pending', 'pending', 'pending']);

    // The workflow takes it up: the first report step of v2 begins.
    await db.insertInto('analysis_steps').values({ analysis_id: id, version: 2, step: 'ai_analysis', state: 'running', attempts: 1, started_at: startedAt }).execute();
    await db.updateTable('analyses').set({ status: 'running', current_step: 'ai_analysis' }).where('id', '=', id).execute();
    expect((await status(id)).body.data).toMatchObject({ status: 'running', version: 2, currentStep: 'ai_analysis', percent: 50 });
    expect(temporalCalls).toBe(0);
  });
});
