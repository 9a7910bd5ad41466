import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';

export interface NewContent {
  url: string;
  contentHash: string;
  statusCode: number;
  contentType: string | null;
  html: string;
}

/** The page cache (`website_content`): one row per URL and body, shared by every analysis. */
export const contentRepository = {
  /** The newest copy of a URL fetched within the last `maxAgeHours`, or undefined. */
  async freshByUrl(db: Kysely<Database>, url: string, maxAgeHours: number) {
    return db
      .selectFrom('website_content')
      .selectAll()
      .where('url', '=', url)
      .where('fetched_at', '>', sql<Date>`now() - make_interval(secs => ${maxAgeHours * 3600})`)
      .orderBy('fetched_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  },

  /**
   * Stores a fetched body and returns its row id. The same body fetched again only refreshes
   * `fetched_at` (and keeps its cleaned form): an unchanged page is not stored twice.
   */
  async save(db: Kysely<Database>, c: NewContent): Promise<string> {
    const row = await db
      .insertInto('website_content')
      .values({ url: c.url, content_hash: c.contentHash, status_code: c.statusCode, content_type: c.contentType, html: c.html })
      .onConflict((oc) =>
        oc.constraint('website_content_url_hash_key').doUpdateSet({
          fetched_at: sql<Date>`now()`,
          status_code: c.statusCode,
          content_type: c.contentType,
        }),
      )
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  },

  /** Rows by id, in the order of `ids` (ids without a row are left out). */
  async byIds(db: Kysely<Database>, ids: readonly string[]) {
    if (ids.length === 0) return [];
    const rows = await db.selectFrom('website_content').selectAll().where('id', 'in', [...ids]).execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  },

  async saveCleaned(db: Kysely<Database>, id: string, cleaned: object, language: string): Promise<void> {
    await db
      .updateTable('website_content')
      .set({ cleaned: JSON.stringify(cleaned), language })
      .where('id', '=', id)
      .execute();
  },
};
