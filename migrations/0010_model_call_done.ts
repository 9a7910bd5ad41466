import { sql, type Kysely } from 'kysely';

/**
 * A model call's `model_call_done` event in one round trip. Its counts (`done` of `total`) must be
 * taken under the analysis row's lock, so that parallel calls record 1, 2, 3… in ID order: that was
 * a transaction of five statements per answer (begin, lock, read, insert, commit), six times per
 * analysis. In a function each statement reads with a snapshot of its own (READ COMMITTED, VOLATILE),
 * so the read after the lock sees every event committed before it, as the separate statements did.
 *
 * done  = the distinct kinds answered in this version, this one included;
 * total = the calls the version plans (given) plus the repairs answered so far, never below done.
 * Returns false, recording nothing, when the analysis has no row (deleted meanwhile).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function record_model_call_done(p_analysis uuid, p_version integer, p_step text, p_kind text, p_planned integer)
    returns boolean language plpgsql volatile as $$
    declare
      answered integer;
      repairs integer;
    begin
      perform 1 from analyses where id = p_analysis for no key update;
      if not found then
        return false;
      end if;
      select count(*), count(*) filter (where kind like 'repair:%') into answered, repairs
      from (
        select details ->> 'kind' as kind from processing_events
        where analysis_id = p_analysis and version = p_version and type = 'model_call_done'
        union
        select p_kind
      ) kinds;
      insert into processing_events (analysis_id, version, step, type, details)
      values (p_analysis, p_version, p_step, 'model_call_done',
              jsonb_build_object('kind', p_kind, 'done', answered, 'total', greatest(p_planned + repairs, answered)));
      return true;
    end
    $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop function if exists record_model_call_done(uuid, integer, text, text, integer)`.execute(db);
}
