import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow/index.js';

/**
 * Tracing inside workflows: a span for the run (child of the API request's span, carried in the
 * start's headers) and one per scheduled activity, whose context goes to the activity in its
 * headers. A workflow interceptor module, bundled only for a worker that traces (the worker lists
 * it when tracing is on; scripts/bundle-workflows.ts builds a bundle with it and one without), so
 * a worker that does not trace carries none of this code. Spans leave the sandbox through the
 * `exporter` sink (src/telemetry/worker-telemetry.ts). Headers and spans are not commands:
 * histories recorded without these interceptors replay with them.
 */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [new OpenTelemetryInboundInterceptor()],
  outbound: [new OpenTelemetryOutboundInterceptor()],
  internals: [new OpenTelemetryInternalsInterceptor()],
});
