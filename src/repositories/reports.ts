import type { Kysely, Selectable } from 'kysely';
import type { Database, ReportsTable } from '../database.js';
import type { QualityResult } from '../domain/quality.js';
import { readReportContent } from '../domain/report-legacy.js';
import type { ReportContent, ReportStatus } from '../domain/report.js';

export interface StoredReport {
  id: string;
  analysisId: string;
  version: number;
  status: ReportStatus;
  content: ReportContent;
  quality: QualityResult | null;
  instructions: string | null;
  model: string;
  standIn: boolean;
  /** The insight responses (by kind) the version was built from; null for reports stored before they were kept. */
  insightIds: Record<string, string> | null;
  createdAt: Date;
  /** Set once by finalization; a report is visible to the API only from then on. */
  finalizedAt: Date | null;
}

export interface ReportVersion {
  version: number;
  status: ReportStatus;
  standIn: boolean;
  createdAt: Date;
  finalizedAt: Date;
}

function toStoredReport(row: Selectable<ReportsTable>): StoredReport {
  return {
    id: row.id,
    analysisId: row.analysis_id,
    version: row.version,
    status: row.status,
    content: readReportContent(row.content),
    quality: row.quality as QualityResult | null,
    instructions: row.instructions,
    model: row.model,
    standIn: row.stand_in,
    insightIds: row.insight_ids,
    createdAt: row.created_at,
    finalizedAt: row.finalized_at,
  };
}

/**
 * One row per analysis and version.
 *
 * Visibility rule: the API shows only *finished* reports, meaning `finalized_at is not null`.
 * Finalization runs after the quality check has set `passed` or `degraded`, so a finished report is
 * never a draft, and it becomes visible in the same step that marks the analysis completed and
 * sends the notification: a reader never sees v2 while the analysis still reports v2 as running.
 * `latest`, `byVersion` (by default) and `listVersions` apply the rule; activities use `byId`.
 *
 * A finalized report is immutable: `create` and `updateContent` leave it alone.
 */
export const reportsRepository = {
  /**
   * Stores the draft for (analysis, version). A retried generate activity replaces the earlier
   * draft's content instead of failing on the unique key, so the call is idempotent.
   */
  async create(
    db: Kysely<Database>,
    r: { analysisId: string; version: number; content: ReportContent; instructions?: string | null; insightIds: Record<string, string> },
  ): Promise<string> {
    const values = {
      insight_ids: JSON.stringify(r.insightIds),
      status: 'draft' as const,
      content: JSON.stringify(r.content),
      quality: null,
      instructions: r.instructions ?? null,
      model: r.content.generatedBy.model,
      stand_in: r.content.generatedBy.standIn,
    };
    const inserted = await db
      .insertInto('reports')
      .values({ analysis_id: r.analysisId, version: r.version, ...values })
      .onConflict((oc) =>
        oc
          .constraint('reports_analysis_version_key')
          .doUpdateSet({ ...values, created_at: new Date() })
          .where('reports.finalized_at', 'is', null),
      )
      .returning('id')
      .executeTakeFirst();
    if (inserted) return inserted.id;
    // The version was already finalized (a late retry): keep it, hand back its id.
    const existing = await db
      .selectFrom('reports')
      .select('id')
      .where('analysis_id', '=', r.analysisId)
      .where('version', '=', r.version)
      .executeTakeFirstOrThrow();
    return existing.id;
  },

  async byId(db: Kysely<Database>, id: string): Promise<StoredReport | undefined> {
    const row = await db.selectFrom('reports').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toStoredReport(row);
  },

  /** Which analysis and version a report belongs to, without reading its content. */
  async ownerOf(db: Kysely<Database>, id: string): Promise<{ analysisId: string; version: number } | undefined> {
    const row = await db.selectFrom('reports').select(['analysis_id', 'version']).where('id', '=', id).executeTakeFirst();
    return row && { analysisId: row.analysis_id, version: row.version };
  },

  /** The highest finished version, or undefined while none is finished (the API's REPORT_NOT_READY). */
  async latest(db: Kysely<Database>, analysisId: string): Promise<StoredReport | undefined> {
    const row = await db
      .selectFrom('reports')
      .selectAll()
      .where('analysis_id', '=', analysisId)
      .where('finalized_at', 'is not', null)
      .where('status', '!=', 'draft')
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toStoredReport(row);
  },

  /** One version; unfinished ones only with `includeUnfinished` (internal callers, never the API). */
  async byVersion(
    db: Kysely<Database>,
    analysisId: string,
    version: number,
    opts: { includeUnfinished?: boolean } = {},
  ): Promise<StoredReport | undefined> {
    let query = db.selectFrom('reports').selectAll().where('analysis_id', '=', analysisId).where('version', '=', version);
    if (!opts.includeUnfinished) query = query.where('finalized_at', 'is not', null).where('status', '!=', 'draft');
    const row = await query.executeTakeFirst();
    return row && toStoredReport(row);
  },

  /** Finished versions, oldest first. */
  async listVersions(db: Kysely<Database>, analysisId: string): Promise<ReportVersion[]> {
    const rows = await db
      .selectFrom('reports')
      .select(['version', 'status', 'stand_in', 'created_at', 'finalized_at'])
      .where('analysis_id', '=', analysisId)
      .where('finalized_at', 'is not', null)
      .where('status', '!=', 'draft')
      .orderBy('version')
      .execute();
    return rows.map((r) => ({
      version: r.version,
      status: r.status,
      standIn: r.stand_in,
      createdAt: r.created_at,
      finalizedAt: r.finalized_at as Date,
    }));
  },

  async setQuality(
    db: Kysely<Database>,
    id: string,
    status: Exclude<ReportStatus, 'draft'>,
    quality: QualityResult,
  ): Promise<void> {
    await db
      .updateTable('reports')
      .set({ status, quality: JSON.stringify(quality) })
      .where('id', '=', id)
      .where('finalized_at', 'is', null)
      .execute();
  },

  /** Replaces the content after a repair; it is unchecked again until the next quality check. */
  async updateContent(db: Kysely<Database>, id: string, content: ReportContent): Promise<void> {
    await db
      .updateTable('reports')
      .set({
        content: JSON.stringify(content),
        model: content.generatedBy.model,
        stand_in: content.generatedBy.standIn,
        status: 'draft',
        quality: null,
      })
      .where('id', '=', id)
      .where('finalized_at', 'is', null)
      .execute();
  },

  /**
   * Marks the report finished, with its final content (what failed its rules withheld, usage
   * added). True only for the call that did it, so exactly one caller notifies.
   */
  async finalize(db: Kysely<Database>, id: string, content: ReportContent, quality?: QualityResult): Promise<boolean> {
    const result = await db
      .updateTable('reports')
      .set({ finalized_at: new Date(), content: JSON.stringify(content), ...(quality ? { quality: JSON.stringify(quality) } : {}) })
      .where('id', '=', id)
      .where('finalized_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  },
};
