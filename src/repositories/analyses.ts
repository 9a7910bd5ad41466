import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import { jsonArrayFrom, jsonObjectFrom } from 'kysely/helpers/postgres';
import { prepared, type AnalysesTable, type Database } from '../database.js';
import type { AnalysisStatus } from '../domain/analysis.js';
import type { CorpusOutline } from '../domain/corpus-summary.js';
import type { StepRecord } from '../domain/progress-view.js';
import { aiResponsesRepository, usageFrom, type AiUsage } from './ai-responses.js';
import { notificationsRepository, viewFrom, type NotificationView } from './notifications.js';
import { recordFromJson, stepsRepository } from './steps.js';

export type AnalysisRow = Selectable<AnalysesTable>;
/**
 * What a status read needs, read by statusById in one statement: every column but the corpus (given
 * as its outline), the step records, the model usage and the notifications.
 */
export type AnalysisStatusRow = Omit<AnalysisRow, 'corpus' | 'corpus_outline'> & {
  corpus_outline: CorpusOutline | null;
  steps: StepRecord[];
  usage: AiUsage;
  notifications: NotificationView[];
};
export type NewAnalysis = Omit<Insertable<AnalysesTable>, 'options'> & { options: object };

const STATUS_COLUMNS = [
  'id', 'url', 'input_url', 'domain', 'status', 'options', 'idempotency_key', 'request_hash', 'workflow_id', 'current_step',
  'latest_version', 'requested_version', 'content_ids', 'language', 'crawl', 'error', 'created_at', 'updated_at', 'completed_at',
] as const satisfies readonly Exclude<keyof AnalysesTable, 'corpus'>[];

/** Where the previous page ended: the last row's created_at (to the microsecond) and id. */
export interface ListCursor {
  createdAt: string;
  id: string;
}

export interface ListFilter {
  status?: AnalysisStatus;
  domain?: string;
  limit: number;
  after?: ListCursor;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Analysis IDs are UUIDs; anything else cannot name one. */
export function isAnalysisId(text: string): boolean {
  return UUID.test(text);
}
const UTC_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/**
 * Opaque to clients. It carries created_at as PostgreSQL's microsecond text, not a JS Date: a Date
 * keeps milliseconds only, and paging from a truncated timestamp would skip rows created within
 * the same millisecond as the last row of a page.
 */
export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url');
}

/** undefined for anything this API did not hand out. */
export function decodeCursor(text: string): ListCursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [createdAt, id] = value as unknown[];
    if (typeof createdAt !== 'string' || !UTC_MICROS.test(createdAt) || Number.isNaN(Date.parse(createdAt))) return undefined;
    if (typeof id !== 'string' || !isAnalysisId(id)) return undefined;
    return { createdAt, id };
  } catch {
    return undefined;
  }
}

/** Every function takes a Kysely or a Transaction, so callers decide what runs atomically. */
export const analysesRepository = {
  async create(db: Kysely<Database>, row: NewAnalysis): Promise<AnalysisRow> {
    return db
      .insertInto('analyses')
      .values({ ...row, options: JSON.stringify(row.options) })
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  async byId(db: Kysely<Database>, id: string): Promise<AnalysisRow | undefined> {
    return db.selectFrom('analyses').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /**
   * The row as the status route reads it, in one statement (a status read is polled; each statement
   * is a round trip and a socket write on both sides): the corpus as its outline (sizes and kinds,
   * stored with the corpus), not its page texts and passages, which would be most of the row; the step records, usage totals and notifications nested as JSON by the subqueries their
   * own repositories define.
   */
  async statusById(db: Kysely<Database>, id: string): Promise<AnalysisStatusRow | undefined> {
    const query = db
      .selectFrom('analyses')
      .select(STATUS_COLUMNS)
      .select(
        // Stored with the corpus since migration 0011; projected here for rows written before it.
        sql<CorpusOutline | null>`coalesce(corpus_outline, case when jsonb_typeof(corpus -> 'pages') = 'array' then jsonb_build_object(
          'tokenEstimate', corpus -> 'tokenEstimate',
          'unsent', corpus -> 'unsent',
          'pages', (select coalesce(jsonb_agg(jsonb_build_object(
              'url', p -> 'url', 'kind', p -> 'kind', 'chars', p -> 'chars', 'sentChars', p -> 'sentChars',
              -- Only corpora stored without sentChars use it (characters as PostgreSQL counts them).
              'textLength', length(p ->> 'text')) order by n), '[]'::jsonb)
            from jsonb_array_elements(corpus -> 'pages') with ordinality as e(p, n))
        ) end)`.as('corpus_outline'),
      )
      .select((eb) => [
        jsonArrayFrom(stepsRepository.recordsOf(db, eb.ref('analyses.id'))).as('steps'),
        jsonObjectFrom(aiResponsesRepository.totalsOf(db, eb.ref('analyses.id'))).as('usage'),
        jsonArrayFrom(notificationsRepository.viewsOf(db, eb.ref('analyses.id'))).as('notifications'),
      ])
      .where('id', '=', id);
    // Polled by every open status page: prepared, so PostgreSQL plans it once per connection.
    const [row] = (await db.executeQuery(prepared(query))).rows;
    if (!row) return undefined;
    // An aggregate without GROUP BY always yields its one row.
    return { ...row, steps: row.steps.map(recordFromJson), usage: usageFrom(row.usage!), notifications: row.notifications.map(viewFrom) };
  },

  async byIdempotencyKey(db: Kysely<Database>, key: string): Promise<AnalysisRow | undefined> {
    return db.selectFrom('analyses').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
  },

  /** Newest first, keyset-paged on (created_at desc, id desc), which the *_created_idx indexes serve. */
  async list(db: Kysely<Database>, filter: ListFilter): Promise<{ rows: AnalysisRow[]; next: ListCursor | null }> {
    let query = db
      .selectFrom('analyses')
      .selectAll()
      .select(sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursor_created_at'))
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      // One extra row tells whether another page follows without a count query.
      .limit(filter.limit + 1);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.domain) query = query.where('domain', '=', filter.domain);
    if (filter.after) {
      const { createdAt, id } = filter.after;
      query = query.where(sql<boolean>`(created_at, id) < (${createdAt}::timestamptz, ${id}::uuid)`);
    }
    const found = await query.execute();
    const page = found.slice(0, filter.limit);
    const last = page.at(-1);
    const next = found.length > filter.limit && last ? { createdAt: last.cursor_created_at, id: last.id } : null;
    return { rows: page.map(({ cursor_created_at: _, ...row }) => row), next };
  },

  /** Hands out the next report version atomically: concurrent regenerations get distinct numbers. */
  async reserveNextVersion(db: Kysely<Database>, id: string): Promise<number | undefined> {
    const row = await db
      .updateTable('analyses')
      .set((eb) => ({ requested_version: eb('requested_version', '+', 1), updated_at: sql`now()` }))
      .where('id', '=', id)
      .returning('requested_version')
      .executeTakeFirst();
    return row?.requested_version;
  },

  /** Marks a handed-out version as never started (Temporal refused the signal), so it no longer counts as under way. */
  async markVersionNotStarted(db: Kysely<Database>, id: string, version: number, message: string): Promise<void> {
    await db
      .updateTable('analyses')
      .set({ error: JSON.stringify({ code: 'SERVICE_UNAVAILABLE', message, version }), updated_at: sql`now()` })
      .where('id', '=', id)
      .where('requested_version', '=', version)
      .execute();
  },

  /**
   * Steps, AI responses and reports go with it (ON DELETE CASCADE). Its processing_events are
   * erased in the same transaction by `eventsRepository.eraseAnalyses`, called right after: the
   * database allows that only once the analysis row is gone.
   */
  async delete(db: Kysely<Database>, id: string): Promise<boolean> {
    const result = await db.deleteFrom('analyses').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  },

  /**
   * Retention: up to `limit` analyses finished before `cutoff` and untouched since (a regeneration
   * asked for after it keeps them), deleted like `delete`. Rows another purge has locked are
   * skipped, so two purges at once take different rows. Returns the deleted IDs.
   */
  async deleteFinishedBefore(db: Kysely<Database>, cutoff: Date, limit: number): Promise<string[]> {
    const rows = await db
      .deleteFrom('analyses')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('analyses')
          .select('id')
          .where('status', 'in', ['completed', 'failed', 'cancelled'])
          .where('completed_at', '<', cutoff)
          .where('updated_at', '<', cutoff)
          .orderBy('completed_at')
          .limit(limit)
          .forUpdate()
          .skipLocked(),
      )
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  },
};
