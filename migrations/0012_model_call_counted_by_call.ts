import { sql, type Kysely } from 'kysely';

/**
 * Model calls counted by call, not by kind: two quality rounds that repair the same persona are
 * two calls (each its own activity, so its own call key), which 0010's function counted as one,
 * so the progress said "7 of 7" twice. `p_call` is the call key (ai_responses.call_key): a retried
 * attempt that reuses its stored answer records the same key and repeats its count, as before.
 * Events written before carry no call and count by their kind. 0010's function stays for workers
 * still running the code before this one.
 *
 * done  = the distinct calls answered in this version, this one included;
 * total = the calls the version plans (given) plus the repairs answered so far, never below done.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function record_model_call_answered(p_analysis uuid, p_version integer, p_step text, p_kind text, p_call text, p_planned integer)
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
        select coalesce(details ->> 'call', details ->> 'kind') as call, details ->> 'kind' as kind from processing_events
        where analysis_id = p_analysis and version = p_version and type = 'model_call_done'
        union
        select p_call, p_kind
      ) calls;
      insert into processing_events (analysis_id, version, step, type, details)
      values (p_analysis, p_version, p_step, 'model_call_done',
              jsonb_build_object('kind', p_kind, 'call', p_call, 'done', answered, 'total', greatest(p_planned + repairs, answered)));
      return true;
    end
    $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop function if exists record_model_call_answered(uuid, integer, text, text, text, integer)`.execute(db);
}
