import { sql, type Expression, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import type { AiResponsesTable, Database } from '../database.js';
import { INSIGHT_KINDS, type InsightKind } from '../domain/analysis.js';

export interface NewAiResponse {
  analysisId: string;
  version: number;
  /** An insight kind, 'personas' for the synthesis ('personas:<part>' when asked a part at a time), or 'repair:<section>' for a quality repair. */
  kind: string;
  attempt: number;
  /**
   * Which call this answers, the same for every attempt of it (see callKey in activities/model-call):
   * a retried attempt finds a valid answer stored under it instead of paying for another.
   */
  callKey?: string | null;
  model: string;
  standIn: boolean;
  rawOutput: string;
  /** Null when the output was not valid JSON for the schema (kept for debugging). */
  parsed: object | null;
  /** All input tokens, cached ones included. */
  promptTokens: number;
  /** The part of promptTokens served from the endpoint's prompt cache. */
  cachedTokens?: number;
  completionTokens: number;
  totalTokens: number;
  costUsd: number | null;
  /** How the JSON was asked for (json_schema, json_object or text). */
  outputMode?: 'json_schema' | 'json_object' | 'text' | null;
}

/** What an analysis's model calls used, summed over its ai_responses rows. */
export interface AiUsage {
  calls: number;
  /** All input tokens, cached ones included. */
  inputTokens: number;
  cachedTokens: number;
  outputTokens: number;
  /** Estimated USD; 'unknown' when any counted call has no price (a model missing from the price table). */
  costUsd: number | 'unknown';
  /** USD of the calls that have a price: a lower bound when costUsd is 'unknown' (what a USD budget can enforce). */
  pricedCostUsd: number;
}

export type AiResponseRow = Selectable<AiResponsesTable>;

/** Raw model output, kept per call: what the report was built from, and what a failed parse looked like. */
export const aiResponsesRepository = {
  /**
   * Stores an answer. `alsoRecord` (substepEvents.modelCallDoneCall) runs in the same statement: the
   * call's progress event costs no round trip of its own.
   */
  async save(db: Kysely<Database>, r: NewAiResponse, alsoRecord?: RawBuilder<boolean>): Promise<string> {
    const values = {
      analysis_id: r.analysisId,
      version: r.version,
      kind: r.kind,
      attempt: r.attempt,
      call_key: r.callKey ?? null,
      model: r.model,
      stand_in: r.standIn,
      raw_output: r.rawOutput,
      parsed: r.parsed === null ? null : JSON.stringify(r.parsed),
      prompt_tokens: r.promptTokens,
      completion_tokens: r.completionTokens,
      total_tokens: r.totalTokens,
      cost_usd: r.costUsd,
      cached_tokens: r.cachedTokens ?? 0,
      output_mode: r.outputMode ?? null,
    };
    if (!alsoRecord) return (await db.insertInto('ai_responses').values(values).returning('id').executeTakeFirstOrThrow()).id;
    const row = await db
      .with('stored', (q) => q.insertInto('ai_responses').values(values).returning('id'))
      .selectFrom('stored')
      .select(['stored.id', alsoRecord.as('recorded')])
      .executeTakeFirstOrThrow();
    return row.id;
  },

  /** The first valid (parsed) answer stored for this call by any attempt of it. */
  async storedAnswer(db: Kysely<Database>, ref: { analysisId: string; version: number; callKey: string }): Promise<AiResponseRow | undefined> {
    return db
      .selectFrom('ai_responses')
      .selectAll()
      .where('call_key', '=', ref.callKey)
      .where('analysis_id', '=', ref.analysisId)
      .where('version', '=', ref.version)
      .where('parsed', 'is not', null)
      .orderBy('created_at')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
  },

  /** How many attempts of this call stored an unusable answer: what bounds a confused model. */
  async invalidAttempts(db: Kysely<Database>, ref: { analysisId: string; version: number; callKey: string }): Promise<number> {
    const row = await db
      .selectFrom('ai_responses')
      .select(sql<string>`count(distinct attempt)`.as('attempts'))
      .where('call_key', '=', ref.callKey)
      .where('analysis_id', '=', ref.analysisId)
      .where('version', '=', ref.version)
      .where('parsed', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.attempts);
  },

  /** Totals of the analysis's model calls, of one version when given: tokens, calls and estimated cost. */
  async usage(db: Kysely<Database>, analysisId: string, version?: number): Promise<AiUsage> {
    return usageFrom(await aiResponsesRepository.totalsOf(db, analysisId, version).executeTakeFirstOrThrow());
  },

  /** The sums behind AiUsage (one row), also nested as JSON in the status read (analysesRepository.statusById). */
  totalsOf(db: Kysely<Database>, analysisId: string | Expression<string>, version?: number) {
    let query = db
      .selectFrom('ai_responses')
      .where('analysis_id', '=', analysisId)
      .select([
        sql<string>`count(*)`.as('calls'),
        sql<string>`coalesce(sum(prompt_tokens), 0)`.as('input_tokens'),
        sql<string>`coalesce(sum(cached_tokens), 0)`.as('cached_tokens'),
        sql<string>`coalesce(sum(completion_tokens), 0)`.as('output_tokens'),
        sql<string>`coalesce(sum(cost_usd), 0)`.as('priced_cost_usd'),
        sql<string>`count(*) filter (where cost_usd is null)`.as('unpriced_calls'),
      ]);
    if (version !== undefined) query = query.where('version', '=', version);
    return query;
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

/**
 * One row of totalsOf as AiUsage. PostgreSQL sums integers as bigint and numerics as numeric: read
 * as a row they arrive as strings, nested as JSON as numbers.
 */
export function usageFrom(row: Record<'calls' | 'input_tokens' | 'cached_tokens' | 'output_tokens' | 'priced_cost_usd' | 'unpriced_calls', string | number>): AiUsage {
  const pricedCostUsd = Number(Number(row.priced_cost_usd).toFixed(6));
  return {
    calls: Number(row.calls),
    inputTokens: Number(row.input_tokens),
    cachedTokens: Number(row.cached_tokens),
    outputTokens: Number(row.output_tokens),
    costUsd: Number(row.unpriced_calls) > 0 ? 'unknown' : pricedCostUsd,
    pricedCostUsd,
  };
}
