import { startApiProcess } from '../../../src/api-process.js';
import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/logger.js';
import { READY_LINE } from './ready.js';

/*
 * The product's API as a process of its own, so a fault test can SIGKILL it, configured from the
 * environment and wired by the same startApiProcess as src/main-api.ts (PORT fixed by the test, so a restart answers on the same URL).
 * The database is migrated by the test harness before any process starts.
 */
const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL, { service: 'api' });
const api = await startApiProcess({ ...config, DATABASE_URL: config.DATABASE_URL! }, logger, { hostname: '127.0.0.1' });
console.log(READY_LINE);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await api.stop();
    process.exit(0);
  });
}
