import { Context } from '@temporalio/activity';
import { CancelledFailure, type MetricMeter } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory, ActivityExecuteInput, Next } from '@temporalio/worker';

/**
 * Our worker metrics, recorded through the Temporal SDK's metric meter: they come out of the same
 * Prometheus endpoint as the SDK's own (src/temporal-runtime.ts), tagged like them (namespace,
 * task_queue, activity_type). Without a metrics exporter the meter records nothing.
 */
export const WORKER_METRICS = {
  stepDuration: 'persona_step_duration_seconds',
  pagesFetched: 'persona_pages_fetched',
  pageCacheHits: 'persona_page_cache_hits',
  modelTokens: 'persona_model_tokens',
  modelCost: 'persona_model_cost_usd',
  modelCalls: 'persona_model_calls',
} as const;

/** Histogram buckets for the exporter: seconds per step, USD per model call. */
export const WORKER_METRIC_BUCKETS: Record<string, number[]> = {
  [WORKER_METRICS.stepDuration]: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
  [WORKER_METRICS.modelCost]: [0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
};

/** The running activity's meter; undefined outside an activity (a unit test calling code directly). */
function activityMeter(): MetricMeter | undefined {
  try {
    return Context.current().metricMeter;
  } catch {
    return undefined;
  }
}

/** What extractContent returns: pages read from the site and pages served by the page cache. */
function isExtraction(value: unknown): value is { fetched: number; fromCache: number } {
  const v = value as { fetched?: unknown; fromCache?: unknown } | null;
  return typeof v?.fetched === 'number' && typeof v.fromCache === 'number';
}

/**
 * Every activity attempt's duration by outcome (each pipeline step is one activity), and the
 * crawl's pages fetched and cache hits read from the extraction's result: no activity changes.
 */
class ActivityMetricsInterceptor implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: Context) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const meter = this.ctx.metricMeter;
    const started = performance.now();
    let outcome = 'failed';
    try {
      const result = await next(input);
      outcome = 'completed';
      if (this.ctx.info.activityType === 'extractContent' && isExtraction(result)) {
        meter.createCounter(WORKER_METRICS.pagesFetched, 'pages', 'Pages read from websites (not from the page cache).').add(result.fetched);
        meter.createCounter(WORKER_METRICS.pageCacheHits, 'pages', 'Pages served from the page cache instead of the website.').add(result.fromCache);
      }
      return result;
    } catch (err) {
      if (err instanceof CancelledFailure) outcome = 'cancelled';
      throw err;
    } finally {
      meter
        .createHistogram(WORKER_METRICS.stepDuration, 'float', 's', 'Duration of one activity attempt (one pipeline step), by outcome.')
        .record((performance.now() - started) / 1000, { outcome });
    }
  }
}

export const activityMetrics: ActivityInterceptorsFactory = (ctx) => ({ inbound: new ActivityMetricsInterceptor(ctx) });

/** One model answer's usage; called where the answer is stored (activities/model-call.ts). */
export function recordModelCall(usage: { model: string; inputTokens: number; cachedTokens: number; outputTokens: number; costUsd: number | null }): void {
  const meter = activityMeter()?.withTags({ model: usage.model });
  if (!meter) return;
  meter.createCounter(WORKER_METRICS.modelCalls, 'calls', 'Model answers received.').add(1);
  const tokens = meter.createCounter(WORKER_METRICS.modelTokens, 'tokens', 'Model tokens by kind: input (cached included), cached input, output.');
  tokens.add(usage.inputTokens, { kind: 'input' });
  tokens.add(usage.cachedTokens, { kind: 'cached_input' });
  tokens.add(usage.outputTokens, { kind: 'output' });
  // Unpriced models (no AI_PRICES entry) are counted in calls and tokens, not here.
  if (usage.costUsd !== null) {
    meter.createHistogram(WORKER_METRICS.modelCost, 'float', 'USD', 'Estimated cost of one model answer (AI_PRICES); its _sum is the total.').record(usage.costUsd);
  }
}
