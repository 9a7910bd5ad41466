import winston from 'winston';
import { currentTraceIds } from './telemetry/tracing.js';

export type Logger = winston.Logger;

/**
 * `traceId`/`spanId` of the active OpenTelemetry span, read when a line is logged. winston copies
 * `defaultMeta` into each entry with Object.assign at the call (children included), so getters
 * here see the caller's async context; a format runs later and could see another one. Without a
 * span (tracing off, or outside a request/activity) they are undefined and dropped below.
 */
function withTraceIds(meta: Record<string, unknown>): Record<string, unknown> {
  return Object.defineProperties(
    { ...meta },
    {
      traceId: { enumerable: true, get: () => currentTraceIds()?.traceId },
      spanId: { enumerable: true, get: () => currentTraceIds()?.spanId },
    },
  );
}

/** Workflow log lines come through the SDK's sink, outside the workflow's context: its OpenTelemetry interceptor names the trace as `trace_id`/`span_id`. */
const dropUnsetTraceIds = winston.format((info) => {
  if (info.traceId === undefined && typeof info.trace_id === 'string') info.traceId = info.trace_id;
  if (info.spanId === undefined && typeof info.span_id === 'string') info.spanId = info.span_id;
  if (info.traceId === undefined) delete info.traceId;
  if (info.spanId === undefined) delete info.spanId;
  return info;
});

/** One JSON line per event; callers add context (requestId, analysisId, ...) with `child`. */
export function createLogger(level = 'info', defaultMeta: Record<string, unknown> = {}): Logger {
  return winston.createLogger({
    level,
    defaultMeta: withTraceIds(defaultMeta),
    format: winston.format.combine(
      dropUnsetTraceIds(),
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      winston.format.json(),
    ),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn'] })],
  });
}
