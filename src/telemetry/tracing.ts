import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Config } from '../config.js';
import packageJson from '../../package.json' with { type: 'json' };

export type TracingConfig = Pick<Config, 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_SERVICE_NAME'>;

/** What the Temporal interceptors and the workflow span sink need from a started SDK. */
export interface Tracing {
  spanProcessor: SpanProcessor;
  resource: Resource;
  /** Sends the spans still buffered (a process about to stop, a test waiting for them). */
  flush(): Promise<void>;
}

let started: Tracing | undefined;

/**
 * Starts the OpenTelemetry SDK once per process when OTEL_EXPORTER_OTLP_ENDPOINT is set: spans
 * (hono requests, Temporal client calls, workflows, activities) go over OTLP/HTTP (JSON) to
 * `<endpoint>/v1/traces`. Unset: no SDK at all; the API's tracer stays the no-op one, so the
 * interceptors cost next to nothing. `register()` also installs the AsyncLocalStorage context
 * manager and the W3C propagator (traceparent), which carry the trace across awaits and processes.
 */
export function startTracing(config: TracingConfig, defaultServiceName: string): Tracing | undefined {
  if (started || !config.OTEL_EXPORTER_OTLP_ENDPOINT) return started;
  const resource = new Resource({
    'service.name': config.OTEL_SERVICE_NAME ?? defaultServiceName,
    'service.version': packageJson.version,
  });
  const exporter = new OTLPTraceExporter({ url: `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` });
  // A collector that is down loses spans, never requests: the exporter gives up after its timeout.
  const spanProcessor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1_000 });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  started = { spanProcessor, resource, flush: () => provider.forceFlush() };
  return started;
}

/** The tracing this process started, if any. */
export function activeTracing(): Tracing | undefined {
  return started;
}

/** The trace and span of the code running now (an HTTP request, an activity), for log lines. */
export function currentTraceIds(): { traceId: string; spanId: string } | undefined {
  const span = trace.getSpan(context.active());
  const ctx = span?.spanContext();
  return ctx && isSpanContextValid(ctx) ? { traceId: ctx.traceId, spanId: ctx.spanId } : undefined;
}
