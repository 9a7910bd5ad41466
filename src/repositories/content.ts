import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';
import { CLEANER_VERSION } from '../domain/clean-page.js';
import type { CrawlReport } from '../domain/site-links.js';

export interface NewContent {
  url: string;
  contentHash: string;
  statusCode: number;
  contentType: string | null;
  html: string;
  etag?: string | null | undefined;
  lastModified?: string | null | undefined;
}

/**
 * The page cache (`website_content`): one row per URL and body, shared by every analysis. Pages
 * that answered 404 or 410 are rows too (empty body), so a broken link is remembered for the TTL.
 */
export const contentRepository = {
  /**
   * The newest copy of a URL, whatever its age, and whether it is still fresh (fetched within the
   * last `maxAgeHours`, by the database's clock). A stale copy with validators is asked for again
   * with a conditional request.
   */
  async latestByUrl(db: Kysely<Database>, url: string, maxAgeHours: number) {
    return db
      .selectFrom('website_content')
      .selectAll()
      .select(sql<boolean>`fetched_at > now() - make_interval(secs => ${maxAgeHours * 3600})`.as('fresh'))
      .where('url', '=', url)
      .orderBy('fetched_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  },

  /** The newest copy of a URL fetched within the last `maxAgeHours`, or undefined. */
  async freshByUrl(db: Kysely<Database>, url: string, maxAgeHours: number) {
    const row = await contentRepository.latestByUrl(db, url, maxAgeHours);
    return row?.fresh ? row : undefined;
  },

  /**
   * Stores a fetched body and returns its row id. The same body fetched again only refreshes
   * `fetched_at`, its status and validators (and keeps its cleaned form): an unchanged page is not
   * stored twice.
   */
  async save(db: Kysely<Database>, c: NewContent): Promise<string> {
    const validators = { etag: c.etag ?? null, last_modified: c.lastModified ?? null };
    const row = await db
      .insertInto('website_content')
      .values({ url: c.url, content_hash: c.contentHash, status_code: c.statusCode, content_type: c.contentType, html: c.html, ...validators })
      .onConflict((oc) =>
        oc.constraint('website_content_url_hash_key').doUpdateSet({
          fetched_at: sql<Date>`now()`,
          status_code: c.statusCode,
          content_type: c.contentType,
          ...validators,
        }),
      )
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  },

  /** A stale copy the site confirmed unchanged (304 Not Modified): fresh again from now. */
  async touch(db: Kysely<Database>, id: string): Promise<void> {
    await db.updateTable('website_content').set({ fetched_at: sql<Date>`now()` }).where('id', '=', id).execute();
  },

  /** Rows by id, in the order of `ids` (ids without a row are left out). */
  async byIds(db: Kysely<Database>, ids: readonly string[]) {
    if (ids.length === 0) return [];
    const rows = await db.selectFrom('website_content').selectAll().where('id', 'in', [...ids]).execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  },

  /** Cleaned pages and the cleaner version that produced them, every page in one statement. */
  async saveCleaned(db: Kysely<Database>, pages: readonly { id: string; cleaned: object; language: string }[], cleanerVersion: number = CLEANER_VERSION): Promise<void> {
    if (pages.length === 0) return;
    await sql`
      update website_content as w
      set cleaned = v.cleaned, language = v.language, cleaner_version = ${cleanerVersion}
      from jsonb_to_recordset(${JSON.stringify(pages)}::jsonb) as v(id uuid, cleaned jsonb, language text)
      where w.id = v.id`.execute(db);
  },

  /** What an analysis's crawl read and skipped (`analyses.crawl`), written by content_extraction. */
  async saveCrawlReport(db: Kysely<Database>, analysisId: string, report: CrawlReport): Promise<void> {
    await db.updateTable('analyses').set({ crawl: JSON.stringify(report) }).where('id', '=', analysisId).execute();
  },
};
