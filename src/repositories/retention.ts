import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';

/**
 * The retention purge's delete of cached pages (`website_content`; contentRepository writes the rest).
 * Analyses are purged by `analysesRepository.deleteFinishedBefore`.
 */
export const retentionRepository = {
  /**
   * Up to `limit` pages fetched before `cutoff` that no kept analysis needs. A page is needed while
   * an analysis names it in `content_ids` and either has a report (a regeneration re-checks its
   * evidence quotes against the page's cleaned text) or is still running (its first run reads the
   * page). Failed and cancelled analyses without a report cannot be regenerated and hold nothing.
   * The corpus the model reads is a copy in `analyses.corpus`, not a reference. Rows another purge
   * has locked are skipped. Returns how many were deleted.
   */
  async deleteUnneededPagesBefore(db: Kysely<Database>, cutoff: Date, limit: number): Promise<number> {
    const result = await sql<{ id: string }>`
      delete from website_content where id in (
        select w.id from website_content w
        where w.fetched_at < ${cutoff}
          and not exists (
            select 1 from analyses a
            where a.content_ids @> array[w.id]
              and (a.latest_version > 0 or a.status in ('pending', 'running'))
          )
        order by w.fetched_at
        limit ${limit}
        for update of w skip locked
      )
      returning id`.execute(db);
    return result.rows.length;
  },
};
