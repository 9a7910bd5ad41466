import type { ActivityDeps } from '../activities/types.js';
import { createApp } from './api/app.js';
import { startApi } from './api/server.js';
import type { Config } from './config.js';
import { createDatabase } from './database.js';
import type { Logger } from './logger.js';
import { migrateDatabase } from './migrate.js';
import { createModelClient } from './model-client.js';
import { aiEndpointAnswers } from './openai.js';
import { installTemporalRuntime } from './temporal-runtime.js';
import { startTracing } from './telemetry/tracing.js';
import { connectTemporal } from './temporal.js';
import { ensureRetentionScheduleOnStart } from './schedules.js';
import { startWorker } from './worker.js';

export interface LocalService {
  apiUrl: string;
  stop(): Promise<void>;
}

/**
 * A worker and the API in this process, against the Temporal server and database the config
 * names: what `npm run dev`, `npm run analyze` and the end-to-end tests run. Production runs the
 * two as separate processes (main-api.ts, main-worker.ts).
 */
export async function startLocalService(
  config: Config & { DATABASE_URL: string; TEMPORAL_ADDRESS: string },
  logger: Logger,
  options: { hostname?: string; workflowIdleTimeout?: string; resolve?: ActivityDeps['resolve'] } = {},
): Promise<LocalService> {
  installTemporalRuntime(logger);
  // Before the worker, the client and the app are made: each picks up the tracer then.
  const tracing = startTracing(config, 'persona-analyzer');
  const db = createDatabase(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const cleanups: (() => Promise<unknown>)[] = [() => db.destroy(), async () => tracing?.flush()];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    await migrateDatabase(db);
    const workerLogger = logger.child({ service: 'worker' });
    // One per worker process: every activity shares its concurrency limit and detected output mode.
    const ai = createModelClient(config, workerLogger);
    cleanups.push(async () => ai.close());
    const worker = await startWorker({
      temporal: config,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      deps: { db, logger: workerLogger, ai, config, ...(options.resolve ? { resolve: options.resolve } : {}) },
      shutdownGraceTime: '5s',
    });
    cleanups.push(() => worker.stop());

    const { connection, client: temporal } = await connectTemporal(config);
    cleanups.push(() => connection.close());
    // The daily retention purge: created or updated by every worker on start (src/schedules.ts).
    await ensureRetentionScheduleOnStart(config, workerLogger, temporal);
    const app = createApp({
      db,
      temporal,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      logger: logger.child({ service: 'api' }),
      config,
      workflowIdleTimeout: options.workflowIdleTimeout,
      checkAi: () => aiEndpointAnswers(ai.openai),
    });
    const api = await startApi({ app, port: config.PORT, hostname: options.hostname ?? '127.0.0.1' });
    cleanups.push(() => api.close());
    return { apiUrl: api.url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
