import { sql, type Kysely } from 'kysely';

const STEPS = sql`('validation','content_extraction','content_processing','ai_analysis','report_generation','quality_check','finalization')`;

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('analyses')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('input_url', 'text', (c) => c.notNull())
    .addColumn('domain', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('pending','running','completed','failed','cancelled')`),
    )
    .addColumn('options', 'jsonb', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.unique())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull().unique())
    .addColumn('current_step', 'text', (c) => c.check(sql`current_step in ${STEPS}`))
    .addColumn('latest_version', 'integer', (c) => c.notNull().defaultTo(0).check(sql`latest_version >= 0`))
    .addColumn('requested_version', 'integer', (c) => c.notNull().defaultTo(1).check(sql`requested_version >= 1`))
    .addColumn('content_ids', sql`uuid[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('corpus', 'jsonb')
    .addColumn('language', 'text')
    .addColumn('error', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('completed_at', 'timestamptz')
    .execute();
  // The list route pages by (created_at, id), optionally filtered by status or domain.
  await db.schema.createIndex('analyses_created_idx').on('analyses').columns(['created_at desc', 'id desc']).execute();
  await db.schema
    .createIndex('analyses_status_created_idx')
    .on('analyses')
    .columns(['status', 'created_at desc', 'id desc'])
    .execute();
  await db.schema
    .createIndex('analyses_domain_created_idx')
    .on('analyses')
    .columns(['domain', 'created_at desc', 'id desc'])
    .execute();

  await db.schema
    .createTable('analysis_steps')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('analysis_id', 'uuid', (c) => c.notNull().references('analyses.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version >= 1`))
    .addColumn('step', 'text', (c) => c.notNull().check(sql`step in ${STEPS}`))
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sql`state in ('pending','running','completed','failed','skipped')`),
    )
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addUniqueConstraint('analysis_steps_analysis_version_step_key', ['analysis_id', 'version', 'step'])
    .execute();

  await db.schema
    .createTable('website_content')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer', (c) => c.notNull())
    .addColumn('content_type', 'text')
    .addColumn('html', 'text', (c) => c.notNull())
    .addColumn('fetched_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('cleaned', 'jsonb')
    .addColumn('language', 'text')
    .addUniqueConstraint('website_content_url_hash_key', ['url', 'content_hash'])
    .execute();
  // Cache look-up: the freshest copy of a URL.
  await db.schema.createIndex('website_content_url_fetched_idx').on('website_content').columns(['url', 'fetched_at desc']).execute();
  // The retention purge scans by age.
  await db.schema.createIndex('website_content_fetched_idx').on('website_content').column('fetched_at').execute();

  await db.schema
    .createTable('ai_responses')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('analysis_id', 'uuid', (c) => c.notNull().references('analyses.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('stand_in', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('raw_output', 'text', (c) => c.notNull())
    .addColumn('parsed', 'jsonb')
    .addColumn('prompt_tokens', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('completion_tokens', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('total_tokens', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cost_usd', 'numeric(12, 6)')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('ai_responses_analysis_version_kind_idx')
    .on('ai_responses')
    .columns(['analysis_id', 'version', 'kind'])
    .execute();

  await db.schema
    .createTable('reports')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('analysis_id', 'uuid', (c) => c.notNull().references('analyses.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version >= 1`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('draft','passed','degraded')`))
    .addColumn('content', 'jsonb', (c) => c.notNull())
    .addColumn('quality', 'jsonb')
    .addColumn('instructions', 'text')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('stand_in', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finalized_at', 'timestamptz')
    .addUniqueConstraint('reports_analysis_version_key', ['analysis_id', 'version'])
    .execute();

  // Append-only audit trail: no foreign key, so a deleted analysis keeps its (content-free) events.
  await db.schema
    .createTable('processing_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('analysis_id', 'uuid', (c) => c.notNull())
    .addColumn('version', 'integer')
    .addColumn('step', 'text', (c) => c.check(sql`step in ${STEPS}`))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer')
    .addColumn('message', 'text')
    .addColumn('details', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('processing_events_analysis_idx').on('processing_events').columns(['analysis_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['processing_events', 'reports', 'ai_responses', 'website_content', 'analysis_steps', 'analyses']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
