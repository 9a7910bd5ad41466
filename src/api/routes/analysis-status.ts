import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Selectable } from 'kysely';
import { progressQuery } from '../../../workflows/definitions.js';
import type { AnalysisStepsTable } from '../../database.js';
import { progressPercent, REPORT_STEPS, STEP_NAMES, type Progress, type StepName, type StepProgress } from '../../domain/analysis.js';
import type { CrawlReport } from '../../domain/site-links.js';
import type { Logger } from '../../logger.js';
import { aiResponsesRepository, type AiUsage } from '../../repositories/ai-responses.js';
import type { AnalysisRow } from '../../repositories/analyses.js';
import { notificationsRepository, type NotificationView } from '../../repositories/notifications.js';
import { stepsRepository } from '../../repositories/steps.js';
import type { ApiDeps, AppEnv } from '../context.js';
import { ok } from '../envelope.js';
import { analysisIdParam, errorResponses, statusSchema, successResponse } from '../openapi/schemas.js';
import { corpusSummary } from '../../domain/corpus-summary.js';
import { isActive, loadAnalysis } from './shared.js';

type StepRow = Selectable<AnalysisStepsTable>;

/**
 * Long enough for a worker that is alive, short enough that a status poll never hangs: Temporal
 * holds a query while a workflow task is pending, and with no worker it waits for one.
 */
const DEFAULT_PROGRESS_QUERY_TIMEOUT_MS = 2_000;

export interface AnalysisStatusView extends Omit<Progress, 'analysisId'> {
  analysisId: string;
  url: string;
  domain: string;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  /** Where status and step states came from; attempts and errors always include PostgreSQL's rows. */
  source: 'workflow' | 'database';
  /** What the analysis's model calls used so far, every version together; costUsd is 'unknown' when a model has no price. */
  usage: Omit<AiUsage, 'pricedCostUsd'>;
  /** The pages content_extraction read and skipped, each with why; null until it finished. */
  pages: CrawlReport | null;
  /** Webhook and email notifications of each version: pending, delivered or failed, with attempts and the last error. */
  notifications: NotificationView[];
}

/**
 * The row of `name` that belongs to `version`. Content steps run once (version 1) and stay done for
 * every later version; report steps run again per version, so an older version's row does not count.
 */
function rowFor(rows: readonly StepRow[], name: StepName, version: number): StepRow | undefined {
  const rerun = REPORT_STEPS.includes(name);
  return rows
    .filter((r) => r.step === name && (rerun ? r.version === version : r.version <= version))
    .reduce<StepRow | undefined>((best, r) => (!best || r.version > best.version ? r : best), undefined);
}

function fromRow(name: StepName, row: StepRow | undefined): StepProgress {
  if (!row) return { name, state: 'pending', attempts: 0 };
  return {
    name,
    state: row.state,
    attempts: row.attempts,
    ...(row.last_error ? { lastError: row.last_error } : {}),
    ...(row.started_at ? { startedAt: row.started_at.toISOString() } : {}),
    ...(row.finished_at ? { finishedAt: row.finished_at.toISOString() } : {}),
  };
}

/**
 * The workflow knows each step's state but only the final outcome of its activities; activities
 * record every attempt and its error in analysis_steps as it happens. Both together are the truth.
 */
function merge(fromWorkflow: StepProgress, row: StepRow | undefined): StepProgress {
  if (!row) return fromWorkflow;
  const lastError = row.last_error ?? fromWorkflow.lastError;
  const startedAt = fromWorkflow.startedAt ?? row.started_at?.toISOString();
  const finishedAt = fromWorkflow.finishedAt ?? row.finished_at?.toISOString();
  return {
    ...fromWorkflow,
    attempts: Math.max(fromWorkflow.attempts, row.attempts),
    ...(lastError ? { lastError } : {}),
    ...(startedAt ? { startedAt } : {}),
    ...(finishedAt ? { finishedAt } : {}),
  };
}

async function queryProgress(deps: ApiDeps, row: AnalysisRow, log: Logger): Promise<Progress | undefined> {
  const timeoutMs = deps.progressQueryTimeoutMs ?? DEFAULT_PROGRESS_QUERY_TIMEOUT_MS;
  try {
    return await deps.temporal.withDeadline(Date.now() + timeoutMs, () =>
      deps.temporal.workflow.getHandle(row.workflow_id).query(progressQuery),
    );
  } catch (err) {
    log.info('progress query not answered; reading PostgreSQL', {
      analysisId: row.id,
      reason: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
    return undefined;
  }
}

export async function analysisStatus(deps: ApiDeps, row: AnalysisRow, log: Logger): Promise<AnalysisStatusView> {
  const [progress, rows, used, notifications] = await Promise.all([
    // Also right after a regenerate was accepted: the row still says completed, the workflow knows better.
    isActive(row) ? queryProgress(deps, row, log) : undefined,
    stepsRepository.list(deps.db, row.id),
    aiResponsesRepository.usage(deps.db, row.id),
    notificationsRepository.list(deps.db, row.id),
  ]);
  const usage = { calls: used.calls, inputTokens: used.inputTokens, cachedTokens: used.cachedTokens, outputTokens: used.outputTokens, costUsd: used.costUsd };
  const common = {
    analysisId: row.id,
    url: row.url,
    domain: row.domain,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    completedAt: row.completed_at?.toISOString() ?? null,
    ...corpusSummary(row.corpus),
    notifications,
  };
  const pages = row.crawl ?? null;

  if (progress) {
    const steps = STEP_NAMES.map((name) => {
      const fromWorkflow = progress.steps.find((s) => s.name === name) ?? { name, state: 'pending' as const, attempts: 0 };
      return merge(fromWorkflow, rowFor(rows, name, progress.version));
    });
    return {
      ...common,
      status: progress.status,
      percent: progress.percent,
      currentStep: progress.currentStep,
      version: progress.version,
      latestReportVersion: progress.latestReportVersion,
      steps,
      ...(progress.error ? { error: progress.error } : {}),
      source: 'workflow',
      usage,
      pages,
    };
  }

  // The newest version with any step row is the one in progress or last run.
  const version = rows.reduce((v, r) => Math.max(v, r.version), 1);
  const steps = STEP_NAMES.map((name) => fromRow(name, rowFor(rows, name, version)));
  return {
    ...common,
    status: row.status,
    percent: row.status === 'completed' ? 100 : progressPercent(steps),
    currentStep: row.current_step,
    version,
    latestReportVersion: row.latest_version > 0 ? row.latest_version : null,
    steps,
    ...(row.error ? { error: { code: row.error.code, message: row.error.message } } : {}),
    source: 'database',
    usage,
    pages,
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
    const row = await loadAnalysis(c, deps);
    return ok(c, await analysisStatus(deps, row, c.get('log')));
  });
}
