import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PurgeBatchInput } from '../activities/retention.js';
import { createRetentionActivities } from '../activities/retention.js';
import type { ActivityDeps } from '../activities/types.js';
import { createDatabase, type Db } from '../src/database.js';
import type { PurgeProgress } from '../src/domain/retention.js';
import { createLogger } from '../src/logger.js';
import { eventsRepository } from '../src/repositories/events.js';
import { quietActivityEnvironment } from '../test/support/activity-env.js';
import { PURGE_WORKFLOW_TYPE, purgeProgressQuery, type RetentionPurgeInput } from './purge-definitions.js';
import type { RetentionPurgeWorkflow } from './purge.js';

/**
 * RetentionPurgeWorkflow on the real Temporal dev server with the real retention activities on
 * the test PostgreSQL. Seeded rows are dated decades back and each purge counts back from an
 * `asOf` of that time, so no row of another test (all dated now) is ever old enough to go. Each
 * case here seeds an earlier era than the one before it (2001, 1995, 1993, 1990): a purge never
 * reaches rows a later case leaves behind, and rows an earlier case kept are too new for it. The
 * activity cases come first and leave none of their 1980 pages behind. (Files run in parallel on
 * one database, which is why they share this file.)
 */

const DAY = 24 * 60 * 60 * 1000;
const CACHE_DAYS = 30;
const ANALYSIS_DAYS = 90;

interface Seeded {
  /** Rows the purge must remove. */
  doomed: { analyses: string[]; pages: string[] };
  /** Rows it must keep. */
  kept: { analyses: string[]; pages: string[] };
}

let db: Db;
let nativeConnection: NativeConnection;
let connection: Connection;
let client: Client;
let code: string;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  db = createDatabase(inject('databaseUrl'), 4);
  ({ code } = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./index.ts', import.meta.url)),
    logger: new DefaultLogger('ERROR'),
  }));
  nativeConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});

afterAll(async () => {
  await nativeConnection?.close();
  await connection?.close();
  await db?.destroy();
});

/**
 * Every case the rules name, dated relative to `asOf`: old and new pages; pages needed by a kept
 * analysis with a report, by a running one, by one a regeneration touched lately; pages only a
 * failed analysis without a report or an expiring analysis named; analyses expired, recent,
 * running and touched.
 */
async function seed(asOf: Date): Promise<Seeded> {
  const at = (daysBefore: number) => new Date(asOf.getTime() - daysBefore * DAY);
  const tag = randomUUID().slice(0, 8);
  const page = async (name: string, daysBefore: number) => {
    const row = await db
      .insertInto('website_content')
      .values({ url: `https://purge-${tag}.test/${name}`, content_hash: randomUUID(), status_code: 200, content_type: 'text/html', html: `<p>${name}</p>`, fetched_at: at(daysBefore) })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  };
  const analysis = async (status: 'completed' | 'failed' | 'running', finishedDaysBefore: number | null, contentIds: string[], o: { latestVersion?: number; updatedDaysBefore?: number } = {}) => {
    const id = randomUUID();
    await db
      .insertInto('analyses')
      .values({
        id,
        url: `https://purge-${tag}.test/`,
        input_url: `purge-${tag}.test`,
        domain: `purge-${tag}.test`,
        status,
        options: JSON.stringify({}),
        request_hash: id,
        workflow_id: `analysis-${id}`,
        latest_version: o.latestVersion ?? (status === 'completed' ? 1 : 0),
        content_ids: contentIds,
        created_at: at(200),
        updated_at: at(o.updatedDaysBefore ?? finishedDaysBefore ?? 150),
        completed_at: finishedDaysBefore === null ? null : at(finishedDaysBefore),
      })
      .execute();
    await eventsRepository.append(db, { analysisId: id, type: 'step_completed', step: 'validation', version: 1, message: `read https://purge-${tag}.test/` });
    await db.insertInto('analysis_steps').values({ analysis_id: id, version: 1, step: 'validation', state: 'completed' }).execute();
    return id;
  };

  const oldUnused = await Promise.all([1, 2, 3, 4, 5].map((n) => page(`old-${n}`, 150)));
  const fresh = await page('fresh', 10);
  const forReport = await page('needed-by-report', 150);
  const forFailed = await page('named-by-failed', 150);
  const forExpired = await page('named-by-expired', 150);
  const forRunning = await page('needed-by-running', 150);
  const forTouched = await page('needed-by-touched', 150);

  const expired = await analysis('completed', 140, [forExpired]);
  const expiredFailed = await analysis('failed', 120, []);
  const recent = await analysis('completed', 20, [forReport, fresh]);
  const failedRecent = await analysis('failed', 31, [forFailed]);
  const running = await analysis('running', null, [forRunning]);
  // Finished long ago, but a regeneration was asked for yesterday: not "finished longer ago".
  const touched = await analysis('completed', 140, [forTouched], { updatedDaysBefore: 1 });

  return {
    doomed: { analyses: [expired, expiredFailed], pages: [...oldUnused, forFailed, forExpired] },
    kept: { analyses: [recent, failedRecent, running, touched], pages: [fresh, forReport, forRunning, forTouched] },
  };
}

async function existing(seeded: Seeded) {
  const ids = (s: Seeded['kept']) => ({ analyses: s.analyses, pages: s.pages });
  const all = { analyses: [...ids(seeded.doomed).analyses, ...seeded.kept.analyses], pages: [...seeded.doomed.pages, ...seeded.kept.pages] };
  const analyses = await db.selectFrom('analyses').select('id').where('id', 'in', all.analyses).execute();
  const pages = await db.selectFrom('website_content').select('id').where('id', 'in', all.pages).execute();
  return { analyses: analyses.map((r) => r.id).sort(), pages: pages.map((r) => r.id).sort() };
}

const sorted = (s: { analyses: string[]; pages: string[] }) => ({ analyses: [...s.analyses].sort(), pages: [...s.pages].sort() });

type PagesBehaviour = (input: PurgeBatchInput, real: (input: PurgeBatchInput) => Promise<unknown>) => Promise<unknown>;

/** A worker on its own task queue with the real retention activities; `pages` may wrap purgeCachedPages. */
async function withWorker<T>(pages: PagesBehaviour | undefined, body: (taskQueue: string) => Promise<T>): Promise<T> {
  const deps = { db, logger: createLogger('error') } as unknown as ActivityDeps;
  const real = createRetentionActivities(deps);
  const taskQueue = `purge-int-${randomUUID()}`;
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: { code },
    activities: { ...real, purgeCachedPages: (input: PurgeBatchInput) => (pages ? pages(input, real.purgeCachedPages) : real.purgeCachedPages(input)) },
    maxHeartbeatThrottleInterval: '100ms',
  });
  const running = worker.run();
  try {
    return await body(taskQueue);
  } finally {
    worker.shutdown();
    await running;
  }
}

function startPurge(taskQueue: string, input: RetentionPurgeInput) {
  return client.workflow.start<typeof RetentionPurgeWorkflow>(PURGE_WORKFLOW_TYPE, { taskQueue, workflowId: `purge-int-${randomUUID()}`, args: [input] });
}

async function waitFor(what: string, done: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

const before = '1981-01-01T00:00:00.000Z';

async function oldPages(n: number): Promise<string[]> {
  const tag = randomUUID();
  const rows = await db
    .insertInto('website_content')
    .values(Array.from({ length: n }, (_, i) => ({ url: `https://old-${tag}.test/${i}`, content_hash: randomUUID(), status_code: 200, content_type: 'text/html', html: '', fetched_at: new Date('1980-06-01T00:00:00Z') })))
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

const remaining = async (ids: string[]) => (await db.selectFrom('website_content').select('id').where('id', 'in', ids).execute()).length;

/**
 * The purge activities' contract with Temporal: a heartbeat after every batch, a stop between
 * batches once cancelled, and a retried attempt that counts on from the last heartbeat.
 */
describe('retention activities', () => {
  const activities = () => createRetentionActivities({ db, logger: createLogger('error') } as unknown as ActivityDeps);

  it('heartbeat after every batch and stop between batches when cancelled', async () => {
    const ids = await oldPages(3);
    const env = quietActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => {
      beats.push(details);
      env.cancel();
    });
    await expect(env.run(activities().purgeCachedPages, { before, batchSize: 1, maxBatches: 10 })).rejects.toBeInstanceOf(CancelledFailure);
    expect(beats).toEqual([{ deleted: 1, batches: 1, finished: false }]);
    expect(await remaining(ids)).toBe(2);

    // Run again to the end: the rest goes, and a batch that finds less than it asked for ends the phase.
    const done = await quietActivityEnvironment().run(activities().purgeCachedPages, { before, batchSize: 1, maxBatches: 10 });
    expect(done).toEqual({ deleted: 2, batches: 3, finished: true });
    expect(await remaining(ids)).toBe(0);
  });

  it('a retried attempt counts on from the last heartbeat of the one before', async () => {
    const ids = await oldPages(2);
    const env = quietActivityEnvironment({ attempt: 2, heartbeatDetails: { deleted: 5, batches: 3, finished: false } });
    expect(await env.run(activities().purgeCachedPages, { before, batchSize: 10, maxBatches: 10 })).toEqual({ deleted: 7, batches: 4, finished: true });
    expect(await remaining(ids)).toBe(0);
  });

  it('reports back after maxBatches even when more is left', async () => {
    const ids = await oldPages(3);
    expect(await quietActivityEnvironment().run(activities().purgeCachedPages, { before, batchSize: 1, maxBatches: 2 })).toEqual({ deleted: 2, batches: 2, finished: false });
    expect(await remaining(ids)).toBe(1);
    await quietActivityEnvironment().run(activities().purgeCachedPages, { before, batchSize: 10, maxBatches: 1 });
  });
});

describe('RetentionPurgeWorkflow', () => {
  it('deletes exactly the expired analyses and unneeded old pages, in batches, and finishes an interrupted attempt on retry', async () => {
    const asOf = new Date('2001-06-01T00:00:00.000Z');
    const seeded = await seed(asOf);
    let failedOnce = false;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));

    const result = await withWorker(
      async (input, real) => {
        if (!failedOnce) {
          // The first pages attempt deletes one batch, then loses its connection: Temporal retries it.
          failedOnce = true;
          await real(input);
          throw new Error('connection to the database lost (test fault)');
        }
        if (Context.current().info.attempt > 1) await released;
        return real(input);
      },
      async (taskQueue) => {
        const handle = await startPurge(taskQueue, { cacheRetentionDays: CACHE_DAYS, analysisRetentionDays: ANALYSIS_DAYS, asOf: asOf.toISOString(), batchSize: 2, batchesPerActivity: 1 });
        // While the retry waits: the query shows the analyses done and the pages under way.
        let seen: PurgeProgress | undefined;
        await waitFor('the pages phase in the progress query', async () => {
          seen = await handle.query(purgeProgressQuery);
          return seen.phase === 'pages';
        });
        expect(seen).toMatchObject({ phase: 'pages', analysesDeleted: 2, pagesDeleted: 0 });
        expect(seen!.cutoffs).toEqual({ pagesBefore: '2001-05-02T00:00:00.000Z', analysesBefore: '2001-03-03T00:00:00.000Z' });
        release();
        const final = await handle.result();
        expect(await handle.query(purgeProgressQuery)).toEqual(final);
        return final;
      },
    );

    // The count carried over the failed attempt (heartbeat details) and nothing was counted twice.
    expect(result).toMatchObject({ phase: 'done', analysesDeleted: 2, pagesDeleted: 7 });
    // Analyses: 2 + an empty batch; pages: 7 in batches of 2 (2, then 2+2+1 after the retry).
    expect(result.batches).toBe(2 + 4);
    expect(await existing(seeded)).toEqual(sorted(seeded.kept));

    // What goes with an expired analysis: steps (cascade) and every event but a content-free deletion event.
    for (const id of seeded.doomed.analyses) {
      expect(await db.selectFrom('analysis_steps').select('id').where('analysis_id', '=', id).execute()).toEqual([]);
      const events = await db.selectFrom('processing_events').select(['type', 'message', 'details']).where('analysis_id', '=', id).execute();
      expect(events).toEqual([{ type: 'analysis_deleted', message: null, details: { reason: 'retention' } }]);
    }
    for (const id of seeded.kept.analyses) {
      expect(await db.selectFrom('processing_events').select('type').where('analysis_id', '=', id).execute()).toEqual([{ type: 'step_completed' }]);
    }
  });

  it('a run that fails midway leaves everything it should keep; the next run finishes the rest and a third deletes nothing', async () => {
    const asOf = new Date('1995-06-01T00:00:00.000Z');
    const seeded = await seed(asOf);
    const input: RetentionPurgeInput = { cacheRetentionDays: CACHE_DAYS, analysisRetentionDays: ANALYSIS_DAYS, asOf: asOf.toISOString(), batchSize: 2, batchesPerActivity: 1 };

    await withWorker(
      async (batch, real) => {
        await real(batch);
        throw ApplicationFailure.create({ message: 'worker lost (test fault)', nonRetryable: true });
      },
      async (taskQueue) => {
        const handle = await startPurge(taskQueue, input);
        await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
        expect(await handle.query(purgeProgressQuery)).toMatchObject({ phase: 'pages', analysesDeleted: 2, pagesDeleted: 0 });
      },
    );
    const midway = await existing(seeded);
    expect(midway.analyses).toEqual(sorted(seeded.kept).analyses);
    expect(midway.pages).toHaveLength(seeded.kept.pages.length + seeded.doomed.pages.length - 2);
    expect(midway.pages).toEqual(expect.arrayContaining(seeded.kept.pages));

    const [second, third] = await withWorker(undefined, async (taskQueue) => [
      await (await startPurge(taskQueue, input)).result(),
      await (await startPurge(taskQueue, input)).result(),
    ]);
    expect(second).toMatchObject({ phase: 'done', analysesDeleted: 0, pagesDeleted: seeded.doomed.pages.length - 2 });
    expect(third).toMatchObject({ phase: 'done', analysesDeleted: 0, pagesDeleted: 0 });
    expect(await existing(seeded)).toEqual(sorted(seeded.kept));
  });

  it('two purges at once delete each row once and together exactly what one would', async () => {
    const asOf = new Date('1993-06-01T00:00:00.000Z');
    const seeded = await seed(asOf);
    const input: RetentionPurgeInput = { cacheRetentionDays: CACHE_DAYS, analysisRetentionDays: ANALYSIS_DAYS, asOf: asOf.toISOString(), batchSize: 1, batchesPerActivity: 2 };
    const results = await withWorker(undefined, async (taskQueue) => {
      const handles = await Promise.all([startPurge(taskQueue, input), startPurge(taskQueue, input)]);
      return Promise.all(handles.map((h) => h.result()));
    });
    expect(results.reduce((n, r) => n + r.analysesDeleted, 0)).toBe(seeded.doomed.analyses.length);
    expect(results.reduce((n, r) => n + r.pagesDeleted, 0)).toBe(seeded.doomed.pages.length);
    expect(await existing(seeded)).toEqual(sorted(seeded.kept));
  });

  it('keeps everything when no retention period is set', async () => {
    const asOf = new Date('1990-06-01T00:00:00.000Z');
    const seeded = await seed(asOf);
    const result = await withWorker(undefined, async (taskQueue) => (await startPurge(taskQueue, { asOf: asOf.toISOString() })).result());
    expect(result).toMatchObject({ phase: 'done', analysesDeleted: 0, pagesDeleted: 0, batches: 0 });
    const all = { analyses: [...seeded.doomed.analyses, ...seeded.kept.analyses], pages: [...seeded.doomed.pages, ...seeded.kept.pages] };
    expect(await existing(seeded)).toEqual(sorted(all));
  });
});
