import { fileURLToPath } from 'node:url';
import { LOCAL_TEMPORAL_ADDRESS, loadConfig } from './config.js';
import { createDatabase } from './database.js';
import { createLogger } from './logger.js';
import { migrateDatabase } from './migrate.js';
import { createModelClient } from './model-client.js';
import { installTemporalRuntime } from './temporal-runtime.js';
import { startTracing } from './telemetry/tracing.js';
import { ensureSearchAttributes } from './search-attributes.js';
import { ensureRetentionScheduleOnStart } from './schedules.js';
import { startWorker } from './worker.js';

// Production worker: built JavaScript, the prebuilt workflow bundle, infrastructure named by the environment.
const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL, { service: 'worker' });
if (!config.DATABASE_URL) {
  logger.error('DATABASE_URL is required for the production worker (npm run dev starts a local database instead)');
  process.exit(1);
}
installTemporalRuntime(logger, { metrics: { port: config.METRICS_PORT_WORKER } });
const tracing = startTracing(config, 'persona-analyzer-worker');

const db = createDatabase(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
await migrateDatabase(db);
const temporalAddress = config.TEMPORAL_ADDRESS ?? LOCAL_TEMPORAL_ADDRESS;
await ensureSearchAttributes(config, logger);

// One per worker process: every activity shares its concurrency limit and detected output mode.
const ai = createModelClient(config, logger);
logger.info('AI endpoint', {
  model: ai.model,
  fallbackModel: ai.fallbackModel,
  structuredOutput: ai.structuredOutput,
  timeoutSeconds: ai.timeoutMs / 1000,
  maxConcurrency: ai.maxConcurrency,
  budget: ai.budget,
});

const running = await startWorker({
  temporal: config,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  deps: { db, logger, ai, config },
  // With tracing off, the bundle without the OpenTelemetry workflow interceptors (scripts/bundle-workflows.ts).
  workflowBundle: { codePath: fileURLToPath(new URL(tracing ? '../workflow-bundle-traced.js' : '../workflow-bundle.js', import.meta.url)) },
});
logger.info('worker started', { taskQueue: config.TEMPORAL_TASK_QUEUE, temporalAddress });
// The daily retention purge: created or updated by every worker on start (src/schedules.ts).
await ensureRetentionScheduleOnStart(config, logger);

// stop() is bounded (a worker whose Temporal server is gone cannot drain): wait for it, not for
// the run to end, so a shutdown never hangs.
const stopped = new Promise<boolean>((resolve) => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.info('worker shutting down', { signal });
      running.stop().then(resolve, () => resolve(false));
    });
  }
});
const drained = await Promise.race([running.done.then(() => true), stopped]);
await db.destroy();
await tracing?.flush();
logger.info('worker stopped', { drained });
process.exit(0);
