import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Db } from './database.js';
import { EventWakeups } from './event-wakeups.js';
import { createLogger } from './logger.js';
import { eventsRepository } from './repositories/events.js';
import { insertAnalysisRow } from '../test/support/seed-analysis.js';

/** The feed under GET /analysis/{id}/events: event IDs in commit order, and LISTEN/NOTIFY wake-ups (migration 0009). */

let db: Db;

beforeAll(() => {
  db = createDatabase(inject('databaseUrl'), 6);
});

afterAll(async () => {
  await db?.destroy();
});

const analysis = () => insertAnalysisRow(db, 'wakeups.test');

/** Polls until `check` holds; generous, since the machine may be busy. */
async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

/** This test's own listening connection (other test files' APIs may listen at the same time). */
const APPLICATION = `wake-ups test ${randomUUID()}`;
const listeningBackends = () =>
  sql<{ pid: number }>`select pid from pg_stat_activity where application_name = ${APPLICATION} and query = 'LISTEN processing_events'`.execute(db);

describe('event wake-ups', () => {
  it('wakes the streams of an analysis when its event commits, not those of others, and comes back after losing its connection', async () => {
    const [mine, other] = [await analysis(), await analysis()];
    const wakeups = new EventWakeups(inject('databaseUrl'), createLogger('error'), APPLICATION);
    let woken = 0;
    let otherWoken = 0;
    const unsubscribe = wakeups.subscribe(mine, () => woken++);
    const unsubscribeOther = wakeups.subscribe(other, () => otherWoken++);
    try {
      await eventually(async () => (await listeningBackends()).rows.length > 0, 'the LISTEN connection is open');
      const before = { woken, otherWoken };
      await eventsRepository.append(db, { analysisId: mine, type: 'page_read', details: { done: 1, total: 2 } });
      await eventually(() => woken > before.woken, 'the notification arrives');
      expect(otherWoken).toBe(before.otherWoken);

      // The database drops the listening connection (a restart, an administrator): it is reopened.
      const { rows } = await listeningBackends();
      expect(rows).toHaveLength(1);
      const beforeLoss = woken;
      await sql`select pg_terminate_backend(${rows[0]!.pid})`.execute(db);
      // Back, it wakes every stream once: notifications sent meanwhile were lost.
      await eventually(() => woken > beforeLoss && otherWoken > before.otherWoken, 'the streams are woken after the reconnect');
      const fresh = (await listeningBackends()).rows;
      expect(fresh.map((r) => r.pid)).not.toContain(rows[0]!.pid);
      const again = woken;
      await eventsRepository.append(db, { analysisId: mine, type: 'page_read', details: { done: 2, total: 2 } });
      await eventually(() => woken > again, 'notifications arrive again');
    } finally {
      unsubscribe();
      unsubscribeOther();
    }
    // The last stream gone, the connection is closed: an idle API holds none.
    await eventually(async () => (await listeningBackends()).rows.length === 0, 'the LISTEN connection is closed');
  });

  it('gives an event its ID only once earlier events of its analysis have committed', async () => {
    const id = await analysis();
    let commitFirst!: () => void;
    const held = new Promise<void>((resolve) => (commitFirst = resolve));
    let written!: (pid: number) => void;
    const firstWritten = new Promise<number>((resolve) => (written = resolve));
    const first = db.transaction().execute(async (trx) => {
      await eventsRepository.append(trx, { analysisId: id, type: 'page_read', details: { done: 1, total: 2 } });
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
      written(rows[0]!.pid);
      await held;
    });
    // The first event is written, not committed; a second one of the same analysis starts now.
    const firstPid = await firstWritten;
    const second = eventsRepository.append(db, { analysisId: id, type: 'page_read', details: { done: 2, total: 2 } });
    // It waits for the first transaction rather than taking an ID and committing before it.
    await eventually(async () => {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where ${firstPid}::int = any(pg_blocking_pids(pid))`.execute(db);
      return rows[0]!.n > 0;
    }, 'the second insert waits for the first transaction');
    commitFirst();
    await Promise.all([first, second]);
    const rows = await db.selectFrom('processing_events').select(['id', 'details']).where('analysis_id', '=', id).orderBy('id').execute();
    expect(rows.map((r) => (r.details as { done: number }).done)).toEqual([1, 2]);
  });
});
