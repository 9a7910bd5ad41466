import type { Kysely } from 'kysely';

/**
 * The page cache grows up: which cleaner version produced `cleaned` (a newer cleaner re-cleans),
 * the validators for a conditional request once a copy is stale (ETag, Last-Modified), and pages
 * that answered 404 or 410 are stored too (empty body, their status), so a broken link is
 * remembered for the TTL. `analyses.crawl` keeps what the crawl read and skipped, and why.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('website_content')
    .addColumn('cleaner_version', 'integer')
    .addColumn('etag', 'text')
    .addColumn('last_modified', 'text')
    .execute();
  await db.schema.alterTable('analyses').addColumn('crawl', 'jsonb').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('analyses').dropColumn('crawl').execute();
  await db.schema.alterTable('website_content').dropColumn('cleaner_version').dropColumn('etag').dropColumn('last_modified').execute();
}
