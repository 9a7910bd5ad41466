import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { StepName } from '../domain/analysis.js';

export interface NewEvent {
  analysisId: string;
  type: string;
  version?: number | null;
  step?: StepName | null;
  attempt?: number | null;
  message?: string | null;
  details?: object | null;
}

/**
 * The append-only audit trail. Accepts a transaction so an event lands with the change it records.
 * Step moves append theirs in the one statement that makes them (stepsRepository.moveTo and
 * beginAttempt), and model answers theirs in migration 0010's function (substepEvents.modelCallDone):
 * those run around every activity attempt and model call, and a round trip each counted.
 */
export const eventsRepository = {
  async append(db: Kysely<Database>, e: NewEvent): Promise<void> {
    await eventsRepository.appendAll(db, [e]);
  },

  /** Several events in one statement, in this order. */
  async appendAll(db: Kysely<Database>, events: readonly NewEvent[]): Promise<void> {
    if (events.length === 0) return;
    await db
      .insertInto('processing_events')
      .values(
        events.map((e) => ({
          analysis_id: e.analysisId,
          type: e.type,
          version: e.version ?? null,
          step: e.step ?? null,
          attempt: e.attempt ?? null,
          message: e.message ?? null,
          details: e.details ? JSON.stringify(e.details) : null,
        })),
      )
      .execute();
  },

  /**
   * The one erasure path (migration 0007): inside the transaction that has just deleted these
   * analyses, removes every event of theirs and records one deletion event each, with only the ID
   * and time (`details` says why when it is not a person's request, e.g. `{ reason: 'retention' }`).
   * The database refuses any other UPDATE or DELETE of events.
   */
  async eraseAnalyses(trx: Kysely<Database>, analysisIds: readonly string[], details: object | null = null): Promise<void> {
    if (analysisIds.length === 0) return;
    // The setting is transaction-local: outside a transaction it would end with the statement that set it.
    if (!trx.isTransaction) throw new Error('eraseAnalyses must run inside the transaction that deleted the analyses');
    await sql`select set_config('persona.erase_analysis_ids', ${analysisIds.join(',')}, true)`.execute(trx);
    await trx.deleteFrom('processing_events').where('analysis_id', 'in', [...analysisIds]).execute();
    await trx
      .insertInto('processing_events')
      .values(analysisIds.map((id) => ({ analysis_id: id, type: 'analysis_deleted', details: details ? JSON.stringify(details) : null })))
      .execute();
    await sql`select set_config('persona.erase_analysis_ids', '', true)`.execute(trx);
  },
};
