import { startApiProcess } from './api-process.js';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { migrateToLatest } from './migrate.js';
import { ensureSearchAttributes } from './search-attributes.js';
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
await migrateToLatest(config.DATABASE_URL);
await ensureSearchAttributes(config, logger);
const api = await startApiProcess({ ...config, DATABASE_URL: config.DATABASE_URL }, logger, { hostname: '0.0.0.0' });
logger.info('api listening', { url: api.url });

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    logger.info('api shutting down', { signal });
    await api.stop();
    await tracing?.flush();
    process.exit(0);
  });
}
