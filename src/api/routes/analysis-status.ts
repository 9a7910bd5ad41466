import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Progress } from '../../domain/analysis.js';
import { corpusSummary } from '../../domain/corpus-summary.js';
import { progressFromRecords } from '../../domain/progress-view.js';
import type { CrawlReport } from '../../domain/site-links.js';
import type { AiUsage } from '../../repositories/ai-responses.js';
import { analysesRepository, type AnalysisStatusRow } from '../../repositories/analyses.js';
import type { NotificationView } from '../../repositories/notifications.js';
import type { ApiDeps, AppEnv } from '../context.js';
import { ok } from '../envelope.js';
import { analysisIdParam, errorResponses, statusSchema, successResponse } from '../openapi/schemas.js';
import { loadAnalysis } from './shared.js';

export interface AnalysisStatusView extends Omit<Progress, 'analysisId'> {
  analysisId: string;
  url: string;
  domain: string;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  /**
   * Where status and steps came from: always PostgreSQL, which the activities keep current as they
   * run. (Kept for clients written when a running analysis was read through a workflow query.)
   */
  source: 'database';
  /** What the analysis's model calls used so far, every version together; costUsd is 'unknown' when a model has no price. */
  usage: Omit<AiUsage, 'pricedCostUsd'>;
  /** The pages content_extraction read and skipped, each with why; null until it finished. */
  pages: CrawlReport | null;
  /** Webhook and email notifications of each version: pending, delivered or failed, with attempts and the last error. */
  notifications: NotificationView[];
}

/**
 * Status and progress from PostgreSQL alone, running or not: one statement (analysesRepository.statusById:
 * the corpus as its outline, not its page texts), no round trip to Temporal. A workflow query per
 * read cost the worker a workflow task each time and waited behind any task in progress (p99 140 ms
 * at 100 reads/s; bench row status.*).
 */
export function analysisStatus(row: AnalysisStatusRow): AnalysisStatusView {
  const { steps, usage: used, notifications } = row;
  const { analysisId: _, ...progress } = progressFromRecords(row, steps);
  return {
    analysisId: row.id,
    url: row.url,
    domain: row.domain,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    completedAt: row.completed_at?.toISOString() ?? null,
    ...corpusSummary(row.corpus_outline),
    notifications,
    ...progress,
    source: 'database',
    usage: { calls: used.calls, inputTokens: used.inputTokens, cachedTokens: used.cachedTokens, outputTokens: used.outputTokens, costUsd: used.costUsd },
    pages: row.crawl ?? null,
  };
}

const route = createRoute({
  method: 'get',
  path: '/analysis/{id}',
  summary: 'Status and progress of an analysis',
  description: 'Each step with its state, attempts and last error; model usage and cost; pages read and skipped; notifications. Poll it, or follow `/analysis/{id}/events`.',
  tags: ['analysis'],
  request: { params: analysisIdParam },
  responses: { 200: successResponse('The analysis.', statusSchema), ...errorResponses({ 404: undefined }) },
});

export function statusRoute(deps: ApiDeps): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>().openapi(route, async (c) => {
    const row = await loadAnalysis(c, deps, analysesRepository.statusById);
    return ok(c, analysisStatus(row));
  });
}
