import { createApp } from '../../../src/api/app.js';
import { startApi } from '../../../src/api/server.js';
import { loadConfig } from '../../../src/config.js';
import { createDatabase } from '../../../src/database.js';
import { createLogger } from '../../../src/logger.js';
import { aiEndpointAnswers, createOpenAIClient } from '../../../src/openai.js';
import { connectTemporal } from '../../../src/temporal.js';
import { READY_LINE } from './ready.js';

/*
 * The product's API as a process of its own, so a fault test can SIGKILL it, configured from the
 * environment like src/main-api.ts (PORT fixed by the test, so a restart answers on the same URL).
 * The database is migrated by the test harness before any process starts.
 */
const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL, { service: 'api' });
const db = createDatabase(config.DATABASE_URL!);
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
const api = await startApi({ app, port: config.PORT, hostname: '127.0.0.1' });
console.log(READY_LINE);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await api.close();
    await connection.close();
    await db.destroy();
    process.exit(0);
  });
}
