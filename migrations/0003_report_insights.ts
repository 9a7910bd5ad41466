import type { Kysely } from 'kysely';

/**
 * The insight responses each report version was built from, so a regeneration resumed after its
 * run closed builds on exactly those, never on insights of a later attempt that failed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('reports').addColumn('insight_ids', 'jsonb').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('reports').dropColumn('insight_ids').execute();
}
