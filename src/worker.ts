import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import type { ActivityDeps } from '../activities/types.js';

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

export async function createWorker(setup: WorkerSetup): Promise<Worker> {
  return Worker.create({
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    activities: createActivities(setup.deps),
    ...(setup.workflowBundle ? { workflowBundle: setup.workflowBundle } : { workflowsPath }),
    // An activity attempt in flight at shutdown gets this long to finish before it is retried elsewhere.
    shutdownGraceTime: setup.shutdownGraceTime ?? '30s',
  });
}

export interface RunningWorker {
  worker: Worker;
  /** Settles when the worker has stopped (after `stop`, or on a fatal error). */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** Connects, creates and runs a worker; `stop` drains it and closes its connection. */
export async function startWorker(
  options: Omit<WorkerSetup, 'connection'> & { temporalAddress: string },
): Promise<RunningWorker> {
  const connection = await NativeConnection.connect({ address: options.temporalAddress });
  let worker: Worker;
  try {
    worker = await createWorker({ ...options, connection });
  } catch (err) {
    await connection.close();
    throw err;
  }
  const done = worker.run().finally(() => connection.close());
  return {
    worker,
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
