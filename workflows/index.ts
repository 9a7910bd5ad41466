import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow/index.js';

export { AnalysisWorkflow } from './analysis.js';
export { RetentionPurgeWorkflow } from './purge.js';

/**
 * Tracing inside workflows: a span for the run (child of the API request's span, carried in the
 * start's headers) and one per scheduled activity, whose context goes to the activity in its
 * headers. Not a workflow: the worker lists this module as a workflow interceptor module when
 * tracing is on, and scripts/bundle-workflows.ts does for the production bundle. Spans leave the
 * sandbox through the `exporter` sink (src/telemetry/worker-telemetry.ts). Headers and spans are
 * not commands: histories recorded without these interceptors replay with them.
 */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [new OpenTelemetryInboundInterceptor()],
  outbound: [new OpenTelemetryOutboundInterceptor()],
  internals: [new OpenTelemetryInternalsInterceptor()],
});
