import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import { fileURLToPath } from 'node:url';
import type { ActivityInterceptorsFactory, InjectedSinks, WorkerOptions } from '@temporalio/worker';
import { activeTracing } from './tracing.js';
import { activityMetrics } from './worker-metrics.js';

// Sources run as .ts (tsx, vitest), the build as .js: the module beside whichever this is.
const TRACING_INTERCEPTORS = fileURLToPath(new URL(`../../workflows/tracing${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

/**
 * What Worker.create gets for metrics and traces: our activity metrics always; with tracing on,
 * the OpenTelemetry activity interceptors (span per attempt, child of the workflow's
 * ScheduleActivity span carried in the activity's headers) and the workflow interceptors
 * (workflows/tracing.ts) bundled with the workflow code. The production worker instead
 * loads the prebuilt bundle that has them, or with tracing off the one that has not
 * (scripts/bundle-workflows.ts). The workflow span sink is always registered, a no-op with
 * tracing off, so a bundle with the interceptors never calls a missing sink.
 */
export function workerTelemetryOptions(prebuiltBundle: boolean): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  const tracing = activeTracing();
  const activity: ActivityInterceptorsFactory[] = [activityMetrics];
  if (tracing) {
    activity.unshift((ctx) => ({
      inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    }));
  }
  const sinks: InjectedSinks<OpenTelemetrySinks> = {
    exporter: tracing ? makeWorkflowExporter(tracing.spanProcessor, tracing.resource) : { export: { fn: () => undefined } },
  };
  return {
    interceptors: { activity, ...(tracing && !prebuiltBundle ? { workflowModules: [TRACING_INTERCEPTORS] } : {}) },
    sinks,
  };
}
