import { sql, type Kysely } from 'kysely';

/**
 * API access: keys managed with `npm run keys` (stored as SHA-256 hashes, never in clear), and the
 * table in which rate-limiter-flexible's RateLimiterPostgres counts requests, shared by every API
 * instance. Its columns are the ones the library expects (it would create the same table itself;
 * creating it here keeps schema changes in migrations and lets the API run without CREATE rights).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    // The first characters of the key, shown by `keys list` so an operator can tell keys apart.
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('last_used_at', 'timestamptz')
    .execute();
  await db.schema
    .createTable('rate_limits')
    .addColumn('key', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('points', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('expire', 'bigint')
    .execute();
  await db.schema.createIndex('rate_limits_expire').on('rate_limits').column('expire').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rate_limits').execute();
  await db.schema.dropTable('api_keys').execute();
}
