import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { msToNumber } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, stepTrackingInterceptor } from '../activities/index.js';
import type { ActivityDeps } from '../activities/types.js';
import { INSIGHT_KINDS } from './domain/analysis.js';
import { workerTelemetryOptions } from './telemetry/worker-telemetry.js';
import { temporalConnectError } from './temporal-errors.js';
import { temporalConnectionOptions, type TemporalConnectionConfig } from './temporal.js';

// Sources run as .ts (tsx, vitest), the build as .js: find the workflows beside whichever this is.
const workflowsPath = fileURLToPath(new URL(`../workflows/index${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** Production passes the prebuilt bundle; development and tests bundle the sources on start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
}

const DEFAULT_SHUTDOWN_GRACE = '30s';

/**
 * Slots and caches, chosen with bench/scale.ts: 100 analyses started at once on one worker (2 busy
 * cores, model stand-in at 300 ms), each setting in several interleaved runs; the batch's time
 * until the last analysis ended, median of runs (the machine is shared, so single runs vary ±30%).
 * Pinned here, not left to the SDK's defaults, so a change of SDK cannot move them unmeasured.
 */
export const WORKER_TUNING = {
  // Most activity time is waiting on the model or a site, so a slot costs little: 20 slots left
  // the CPU idle behind those waits (batch 47-52 s against 35 s at 100); 200 gained nothing (33-83 s).
  maxConcurrentActivityTaskExecutions: 100,
  // 40: 35 s (median of 6); 10: 53 s (workflow-task schedule-to-start p99 9-13 s); 100: 44 s
  // (median of 4). Workflow tasks are short; the one workflow thread, not slots, bounds them.
  maxConcurrentWorkflowTaskExecutions: 40,
  // Every analysis in flight must stay cached: 50 for 100 in flight evicted and replayed (batch
  // 52-95 s, worker 0.44-0.48 CPU-s per analysis instead of 0.25-0.34, and activities left waiting
  // for their heartbeat timeout). The SDK's default grows with the heap (~2300 on 4 GB) and keeps
  // finished runs idling for a regenerate; RSS grew 250-380 MB with 100 runs cached. 200 holds
  // twice the batch; older idle runs are evicted and replayed only if a signal or timer comes.
  maxCachedWorkflows: 200,
  // A busy worker started workflow tasks up to 13 s after they were scheduled; past 10 s (the SDK
  // default) the task timed out on the sticky queue (3 in one run), a timeout in the Web UI and a
  // full-history task. A worker that shuts down hands its sticky queue back at once; only a crashed
  // one makes its runs wait this long for another worker.
  stickyQueueScheduleToStartTimeout: '30s',
  // One workflow thread (the SDK default with reuseV8Context): two took 42-63 s and 60 MB more.
  workflowThreadPoolSize: 1,
  // Every insight call of the ai_analysis fan-out goes back to this worker in the answer to the
  // workflow task that scheduled them (eager dispatch), not only the SDK default's first 3, whose
  // other 2 went round through the matching service. Measured, 3 interleaved batches each: 7.0-7.1
  // workflow tasks and 61.1-61.3 history events per analysis instead of 7.3-7.4 and 61.9-62.2; CPU
  // 0.240-0.257 s per analysis against 0.236-0.272 (noise); one analysis alone no faster.
  maxEagerActivityReservationsPerWorkflowTask: INSIGHT_KINDS.length,
} as const satisfies Partial<WorkerOptions>;

export async function createWorker(setup: WorkerSetup): Promise<Worker> {
  const telemetry = workerTelemetryOptions(setup.workflowBundle !== undefined);
  return Worker.create({
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    activities: createActivities(setup.deps),
    ...(setup.workflowBundle ? { workflowBundle: setup.workflowBundle } : { workflowsPath }),
    // Step metrics, and with tracing on the OpenTelemetry interceptors (src/telemetry/).
    ...telemetry,
    // Step state and attempts are written around each activity attempt (activities/tracking.ts),
    // inside the telemetry interceptors so traces and metrics include that bookkeeping.
    interceptors: { ...telemetry.interceptors, activity: [...(telemetry.interceptors?.activity ?? []), stepTrackingInterceptor(setup.deps)] },
    // An activity attempt in flight at shutdown gets this long to finish before it is retried elsewhere.
    shutdownGraceTime: setup.shutdownGraceTime ?? DEFAULT_SHUTDOWN_GRACE,
    // Activities are dispatched eagerly (allowEagerDispatch, on by default) when the server allows it:
    // src/dev/temporal-server.ts turns it on for the dev server.
    ...WORKER_TUNING,
  });
}

export interface RunningWorker {
  worker: Worker;
  /** Settles when the worker has stopped (after `stop`, or on a fatal error). */
  done: Promise<void>;
  /**
   * Drains the worker: activities in flight get the shutdown grace time. Bounded: a worker whose
   * Temporal server is gone cannot finish its shutdown handshake, and a stop must not hang on it.
   * Resolves `false` when it gave up waiting.
   */
  stop(): Promise<boolean>;
}

/** How long a stop waits beyond the grace time for the server to confirm the shutdown. */
const SHUTDOWN_MARGIN_MS = 10_000;

/** Connects, creates and runs a worker; `stop` drains it and closes its connection. */
export async function startWorker(
  options: Omit<WorkerSetup, 'connection'> & { temporal: TemporalConnectionConfig },
): Promise<RunningWorker> {
  // The same options as the API's client connection (TLS, API key); a refusal names what to fix.
  const connection = await NativeConnection.connect(temporalConnectionOptions(options.temporal)).catch((err: unknown) => {
    throw temporalConnectError(err, options.temporal);
  });
  let worker: Worker;
  try {
    worker = await createWorker({ ...options, connection });
  } catch (err) {
    await connection.close();
    throw err;
  }
  const done = worker.run().finally(() => connection.close());
  const graceMs = msToNumber(options.shutdownGraceTime ?? DEFAULT_SHUTDOWN_GRACE);
  return {
    worker,
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      const timer = new AbortController();
      const stopped = await Promise.race([
        done.then(() => true, () => true),
        sleep(graceMs + SHUTDOWN_MARGIN_MS, false, { signal: timer.signal }).catch(() => false),
      ]);
      timer.abort();
      return stopped;
    },
  };
}
