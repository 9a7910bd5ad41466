import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { ClientInterceptors } from '@temporalio/client';
import { activeTracing } from './tracing.js';

/**
 * With tracing on, the API's Temporal client starts, signals and queries workflows inside a span
 * (a child of the HTTP request's) and passes its context in the workflow's headers, where the
 * workflow interceptors (workflows/tracing.ts) pick it up. Off: no interceptor at all.
 */
export function clientTelemetryInterceptors(): ClientInterceptors {
  return activeTracing() ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : {};
}
