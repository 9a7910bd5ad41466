import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Db } from '../../src/database.js';
import { api, pollStatus } from '../support/api.js';
import { ACME_PAGES } from '../support/acme-site.js';
import { startTestService, type TestService } from '../support/service.js';
import { serveSite, type TestSite } from '../support/sites.js';

/**
 * DELETE of an analysis whose model calls are in flight, through the API and a real worker: once
 * it answers, and still after the worker has finished everything it had started, nothing of the
 * analysis is left but one deletion event with its ID and time.
 */
describe('delete means deleted', () => {
  let service: TestService | undefined;
  let acme: TestSite;
  let db: Db;

  beforeAll(async () => {
    service = await startTestService();
    acme = await serveSite(ACME_PAGES);
    db = createDatabase(inject('databaseUrl'), 2);
  });

  afterAll(async () => {
    await service?.stop();
    await acme?.close();
    await db?.destroy();
  });

  /** Every row that names the analysis, by table (tables with an analysis_id column, found in the schema). */
  async function rowsOf(id: string): Promise<Record<string, number>> {
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.columns
      where table_schema = current_schema() and column_name = 'analysis_id' and table_name <> 'processing_events'`.execute(db);
    const counts: Record<string, number> = {};
    for (const { table_name } of tables.rows) {
      const n = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table_name)} where analysis_id = ${id}`.execute(db);
      counts[table_name] = n.rows[0]!.n;
    }
    const analyses = await sql<{ n: number }>`select count(*)::int as n from analyses where id = ${id}`.execute(db);
    counts.analyses = analyses.rows[0]!.n;
    return counts;
  }

  const eventsOf = (id: string) =>
    db.selectFrom('processing_events').select(['type', 'version', 'step', 'attempt', 'message', 'details']).where('analysis_id', '=', id).execute();

  const deletionOnly = [{ type: 'analysis_deleted', version: null, step: null, attempt: null, message: null, details: null }];

  it('leaves only the deletion event, also after the activities in flight have finished', async () => {
    const s = service!;
    // Model calls slow enough to be in flight when the DELETE arrives, and to finish after it.
    s.standIn.setLatency(3_000);
    const start = await api(s.apiUrl, '/analysis/start', { method: 'POST', json: { url: acme.url, options: { maxPages: 3, personaCount: 1 } } });
    expect(start.status).toBe(202);
    const id = start.body.data.analysisId as string;
    await pollStatus(s.apiUrl, id, (st) => st.currentStep === 'ai_analysis');
    const before = s.standIn.requests();
    const deadline = Date.now() + 60_000;
    while (s.standIn.requests() === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(s.standIn.requests()).toBeGreaterThan(before);
    // Before: the analysis has rows and events with its URL.
    expect((await eventsOf(id)).some((e) => e.type === 'step_running')).toBe(true);

    const del = await api(s.apiUrl, `/analysis/${id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(await eventsOf(id)).toEqual(deletionOnly);

    const handle = s.temporal.workflow.getHandle(`analysis-${id}`);
    await handle.result().catch(() => undefined);
    // Stopping the worker waits for every activity it was running (in-flight model calls included).
    await s.stop();
    service = undefined;

    const left = await rowsOf(id);
    expect(Object.values(left).every((n) => n === 0), JSON.stringify(left)).toBe(true);
    expect(left).toHaveProperty('analysis_steps');
    expect(left).toHaveProperty('ai_responses');
    expect(await eventsOf(id)).toEqual(deletionOnly);
  });
});
