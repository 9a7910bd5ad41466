import type { Kysely } from 'kysely';
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

/** The append-only audit trail. Accepts a transaction so an event lands with the change it records. */
export const eventsRepository = {
  async append(db: Kysely<Database>, e: NewEvent): Promise<void> {
    await db
      .insertInto('processing_events')
      .values({
        analysis_id: e.analysisId,
        type: e.type,
        version: e.version ?? null,
        step: e.step ?? null,
        attempt: e.attempt ?? null,
        message: e.message ?? null,
        details: e.details ? JSON.stringify(e.details) : null,
      })
      .execute();
  },
};
