import type { Kysely } from 'kysely';

/**
 * A stored model answer names the call it answers (`call_key`: workflow run, activity and part,
 * the same for every attempt of that activity), so a retried attempt finds the valid answer an
 * earlier one already paid for (its acknowledgement lost to a worker crash or a Temporal outage)
 * and counts the unusable ones. Rows written before this migration have none and are never reused.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('ai_responses').addColumn('call_key', 'text').execute();
  await db.schema.createIndex('ai_responses_call_key_idx').on('ai_responses').column('call_key').where('call_key', 'is not', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('ai_responses_call_key_idx').execute();
  await db.schema.alterTable('ai_responses').dropColumn('call_key').execute();
}
