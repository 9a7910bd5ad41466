import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { msToNumber } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, stepTrackingInterceptor } from '../activities/index.js';
import type { ActivityDeps } from '../activities/types.js';
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

export async function createWorker(setup: WorkerSetup): Promise<Worker> {
  const telemetry = workerTelemetryOptions(workflowsPath, setup.workflowBundle !== undefined);
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
