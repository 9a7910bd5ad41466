import { createApp } from './api/app.js';
import { startApi } from './api/server.js';
import { loadConfig } from './config.js';
import { createDatabase } from './database.js';
import { createLogger } from './logger.js';
import { migrateDatabase } from './migrate.js';
import { aiEndpointAnswers, createOpenAIClient } from './openai.js';
import { ensureSearchAttributes } from './search-attributes.js';
import { connectTemporal } from './temporal.js';
import { startTracing } from './telemetry/tracing.js';

// Production API: built JavaScript, stateless, as many instances as needed behind a load balancer.
const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL, { service: 'api' });
if (!config.DATABASE_URL) {
  logger.error('DATABASE_URL is required for the production API (npm run dev starts a local database instead)');
  process.exit(1);
}

// Before the Temporal client and the app exist: both pick up the tracer when they are made.
const tracing = startTracing(config, 'persona-analyzer-api');
const db = createDatabase(config.DATABASE_URL);
await migrateDatabase(db);
await ensureSearchAttributes(config, logger);
const { connection, client } = await connectTemporal(config);
const openai = createOpenAIClient(config);
const app = createApp({
  db,
  temporal: client,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  logger,
  config,
  checkAi: () => aiEndpointAnswers(openai),
});
const api = await startApi({ app, port: config.PORT, hostname: '0.0.0.0' });
logger.info('api listening', { url: api.url });

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    logger.info('api shutting down', { signal });
    await api.close();
    await connection.close();
    await db.destroy();
    await tracing?.flush();
    process.exit(0);
  });
}
