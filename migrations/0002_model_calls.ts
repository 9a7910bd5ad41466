import { sql, type Kysely } from 'kysely';

/**
 * Model calls work with any OpenAI-compatible endpoint: each stored response says how the JSON was
 * asked for (json_schema, json_object or text) and how many of its input tokens came from the
 * endpoint's prompt cache (priced lower, and part of prompt_tokens).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('ai_responses')
    .addColumn('cached_tokens', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('output_mode', 'text', (c) => c.check(sql`output_mode in ('json_schema','json_object','text')`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('ai_responses').dropColumn('output_mode').dropColumn('cached_tokens').execute();
}
