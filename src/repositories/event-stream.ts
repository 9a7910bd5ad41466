import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../database.js';
import { REPORT_SECTIONS, regenerationScope, type AnalysisStatus, type ReportSection, type StepName, type StepState } from '../domain/analysis.js';
import { eventsRepository } from './events.js';

/**
 * Live progress read from the audit trail (processing_events), so any API instance can stream it.
 * IDs of one analysis's events appear in commit order (migration 0009): a reader that has seen
 * event N and asks for "after N" misses nothing and repeats nothing.
 */

/** One message of GET /analysis/{id}/events (`data:` as JSON; `id:` is the event's row ID). */
export interface ProgressEvent {
  type: 'step' | 'substep' | 'status';
  step?: StepName;
  state?: StepState;
  /** Sub-steps: pages read of the crawl's page limit, model answers of the version's calls. */
  done?: number;
  total?: number;
  /** The analysis's status; `deleted` when it was deleted while streaming. */
  status?: AnalysisStatus | 'deleted';
  version: number;
  /** When it happened, ISO 8601. */
  at: string;
}

export interface StoredProgressEvent {
  /** processing_events.id, a bigint as a decimal string. */
  id: string;
  event: ProgressEvent;
}

/** A model call answered: its version, its kind ('offering', 'personas', 'repair:persona_1'), and its call key (ai_responses.call_key). */
export interface ModelCallAnswered {
  analysisId: string;
  version: number;
  kind: string;
  callKey: string;
}

/** Sub-step event types, recorded by the crawl and the model calls. */
export const SUBSTEP_TYPES = ['page_read', 'model_call_done'] as const;
const STEP_STATES: readonly StepState[] = ['pending', 'running', 'completed', 'failed', 'skipped'];
const STEP_TYPES = STEP_STATES.map((s) => `step_${s}`);

/** Rows the stream shows; retries, failed attempts and requests stay in the audit trail only. */
const STREAMED_TYPES = [...STEP_TYPES, ...SUBSTEP_TYPES];

interface EventRow {
  id: string;
  type: string;
  version: number | null;
  step: StepName | null;
  details: unknown;
  created_at: Date;
}

function count(details: unknown, key: 'done' | 'total'): number | undefined {
  const value = (details as Record<string, unknown> | null)?.[key];
  return typeof value === 'number' ? value : undefined;
}

function toProgressEvent(row: EventRow): ProgressEvent {
  const base = { version: row.version ?? 1, at: row.created_at.toISOString(), ...(row.step ? { step: row.step } : {}) };
  if (row.type.startsWith('step_')) return { type: 'step', ...base, state: row.type.slice('step_'.length) as StepState };
  const done = count(row.details, 'done');
  const total = count(row.details, 'total');
  return { type: 'substep', ...base, ...(done !== undefined ? { done } : {}), ...(total !== undefined ? { total } : {}) };
}

export const eventStreamRepository = {
  /** The analysis's streamed events after `afterId`, oldest first, at most `limit`. */
  async after(db: Kysely<Database>, analysisId: string, afterId: string, limit = 500): Promise<StoredProgressEvent[]> {
    const rows = await db
      .selectFrom('processing_events')
      .select(['id', 'type', 'version', 'step', 'details', 'created_at'])
      .where('analysis_id', '=', analysisId)
      .where('id', '>', afterId)
      .where('type', 'in', STREAMED_TYPES)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ id: row.id, event: toProgressEvent(row) }));
  },
};

/**
 * Sub-step events (crawl and model progress). Counts only, never page text or model output; they
 * go with the analysis's other events when it is deleted.
 */
export const substepEvents = {
  /** `done` pages of the crawl's `total` (its page limit) have been read. */
  async pageRead(db: Kysely<Database>, e: { analysisId: string; done: number; total: number }): Promise<void> {
    await eventsRepository.append(db, { analysisId: e.analysisId, version: 1, step: 'content_extraction', type: 'page_read', details: { done: e.done, total: e.total } });
  },

  /**
   * A model call of the version has its answer. `done` counts the distinct calls (call keys)
   * answered so far, `total` the calls the version plans (its insights in scope, the synthesis)
   * plus the repairs answered so far: a repair adds to both, as nobody knows in advance whether one
   * is needed. Counted under the analysis row's lock (as migration 0009 takes it for every event),
   * so parallel calls record 1, 2, 3… in ID order; an answer recorded again (a retried attempt
   * reusing it, under the same key) repeats its count instead of adding one. The counting is
   * migration 0012's function, one round trip; nothing is recorded for an analysis deleted meanwhile.
   */
  async modelCallDone(db: Kysely<Database>, e: ModelCallAnswered): Promise<void> {
    await sql`select ${await substepEvents.modelCallDoneCall(db, e)}`.execute(db);
  },

  /** modelCallDone as an expression, for the statement that stores the answer (aiResponsesRepository.save) to run as well. */
  async modelCallDoneCall(db: Kysely<Database>, e: ModelCallAnswered): Promise<RawBuilder<boolean>> {
    const planned = (await plannedInsights(db, e.analysisId, e.version)) + 1;
    // 'personas', or 'personas:<part>' when the synthesis is asked a part at a time (report-synthesis.ts).
    const step: StepName = e.kind.startsWith('repair:') ? 'quality_check' : e.kind.split(':')[0] === 'personas' ? 'report_generation' : 'ai_analysis';
    return sql<boolean>`record_model_call_answered(${e.analysisId}::uuid, ${e.version}::int, ${step}::text, ${e.kind}::text, ${e.callKey}::text, ${planned}::int)`;
  },
};

/** Insight calls a version makes: all for the first; a regeneration's sections (recorded with its request) say which. */
async function plannedInsights(db: Kysely<Database>, analysisId: string, version: number): Promise<number> {
  if (version <= 1) return regenerationScope().insights.length;
  const request = await db
    .selectFrom('processing_events')
    .select(sql<unknown>`details -> 'sections'`.as('sections'))
    .where('analysis_id', '=', analysisId)
    .where('version', '=', version)
    .where('type', '=', 'regenerate_requested')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  const sections = Array.isArray(request?.sections)
    ? (request.sections as unknown[]).filter((s): s is ReportSection => (REPORT_SECTIONS as readonly unknown[]).includes(s))
    : undefined;
  return regenerationScope(sections).insights.length;
}
