import type { Kysely, Selectable } from 'kysely';
import type { AnalysesTable, Database } from '../database.js';
import type { Corpus } from '../domain/corpus.js';
import { outlineOf } from '../domain/corpus-summary.js';

/** The columns activities read (also returned by the statement that begins an attempt, stepsRepository.beginAttempt). */
export const CONTENT_COLUMNS = ['id', 'url', 'domain', 'options', 'content_ids', 'corpus', 'language', 'crawl'] as const;

export type AnalysisContentRow = Pick<Selectable<AnalysesTable>, (typeof CONTENT_COLUMNS)[number]>;

/** What the content steps read and write on `analyses` (the rest of that table has its own repository). */
export const analysisContentRepository = {
  /** The raw row; activities read it through `loadAnalysis` (activities/load-analysis.ts), which parses the options. */
  async find(db: Kysely<Database>, analysisId: string): Promise<AnalysisContentRow | undefined> {
    return db.selectFrom('analyses').select(CONTENT_COLUMNS).where('id', '=', analysisId).executeTakeFirst();
  },

  /** The pages this analysis read, in crawl order (website_content ids). */
  async setContentIds(db: Kysely<Database>, analysisId: string, contentIds: readonly string[]): Promise<void> {
    await db
      .updateTable('analyses')
      .set({ content_ids: [...contentIds], updated_at: new Date() })
      .where('id', '=', analysisId)
      .execute();
  },

  async setCorpus(db: Kysely<Database>, analysisId: string, corpus: Corpus, language: string): Promise<void> {
    await db
      .updateTable('analyses')
      .set({ corpus: JSON.stringify(corpus), corpus_outline: JSON.stringify(outlineOf(corpus)), language, updated_at: new Date() })
      .where('id', '=', analysisId)
      .execute();
  },
};
