import { httpInstrumentationMiddleware } from '@hono/otel';
import type { Context, MiddlewareHandler } from 'hono';
import { every } from 'hono/combine';
import { createMiddleware } from 'hono/factory';
import { matchedRoutes } from 'hono/route';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../database.js';
import { ANALYSIS_STATUSES } from '../domain/analysis.js';
import type { Logger } from '../logger.js';

/** Seconds: a health check answers in milliseconds, a start waits on Temporal, the timeout is 30 s. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The route pattern that answered (`/api/v2/analysis/:id`), never the raw path: one series per
 * route, however many IDs are asked for. Middleware is registered for method ALL; a request no
 * route took (404, 405) is counted as `unmatched`, so probes of random paths add no series.
 */
function routeOf(c: Context): string {
  const handler = matchedRoutes(c).findLast((r) => r.method !== 'ALL');
  return handler?.path ?? 'unmatched';
}

/**
 * The process's own metrics (CPU, memory, event loop lag, GC), collected once per process however
 * many apps it makes (tests make many): each call of collectDefaultMetrics adds observers.
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export interface ApiTelemetry {
  /** First in the chain: the request's span (W3C traceparent honoured) and its count and latency. */
  middleware: MiddlewareHandler;
  /** `GET /metrics` in the Prometheus text format. */
  metrics: (c: Context) => Promise<Response>;
}

/**
 * Prometheus metrics of one API app (its own registry: several apps in one process, as in tests,
 * do not share counters; the process metrics are shared) and OpenTelemetry spans for its requests (a no-op tracer unless
 * src/telemetry/tracing.ts started the SDK).
 */
export function apiTelemetry(deps: { db: Db; logger: Logger }): ApiTelemetry {
  const registry = new Registry();
  const shared = processMetrics();
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered, by route pattern and status code.', labelNames, registers: [registry] });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving a request to its response, by route pattern and status code.',
    labelNames,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: 'persona_analyses',
    help: 'Analyses stored in PostgreSQL, by status (read at scrape time).',
    labelNames: ['status'],
    registers: [registry],
    // One grouped count on the (status, created_at) index per scrape; every API instance reports
    // the same numbers, so aggregate with max(), not sum(). A database that is down leaves the
    // gauge out of this scrape rather than failing the whole endpoint.
    async collect() {
      this.reset();
      try {
        const rows = await deps.db
          .selectFrom('analyses')
          .select(['status', deps.db.fn.countAll<string>().as('n')])
          .groupBy('status')
          .execute();
        const counts = new Map(rows.map((r) => [r.status, Number(r.n)]));
        for (const status of ANALYSIS_STATUSES) this.set({ status }, counts.get(status) ?? 0);
      } catch (err) {
        deps.logger.warn('metrics: analyses by status not read', { error: err instanceof Error ? err.message : String(err) });
      }
    },
  });

  const count = createMiddleware(async (c, next) => {
    const stop = latency.startTimer();
    try {
      await next();
    } finally {
      const labels = { method: c.req.method, route: routeOf(c), status: String(c.res.status) };
      stop(labels);
      requests.inc(labels);
    }
  });
  return {
    middleware: every(httpInstrumentationMiddleware({ captureActiveRequests: false, spanNameFactory: (c) => `${c.req.method} ${routeOf(c)}` }), count),
    metrics: async (c) => c.body(`${await shared.metrics()}\n${await registry.metrics()}`, 200, { 'Content-Type': registry.contentType }),
  };
}
