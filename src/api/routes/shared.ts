import type { Context } from 'hono';
import { AnalysisStatusKey, SiteDomainKey, type AnalysisWorkflowInput, type AnalysisWorkflowResult } from '../../../workflows/definitions.js';
import type { AnalysisStatus } from '../../domain/analysis.js';
import { analysesRepository, isAnalysisId, type AnalysisRow } from '../../repositories/analyses.js';
import type { Db } from '../../database.js';
import type { ApiDeps, AppEnv } from '../context.js';
import { ApiError } from '../errors.js';

export const API_BASE = '/api/v2';

/** Typed `args` for client.workflow.start / signalWithStart without importing workflow code into the API. */
export type AnalysisWorkflowFn = (input: AnalysisWorkflowInput) => Promise<AnalysisWorkflowResult>;

/**
 * A start or signal normally takes milliseconds. The client's gRPC retry waits out its backoff
 * (up to 5 s) before noticing an expired deadline, so an outage answers within this plus one backoff.
 */
const DEFAULT_TEMPORAL_TIMEOUT_MS = 5_000;

export function analysisLinks(id: string) {
  const self = `${API_BASE}/analysis/${id}`;
  return { self, report: `${self}/report`, regenerate: `${self}/regenerate`, cancel: `${self}/cancel` };
}

/**
 * The analysis named by `:id`, or 404. An ID that is not a UUID cannot name an analysis, so it is
 * "not found" as well (rather than a 400): the frontend has one case to handle for a bad link.
 * `find` reads the row (the status route reads it without the corpus texts).
 */
export async function loadAnalysis(c: Context<AppEnv>, deps: ApiDeps): Promise<AnalysisRow>;
export async function loadAnalysis<R>(c: Context<AppEnv>, deps: ApiDeps, find: (db: Db, id: string) => Promise<R | undefined>): Promise<R>;
export async function loadAnalysis(c: Context<AppEnv>, deps: ApiDeps, find: (db: Db, id: string) => Promise<unknown> = analysesRepository.byId): Promise<unknown> {
  const id = c.req.param('id') ?? '';
  const row = isAnalysisId(id) ? await find(deps.db, id.toLowerCase()) : undefined;
  if (!row) throw ApiError.notFound('No analysis with this ID exists. It may have been deleted.');
  return row;
}

/**
 * Bounds a Temporal call that changes state. Without a deadline the client retries an unreachable
 * server for about 20 s while the request (and, for start, a database transaction) stays open. A
 * deadline, unlike racing a timer, also guarantees the call cannot succeed after we rolled back.
 */
export function withTemporalDeadline<T>(deps: ApiDeps, call: () => Promise<T>): Promise<T> {
  return deps.temporal.withDeadline(Date.now() + (deps.temporalTimeoutMs ?? DEFAULT_TEMPORAL_TIMEOUT_MS), call);
}

/** What makes a run easy to find and read in the Temporal Web UI. */
export function workflowVisibility(row: Pick<AnalysisRow, 'url' | 'domain'>, status: AnalysisStatus) {
  return {
    typedSearchAttributes: [
      { key: SiteDomainKey, value: row.domain },
      { key: AnalysisStatusKey, value: status },
    ],
    memo: { url: row.url },
    staticSummary: `Persona analysis of ${row.domain}`,
  };
}

