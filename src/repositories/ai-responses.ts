import type { Kysely, Selectable } from 'kysely';
import type { AiResponsesTable, Database } from '../database.js';
import { INSIGHT_KINDS, type InsightKind } from '../domain/analysis.js';

export interface NewAiResponse {
  analysisId: string;
  version: number;
  /** An insight kind, 'personas' for the synthesis, or 'repair:<section>' for a quality repair. */
  kind: string;
  attempt: number;
  model: string;
  standIn: boolean;
  rawOutput: string;
  /** Null when the output was not valid JSON for the schema (kept for debugging). */
  parsed: object | null;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  costUsd: number | null;
}

export type AiResponseRow = Selectable<AiResponsesTable>;

/** Raw model output, kept per call: what the report was built from, and what a failed parse looked like. */
export const aiResponsesRepository = {
  async save(db: Kysely<Database>, r: NewAiResponse): Promise<string> {
    const row = await db
      .insertInto('ai_responses')
      .values({
        analysis_id: r.analysisId,
        version: r.version,
        kind: r.kind,
        attempt: r.attempt,
        model: r.model,
        stand_in: r.standIn,
        raw_output: r.rawOutput,
        parsed: r.parsed === null ? null : JSON.stringify(r.parsed),
        prompt_tokens: r.promptTokens,
        completion_tokens: r.completionTokens,
        total_tokens: r.totalTokens,
        cost_usd: r.costUsd,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  },

  async byIds(db: Kysely<Database>, ids: readonly string[]): Promise<AiResponseRow[]> {
    if (ids.length === 0) return [];
    return db.selectFrom('ai_responses').selectAll().where('id', 'in', ids).execute();
  },

  /**
   * The newest successfully parsed response per insight kind, at or before `maxVersion` when given.
   * A regeneration that redoes only some sections reuses the others from here.
   */
  async latestByKind(
    db: Kysely<Database>,
    analysisId: string,
    maxVersion?: number,
  ): Promise<Partial<Record<InsightKind, string>>> {
    let query = db
      .selectFrom('ai_responses')
      .select(['id', 'kind'])
      .distinctOn('kind')
      .where('analysis_id', '=', analysisId)
      .where('kind', 'in', INSIGHT_KINDS)
      .where('parsed', 'is not', null);
    if (maxVersion !== undefined) query = query.where('version', '<=', maxVersion);
    const rows = await query.orderBy('kind').orderBy('version', 'desc').orderBy('created_at', 'desc').execute();
    return Object.fromEntries(rows.map((r) => [r.kind, r.id])) as Partial<Record<InsightKind, string>>;
  },
};
