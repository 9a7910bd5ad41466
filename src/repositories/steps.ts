import { sql, type Expression, type Kysely } from 'kysely';
import { prepared, type Database } from '../database.js';
import { STEP_NAMES, type StepName, type StepState } from '../domain/analysis.js';
import type { StepRecord } from '../domain/progress-view.js';
import { CONTENT_COLUMNS, type AnalysisContentRow } from './analysis-content.js';

interface StepKey {
  analysisId: string;
  version: number;
  step: StepName;
}

export const stepsRepository = {
  /**
   * A step's new state and its audit event (`step_<state>`), once, in one statement: a repeated
   * call (a retried bookkeeping write, the workflow recording what finalization already recorded)
   * changes nothing and adds no second event. The analysis row is locked first, as a DELETE takes
   * it before its cascade reaches the step rows (the other order deadlocked). Returns 'moved',
   * 'unchanged', or 'missing' when the analysis has no row (then nothing is written).
   */
  async moveTo(db: Kysely<Database>, key: StepKey, state: StepState, error?: string): Promise<'moved' | 'unchanged' | 'missing'> {
    const now = new Date();
    const finished = state === 'completed' || state === 'failed' || state === 'skipped';
    const succeeded = state === 'completed' || state === 'skipped';
    const { rows } = await db.executeQuery(prepared(sql<{ found: number; moved: number }>`
      with locked as (
        select id from analyses where id = ${key.analysisId} for no key update
      ), moved as (
        insert into analysis_steps as s (analysis_id, version, step, state, last_error, started_at, finished_at)
        select ${key.analysisId}, ${key.version}, ${key.step}, ${state}, ${error ?? null}::text,
               ${state === 'running' ? now : null}::timestamptz, ${finished ? now : null}::timestamptz
        from locked
        on conflict on constraint analysis_steps_analysis_version_step_key do update set
          state = excluded.state,
          -- A step that got through has no current error: a retried fault ("waiting for the AI
          -- endpoint since …") is history, kept in processing_events, not news for status readers.
          last_error = ${succeeded ? sql`null` : sql`coalesce(excluded.last_error, s.last_error)`},
          started_at = coalesce(s.started_at, excluded.started_at),
          finished_at = excluded.finished_at
        where s.state <> excluded.state
        returning 1
      ), logged as (
        insert into processing_events (analysis_id, type, version, step, message)
        select ${key.analysisId}, ${`step_${state}`}, ${key.version}, ${key.step}, ${error ?? null}::text from moved
      )
      select (select count(*) from locked)::int as found, (select count(*) from moved)::int as moved
    `.compile(db)));
    const row = rows[0];
    return !row?.found ? 'missing' : row.moved ? 'moved' : 'unchanged';
  },

  /**
   * An activity attempt of `key.step` begins, in one statement (one round trip; this runs before
   * every attempt): the analysis row first (its current step; also the lock a DELETE takes first),
   * then the step runs (started_at kept from its first attempt) and its attempt is counted (across
   * parallel calls the highest wins), those of `earlier` still running in this version are
   * completed (a later step has begun, so they are done), and the events of those moves are
   * appended in this order: step_running (once per step), step_completed of each step completed
   * here, step_retry for an attempt after the first. Whether the step was running already is read
   * from the row the upsert replaced (RETURNING old, PostgreSQL 18), after the analysis lock, so
   * parallel attempts of one step record one step_running between them. Returns the analysis as
   * activities read it (its content columns, as of this moment: the attempt needs no second read),
   * or undefined when it has no row (deleted, or not committed yet): then nothing is written.
   */
  async beginAttempt(db: Kysely<Database>, key: StepKey, attempt: number, earlier: readonly StepName[]): Promise<AnalysisContentRow | undefined> {
    const now = new Date();
    const { rows } = await db.executeQuery(prepared(sql<AnalysisContentRow>`
      with touched as (
        update analyses set current_step = ${key.step}, status = 'running', updated_at = ${now}
        where id = ${key.analysisId}
        returning ${sql.join(CONTENT_COLUMNS.map((c) => sql.ref(c)))}
      ), done as (
        update analysis_steps set state = 'completed', last_error = null, finished_at = ${now}
        where analysis_id = ${key.analysisId} and version = ${key.version} and step = any(${[...earlier]}::text[]) and state = 'running'
          and exists (select from touched)
        returning step
      ), began as (
        insert into analysis_steps as s (analysis_id, version, step, state, attempts, started_at)
        select ${key.analysisId}, ${key.version}, ${key.step}, 'running', ${attempt}::int, ${now}::timestamptz from touched
        on conflict on constraint analysis_steps_analysis_version_step_key do update set
          state = 'running',
          attempts = greatest(s.attempts, excluded.attempts),
          started_at = coalesce(s.started_at, excluded.started_at),
          finished_at = case when s.state = 'running' then s.finished_at end
        returning old.state as previous
      ), logged as (
        insert into processing_events (analysis_id, type, version, step, attempt)
        select ${key.analysisId}, e.type, ${key.version}, e.step, e.attempt from (
          select 0 as ord, 'step_running' as type, ${key.step}::text as step, null::int as attempt from began where previous is distinct from 'running'
          union all
          select array_position(${[...STEP_NAMES]}::text[], step), 'step_completed', step, null from done
          union all
          select ${STEP_NAMES.length + 1}, 'step_retry', ${key.step}, ${attempt}::int from began where ${attempt}::int > 1
        ) e
        order by e.ord
      )
      select * from touched
    `.compile(db)));
    return rows[0];
  },

  /**
   * A version that ended (failed or cancelled) leaves no step running: any still marked running
   * (a step recorded inside another step's attempt, e.g. quality_check inside a report_generation
   * that then failed for good) fails with the version's reason. Returns those steps, in step order.
   */
  async failRunning(db: Kysely<Database>, analysisId: string, version: number, error: string): Promise<StepName[]> {
    const rows = await db
      .updateTable('analysis_steps')
      .set({ state: 'failed', last_error: error, finished_at: new Date() })
      .where('analysis_id', '=', analysisId)
      .where('version', '=', version)
      .where('state', '=', 'running')
      .returning('step')
      .execute();
    return rows.map((r) => r.step as StepName).sort((a, b) => STEP_NAMES.indexOf(a) - STEP_NAMES.indexOf(b));
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

  async list(db: Kysely<Database>, analysisId: string): Promise<StepRecord[]> {
    return stepsRepository.recordsOf(db, analysisId).execute();
  },

  /**
   * The records progress is computed from, also a subquery of the status read (analysesRepository.statusById
   * nests it as JSON, so a status read is one statement); `recordFromJson` reads one back.
   */
  recordsOf(db: Kysely<Database>, analysisId: string | Expression<string>) {
    return db
      .selectFrom('analysis_steps')
      .select(['step', 'version', 'state', 'attempts', 'last_error', 'started_at', 'finished_at'])
      .where('analysis_id', '=', analysisId)
      .orderBy('version')
      .orderBy('id');
  },
};

/** A step record nested as JSON: its timestamps arrive as text. */
export function recordFromJson(r: Omit<StepRecord, 'started_at' | 'finished_at'> & { started_at: string | Date | null; finished_at: string | Date | null }): StepRecord {
  return { ...r, started_at: r.started_at === null ? null : new Date(r.started_at), finished_at: r.finished_at === null ? null : new Date(r.finished_at) };
}
