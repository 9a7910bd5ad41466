import { sql, type Kysely } from 'kysely';

/**
 * Retention and deletion in the database itself.
 *
 * `processing_events` becomes append-only by trigger, not by convention: UPDATE and TRUNCATE are
 * refused, and DELETE only takes the events of an analysis that is already gone (deleted earlier
 * in the same transaction) and that the transaction named as the one it erases, through the
 * transaction-local setting `persona.erase_analysis_ids` (comma-separated IDs). That is the one
 * erasure path; `eventsRepository.eraseAnalyses` (DELETE /analysis/{id}, the retention purge) uses it.
 *
 * Events have no foreign key (the deletion event outlives its analysis), so the trigger does what
 * one would: an insert locks its analysis row (FOR KEY SHARE, as a foreign key check does), so an
 * erasure either waits for it and removes it, or has committed and the insert finds no analysis.
 * An event of a missing analysis is dropped, not refused: activities still in flight for a deleted
 * analysis add nothing, and their bookkeeping does not fail. `analysis_deleted` is the exception,
 * and only through the erasure path.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // Events of analyses deleted before this migration may carry URLs and error texts: erase them now.
  await sql`delete from processing_events e
            where e.type <> 'analysis_deleted' and not exists (select 1 from analyses a where a.id = e.analysis_id)`.execute(db);
  await sql`update processing_events set version = null, step = null, attempt = null, message = null, details = null
            where type = 'analysis_deleted'`.execute(db);

  await sql`
    create function persona_erasing(target uuid) returns boolean language sql stable as $$
      select coalesce(target = any(string_to_array(nullif(current_setting('persona.erase_analysis_ids', true), ''), ',')::uuid[]), false)
    $$`.execute(db);

  await sql`
    create function processing_events_guard() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        if new.type = 'analysis_deleted' then
          if persona_erasing(new.analysis_id) and not exists (select 1 from analyses where id = new.analysis_id) then
            return new;
          end if;
          raise exception 'a deletion event is recorded only while its analysis % is erased', new.analysis_id
            using errcode = 'restrict_violation';
        end if;
        perform 1 from analyses where id = new.analysis_id for key share;
        if found then
          return new;
        end if;
        return null; -- the analysis is gone (deleted) or was never committed: nothing of it is recorded
      elsif tg_op = 'DELETE' then
        if persona_erasing(old.analysis_id) and not exists (select 1 from analyses where id = old.analysis_id) then
          return old;
        end if;
        raise exception 'processing_events is append-only: events are deleted only with their analysis, through the erasure path'
          using errcode = 'restrict_violation';
      end if;
      raise exception 'processing_events is append-only: % is not allowed', lower(tg_op)
        using errcode = 'restrict_violation';
    end
    $$`.execute(db);

  await sql`create trigger processing_events_append_only
            before insert or update or delete on processing_events
            for each row execute function processing_events_guard()`.execute(db);
  await sql`create trigger processing_events_no_truncate
            before truncate on processing_events
            for each statement execute function processing_events_guard()`.execute(db);

  // The purge: finished analyses by age, and whether a cached page is still named by an analysis.
  await sql`create index analyses_finished_idx on analyses (completed_at) where status in ('completed','failed','cancelled')`.execute(db);
  await sql`create index analyses_content_ids_idx on analyses using gin (content_ids)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists analyses_content_ids_idx`.execute(db);
  await sql`drop index if exists analyses_finished_idx`.execute(db);
  await sql`drop trigger if exists processing_events_no_truncate on processing_events`.execute(db);
  await sql`drop trigger if exists processing_events_append_only on processing_events`.execute(db);
  await sql`drop function if exists processing_events_guard()`.execute(db);
  await sql`drop function if exists persona_erasing(uuid)`.execute(db);
}
