import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks, WorkerOptions } from '@temporalio/worker';
import { activeTracing } from './tracing.js';
import { activityMetrics } from './worker-metrics.js';

/**
 * What Worker.create gets for metrics and traces: our activity metrics always; with tracing on,
 * the OpenTelemetry activity interceptors (span per attempt, child of the workflow's
 * ScheduleActivity span carried in the activity's headers) and the workflow interceptors
 * (workflows/index.ts exports them) bundled with the workflow code. A prebuilt bundle already has
 * them (scripts/bundle-workflows.ts). The workflow span sink is always registered, a no-op with
 * tracing off, so a bundle with the interceptors never calls a missing sink.
 */
export function workerTelemetryOptions(workflowsPath: string, prebuiltBundle: boolean): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
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
    interceptors: { activity, ...(tracing && !prebuiltBundle ? { workflowModules: [workflowsPath] } : {}) },
    sinks,
  };
}
