import { sql, type Kysely } from 'kysely';

/**
 * processing_events as a feed that live readers (GET /analysis/{id}/events, any API instance) can
 * follow with a cursor: the event ID.
 *
 * Ordered IDs. A bigserial hands out IDs when a row is inserted, not when it commits, so two
 * transactions of one analysis could commit IDs 11 then 10: a reader that passed 11 would never see
 * 10. Here an event's ID is taken only once its transaction holds its analysis row (FOR NO KEY
 * UPDATE, until commit): another transaction adding an event to the same analysis waits, then takes
 * a higher ID. So per analysis, IDs appear in commit order, and "everything after N" never misses a
 * row. Every transaction that records an event already locks or updates that row around it, always
 * in the same order (the row first, or only), so the lock adds waiting, not deadlocks. The trigger
 * fires after the append-only guard of 0007 (triggers run by name), which may drop the row.
 *
 * Wake-up. After each insert, pg_notify('processing_events', <analysis id>), delivered at commit;
 * the API's one LISTEN connection wakes the streams of that analysis. A lost notification only
 * delays a stream until its next poll.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function processing_events_in_commit_order() returns trigger language plpgsql as $$
    begin
      perform 1 from analyses where id = new.analysis_id for no key update;
      new.id := nextval(pg_get_serial_sequence('processing_events', 'id'));
      return new;
    end
    $$`.execute(db);
  await sql`create trigger processing_events_sequence
            before insert on processing_events
            for each row execute function processing_events_in_commit_order()`.execute(db);

  await sql`
    create function processing_events_notify() returns trigger language plpgsql as $$
    begin
      perform pg_notify('processing_events', new.analysis_id::text);
      return null;
    end
    $$`.execute(db);
  await sql`create trigger processing_events_notify
            after insert on processing_events
            for each row execute function processing_events_notify()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists processing_events_notify on processing_events`.execute(db);
  await sql`drop function if exists processing_events_notify()`.execute(db);
  await sql`drop trigger if exists processing_events_sequence on processing_events`.execute(db);
  await sql`drop function if exists processing_events_in_commit_order()`.execute(db);
}
