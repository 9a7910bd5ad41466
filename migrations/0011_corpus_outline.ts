import type { Kysely } from 'kysely';

/**
 * The corpus outline (pages, sizes, what the budget left out) stored beside the corpus when it is
 * written, so a status read does not project it from the whole corpus JSON each time (which cost
 * PostgreSQL about as much as the rest of the read). Rows written before have none; the status read
 * projects theirs as before.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('analyses').addColumn('corpus_outline', 'jsonb').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('analyses').dropColumn('corpus_outline').execute();
}
