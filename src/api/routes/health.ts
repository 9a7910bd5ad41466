import os from 'node:os';
import v8 from 'node:v8';
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { sql } from 'kysely';
import type { Logger } from '../../logger.js';
import type { ApiDeps, AppEnv } from '../context.js';
import { API_VERSION, fail, ok } from '../envelope.js';
import { ApiError } from '../errors.js';
import { errorResponses, healthSchema, successResponse } from '../openapi/schemas.js';

/** Each check gets this long; a health probe must answer even when a dependency hangs. */
const CHECK_TIMEOUT_MS = 1_500;
// Numeric values of temporal.api.enums.v1 (the proto package is not a direct dependency).
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_WORKFLOW = 1;
const TASK_QUEUE_TYPE_ACTIVITY = 2;

type CheckStatus = 'ok' | 'degraded' | 'down' | 'skipped';
type Check = { status: CheckStatus; latencyMs?: number; message?: string } & Record<string, unknown>;

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  checks: Record<'database' | 'temporal' | 'workers' | 'ai' | 'memory' | 'cpu', Check>;
  uptimeSeconds: number;
  version: string;
}

class CheckTimeout extends Error {
  constructor() {
    super(`no answer within ${CHECK_TIMEOUT_MS} ms`);
  }
}

/** Runs a probe with a time limit; failures become a short message (details go to the log only). */
async function probe<T>(
  name: string,
  log: Logger,
  run: () => Promise<T>,
): Promise<{ value: T; latencyMs: number } | { error: string; latencyMs: number }> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CheckTimeout()), CHECK_TIMEOUT_MS);
    });
    const value = await Promise.race([run(), timeout]);
    return { value, latencyMs: Date.now() - started };
  } catch (err) {
    const error = err instanceof CheckTimeout ? err.message : 'unreachable';
    log.warn('health check failed', { check: name, error: err instanceof Error ? err.message : String(err) });
    return { error, latencyMs: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

async function checkDatabase(deps: ApiDeps, log: Logger): Promise<Check> {
  const r = await probe('database', log, () => sql`select 1`.execute(deps.db));
  return 'error' in r ? { status: 'down', latencyMs: r.latencyMs, message: r.error } : { status: 'ok', latencyMs: r.latencyMs };
}

function temporalCall<T>(deps: ApiDeps, call: () => Promise<T>): Promise<T> {
  return deps.temporal.withDeadline(Date.now() + CHECK_TIMEOUT_MS, call);
}

async function checkTemporal(deps: ApiDeps, log: Logger): Promise<Check> {
  const r = await probe('temporal', log, () =>
    temporalCall(deps, () => deps.temporal.connection.workflowService.getSystemInfo({})),
  );
  return 'error' in r ? { status: 'down', latencyMs: r.latencyMs, message: r.error } : { status: 'ok', latencyMs: r.latencyMs };
}

/** Workers polling the task queue: without them analyses are accepted but wait. */
async function checkWorkers(deps: ApiDeps, log: Logger): Promise<Check> {
  const pollers = (taskQueueType: number) =>
    temporalCall(deps, () =>
      deps.temporal.connection.workflowService.describeTaskQueue({
        namespace: deps.temporal.options.namespace,
        taskQueue: { name: deps.taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
        taskQueueType,
      }),
    ).then((res) => res.pollers?.length ?? 0);
  const r = await probe('workers', log, () => Promise.all([pollers(TASK_QUEUE_TYPE_WORKFLOW), pollers(TASK_QUEUE_TYPE_ACTIVITY)]));
  if ('error' in r) return { status: 'down', latencyMs: r.latencyMs, message: r.error, taskQueue: deps.taskQueue };
  const [workflowPollers, activityPollers] = r.value;
  const polled = workflowPollers > 0 && activityPollers > 0;
  return {
    status: polled ? 'ok' : 'degraded',
    latencyMs: r.latencyMs,
    taskQueue: deps.taskQueue,
    workflowPollers,
    activityPollers,
    ...(polled ? {} : { message: 'No worker is polling the task queue; new analyses will wait.' }),
  };
}

async function checkAi(deps: ApiDeps, log: Logger): Promise<Check> {
  const check = deps.checkAi;
  if (!check) return { status: 'skipped', message: 'Not checked by this process.' };
  const r = await probe('ai', log, check);
  if ('error' in r) return { status: 'degraded', latencyMs: r.latencyMs, message: r.error };
  return r.value
    ? { status: 'ok', latencyMs: r.latencyMs }
    : { status: 'degraded', latencyMs: r.latencyMs, message: 'The AI endpoint did not answer as expected.' };
}

function checkMemory(): Check {
  const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
  const { rss, heapUsed, heapTotal } = process.memoryUsage();
  const heapLimit = v8.getHeapStatistics().heap_size_limit;
  const nearLimit = heapUsed / heapLimit > 0.9;
  return {
    status: nearLimit ? 'degraded' : 'ok',
    rssMb: mb(rss),
    heapUsedMb: mb(heapUsed),
    heapTotalMb: mb(heapTotal),
    heapLimitMb: mb(heapLimit),
    ...(nearLimit ? { message: 'The heap is above 90% of its limit.' } : {}),
  };
}

function checkCpu(): Check {
  const cores = os.availableParallelism();
  const loadAverage = os.loadavg().map((l) => Math.round(l * 100) / 100);
  // A sustained run queue of twice the cores means requests wait for CPU.
  const overloaded = (loadAverage[0] ?? 0) > cores * 2;
  return {
    status: overloaded ? 'degraded' : 'ok',
    cores,
    loadAverage,
    ...(overloaded ? { message: 'The machine is overloaded.' } : {}),
  };
}

export async function healthReport(deps: ApiDeps, log: Logger): Promise<HealthReport> {
  const [database, temporal, workers, ai] = await Promise.all([
    checkDatabase(deps, log),
    checkTemporal(deps, log),
    checkWorkers(deps, log),
    checkAi(deps, log),
  ]);
  const checks = { database, temporal, workers, ai, memory: checkMemory(), cpu: checkCpu() };
  // Only the database and Temporal are required to accept work; the rest makes it slower or worse.
  const down = database.status === 'down' || temporal.status === 'down';
  const degraded = Object.values(checks).some((c) => c.status === 'degraded' || c.status === 'down');
  return {
    status: down ? 'down' : degraded ? 'degraded' : 'ok',
    checks,
    uptimeSeconds: Math.round(process.uptime()),
    version: API_VERSION,
  };
}

const route = createRoute({
  method: 'get',
  path: '/health',
  summary: 'Health of the service and its dependencies',
  description: 'Needs no API key and is not rate limited. 503 (with the report in `data`) when PostgreSQL or Temporal is down.',
  tags: ['service'],
  security: [],
  responses: {
    200: successResponse('Up: `status` is ok or degraded (a worker, the AI endpoint, memory or CPU needs a look).', healthSchema),
    ...errorResponses({ 503: 'SERVICE_UNAVAILABLE: a required dependency is down; `data` carries the health report.' }, { counted: false }),
  },
});

export function healthRoute(deps: ApiDeps): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>().openapi(route, async (c) => {
    const report = await healthReport(deps, c.get('log'));
    if (report.status === 'down') {
      // Still the envelope; `data` carries the report so a monitor reads the same fields either way.
      return fail(c, new ApiError(503, 'SERVICE_UNAVAILABLE', 'A required dependency is unreachable.'), report);
    }
    return ok(c, report);
  });
}
