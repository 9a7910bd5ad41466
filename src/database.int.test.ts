import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, prepared, type Db } from './database.js';

let db: Db;

beforeAll(() => {
  // One connection, so every statement below meets the same server session.
  db = createDatabase(inject('databaseUrl'), 1);
});

afterAll(async () => {
  await db?.destroy();
});

const preparedTexts = async () =>
  (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db)).rows.map((r) => r.statement);

describe('prepared()', () => {
  it('runs the statements it marks as prepared statements on the connection, and no others', async () => {
    const marker = `m${randomUUID().slice(0, 8)}`;
    const byId = (id: string) => db.selectFrom('analyses').select(['id', sql<string>`${sql.lit(marker)}`.as('marker')]).where('id', '=', id);
    const compiled = prepared(byId(randomUUID()));
    expect((await db.executeQuery(compiled)).rows).toEqual([]);
    // The same text with other values runs under the same name: one prepared statement.
    expect((await db.executeQuery(prepared(byId(randomUUID())))).rows).toEqual([]);
    expect((await preparedTexts()).filter((t) => t.includes(marker))).toEqual([compiled.sql]);

    const unmarked = db.selectFrom('analyses').select(sql<string>`${sql.lit(`${marker}-unmarked`)}`.as('marker')).where('id', '=', randomUUID());
    await unmarked.execute();
    expect((await preparedTexts()).some((t) => t.includes(`${marker}-unmarked`))).toBe(false);
  });

  it('keeps answering after a migration adds a column to the table it reads', async () => {
    const table = `prepared_probe_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    await sql`create table ${sql.table(table)} (id int primary key, label text)`.execute(db);
    try {
      await sql`insert into ${sql.table(table)} values (1, 'one')`.execute(db);
      const read = () => db.executeQuery(prepared(sql<{ id: number; label: string }>`select id, label from ${sql.table(table)} where id = ${1}`.compile(db)));
      expect((await read()).rows).toEqual([{ id: 1, label: 'one' }]);
      await sql`alter table ${sql.table(table)} add column extra text default 'x'`.execute(db);
      expect((await read()).rows).toEqual([{ id: 1, label: 'one' }]);
    } finally {
      await sql`drop table ${sql.table(table)}`.execute(db);
    }
  });
});
