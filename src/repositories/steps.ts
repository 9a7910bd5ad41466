import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';
import { STEP_NAMES, type StepName, type StepState } from '../domain/analysis.js';

interface StepKey {
  analysisId: string;
  version: number;
  step: StepName;
}

export const stepsRepository = {
  /**
   * Moves a step to a new state; the first move to `running` stamps started_at, a final one
   * finished_at. Returns false when the step was already in that state (nothing changed).
   */
  async setState(db: Kysely<Database>, key: StepKey, state: StepState, error?: string): Promise<boolean> {
    const now = new Date();
    const finished = state === 'completed' || state === 'failed' || state === 'skipped';
    const succeeded = state === 'completed' || state === 'skipped';
    const row = await db
      .insertInto('analysis_steps')
      .values({
        analysis_id: key.analysisId,
        version: key.version,
        step: key.step,
        state,
        last_error: error ?? null,
        started_at: state === 'running' ? now : null,
        finished_at: finished ? now : null,
      })
      .onConflict((oc) =>
        oc
          .constraint('analysis_steps_analysis_version_step_key')
          .doUpdateSet((eb) => ({
            state,
            // A step that got through has no current error: a retried fault ("waiting for the AI
            // endpoint since …") is history, kept in processing_events, not news for status readers.
            last_error: succeeded ? null : (error ?? eb.ref('analysis_steps.last_error')),
            started_at: sql<Date>`coalesce(analysis_steps.started_at, ${state === 'running' ? now : null}::timestamptz)`,
            finished_at: finished ? now : null,
          }))
          .where('analysis_steps.state', '!=', state),
      )
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  },

  /**
   * An activity attempt of `key.step` begins, in one statement: the step runs (started_at kept
   * from its first attempt), its attempt is counted (across parallel calls the highest wins), and
   * those of `earlier` still running in this version are completed (a later step has begun, so
   * they are done). Returns the step's state before, and the steps it completed, in step order.
   * One round trip instead of four: this runs before every activity attempt.
   */
  async beginAttempt(
    db: Kysely<Database>,
    key: StepKey,
    attempt: number,
    earlier: readonly StepName[],
  ): Promise<{ previous: StepState | null; completed: StepName[] }> {
    const now = new Date();
    const { rows } = await sql<{ previous: StepState | null; completed: StepName[] | null }>`
      with before as (
        select state from analysis_steps
        where analysis_id = ${key.analysisId} and version = ${key.version} and step = ${key.step}
      ), done as (
        update analysis_steps set state = 'completed', last_error = null, finished_at = ${now}
        where analysis_id = ${key.analysisId} and version = ${key.version} and step = any(${[...earlier]}::text[]) and state = 'running'
        returning step
      ), began as (
        insert into analysis_steps as s (analysis_id, version, step, state, attempts, started_at)
        values (${key.analysisId}, ${key.version}, ${key.step}, 'running', ${attempt}, ${now})
        on conflict on constraint analysis_steps_analysis_version_step_key do update set
          state = 'running',
          attempts = greatest(s.attempts, excluded.attempts),
          started_at = coalesce(s.started_at, excluded.started_at),
          finished_at = case when s.state = 'running' then s.finished_at end
        returning 1
      )
      select (select state from before) as previous, (select array_agg(step) from done) as completed, (select count(*) from began) as began
    `.execute(db);
    const row = rows[0];
    const completed = (row?.completed ?? []).sort((a, b) => STEP_NAMES.indexOf(a) - STEP_NAMES.indexOf(b));
    return { previous: row?.previous ?? null, completed };
  },

  /** Records that an activity attempt of this step began (attempt counts from 1, across parallel calls the highest wins). */
  async recordAttempt(db: Kysely<Database>, key: StepKey, attempt: number, error?: string): Promise<void> {
    await db
      .insertInto('analysis_steps')
      .values({
        analysis_id: key.analysisId,
        version: key.version,
        step: key.step,
        state: 'running',
        attempts: attempt,
        last_error: error ?? null,
        started_at: new Date(),
      })
      .onConflict((oc) =>
        oc.constraint('analysis_steps_analysis_version_step_key').doUpdateSet((eb) => ({
          attempts: sql<number>`greatest(analysis_steps.attempts, ${attempt})`,
          last_error: error ?? eb.ref('analysis_steps.last_error'),
        })),
      )
      .execute();
  },

  async list(db: Kysely<Database>, analysisId: string) {
    return db.selectFrom('analysis_steps').selectAll().where('analysis_id', '=', analysisId).orderBy('version').orderBy('id').execute();
  },
};
