import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Db } from '../database.js';
import { analysesRepository } from './analyses.js';
import { eventsRepository } from './events.js';
import { insertAnalysisRow } from '../../test/support/seed-analysis.js';

/** processing_events is append-only in the database (migration 0007), with one erasure path. */

let db: Db;

beforeAll(() => {
  db = createDatabase(inject('databaseUrl'), 4);
});

afterAll(async () => {
  await db?.destroy();
});

const analysis = () => insertAnalysisRow(db, 'events.test');

const eventsOf = (id: string) =>
  db.selectFrom('processing_events').select(['type', 'message', 'details', 'version', 'step']).where('analysis_id', '=', id).orderBy('id').execute();

/** The error PostgreSQL raised, so the assertion names the database's refusal, not just "it threw". */
async function refusal(run: () => Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await run();
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('the database accepted the statement');
}

async function erase(id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    expect(await analysesRepository.delete(trx, id)).toBe(true);
    await eventsRepository.eraseAnalyses(trx, [id]);
  });
}

describe('processing_events is append-only in the database', () => {
  it('refuses UPDATE, DELETE and TRUNCATE outside the erasure path', async () => {
    const id = await analysis();
    await eventsRepository.append(db, { analysisId: id, type: 'step_running', step: 'validation', version: 1, message: 'https://events.test/' });

    const update = await refusal(() => db.updateTable('processing_events').set({ message: null }).where('analysis_id', '=', id).execute());
    expect(update).toMatchObject({ code: '23001', message: expect.stringMatching(/append-only/) });
    const del = await refusal(() => db.deleteFrom('processing_events').where('analysis_id', '=', id).execute());
    expect(del).toMatchObject({ code: '23001', message: expect.stringMatching(/append-only/) });
    const truncate = await refusal(() => sql`truncate processing_events`.execute(db));
    expect(truncate).toMatchObject({ code: '23001' });

    expect(await eventsOf(id)).toEqual([expect.objectContaining({ type: 'step_running', message: 'https://events.test/' })]);
  });

  it('naming an analysis in the setting is not enough while the analysis still exists', async () => {
    const id = await analysis();
    await eventsRepository.append(db, { analysisId: id, type: 'step_running', step: 'validation', version: 1 });
    const err = await refusal(() =>
      db.transaction().execute(async (trx) => {
        await sql`select set_config('persona.erase_analysis_ids', ${id}, true)`.execute(trx);
        await trx.deleteFrom('processing_events').where('analysis_id', '=', id).execute();
      }),
    );
    expect(err.code).toBe('23001');
    expect(await eventsOf(id)).toHaveLength(1);
  });

  it('erasing an analysis leaves only its deletion event: ID and time, nothing of its content', async () => {
    const id = await analysis();
    const other = await analysis();
    await eventsRepository.append(db, { analysisId: id, type: 'attempt_failed', step: 'content_extraction', version: 1, message: 'https://events.test/secret refused' });
    await eventsRepository.append(db, { analysisId: other, type: 'step_running', step: 'validation', version: 1 });
    await erase(id);

    expect(await eventsOf(id)).toEqual([{ type: 'analysis_deleted', message: null, details: null, version: null, step: null }]);
    expect(await eventsOf(other)).toHaveLength(1);
    // Afterwards the events are append-only again: the setting was local to that transaction.
    expect((await refusal(() => db.deleteFrom('processing_events').where('analysis_id', '=', id).execute())).code).toBe('23001');
  });

  it('drops events of an analysis that does not exist, and refuses a deletion event outside the erasure path', async () => {
    const gone = await analysis();
    await erase(gone);
    await eventsRepository.append(db, { analysisId: gone, type: 'attempt_failed', step: 'ai_analysis', version: 1, message: 'late' });
    await eventsRepository.append(db, { analysisId: randomUUID(), type: 'step_running', step: 'validation', version: 1 });
    expect(await eventsOf(gone)).toEqual([expect.objectContaining({ type: 'analysis_deleted' })]);

    const live = await analysis();
    const forged = await refusal(() => eventsRepository.append(db, { analysisId: live, type: 'analysis_deleted' }));
    expect(forged.code).toBe('23001');
    expect(await eventsOf(live)).toEqual([]);
  });

  it('refuses to erase outside a transaction (the setting would not hold)', async () => {
    await expect(eventsRepository.eraseAnalyses(db, [randomUUID()])).rejects.toThrow(/inside the transaction/);
  });

  it('an event sent while its analysis is being deleted waits for the deletion and is then dropped', async () => {
    const id = await analysis();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let deleted!: (pid: number) => void;
    const rowDeleted = new Promise<number>((resolve) => (deleted = resolve));
    const deletion = db.transaction().execute(async (trx) => {
      await analysesRepository.delete(trx, id);
      deleted((await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]!.pid);
      await released;
      await eventsRepository.eraseAnalyses(trx, [id]);
    });
    const deletingPid = await rowDeleted;
    // An activity still in flight: its insert must wait on the analysis row the deletion holds.
    const late = eventsRepository.append(db, { analysisId: id, type: 'step_completed', step: 'ai_analysis', version: 1, message: 'late' });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const waiting = await sql<{ n: number }>`
        select count(*)::int as n from pg_stat_activity
        where ${deletingPid}::int = any(pg_blocking_pids(pid)) and query like '%insert into "processing_events"%'`.execute(db);
      if ((waiting.rows[0]?.n ?? 0) > 0) break;
      if (Date.now() > deadline) throw new Error('the late insert never waited for the deletion');
      await sleep(50);
    }
    release();
    await deletion;
    await late;
    expect(await eventsOf(id)).toEqual([expect.objectContaining({ type: 'analysis_deleted' })]);
  });
});
