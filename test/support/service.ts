import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createDatabase, type Db } from '../../src/database.js';
import { startStandInAi } from '../../src/dev/stand-in-ai.js';
import { startLocalService, type LocalService } from '../../src/local-service.js';
import { createLogger } from '../../src/logger.js';
import { testResolver } from './test-resolver.js';

/**
 * Every test calls from 127.0.0.1 and the run shares one database, so to the rate limiter all tests
 * are one client: a service on the shared database that is not testing the limits takes these.
 */
export const NO_RATE_LIMITS = { RATE_LIMIT_WRITES_PER_MINUTE: '100000', RATE_LIMIT_READS_PER_MINUTE: '100000' } as const;

export interface TestService {
  apiUrl: string;
  /** The local stand-in for the AI endpoint (OpenAI-compatible HTTP, driven by the real client). */
  standIn: Awaited<ReturnType<typeof startStandInAi>>;
  db: Db;
  temporal: Client;
  taskQueue: string;
  stop(): Promise<void>;
}

/**
 * The API and a worker as `npm run dev` runs them, on the test run's Temporal server and
 * PostgreSQL, with the AI stand-in. Each caller gets its own task queue, so workers of other test
 * files never pick up its tasks.
 */
export async function startTestService(
  options: {
    workflowIdleTimeout?: string;
    /** Another OpenAI-compatible endpoint than the cooperative stand-in (e.g. the misbehaving one). */
    aiBaseUrl?: string;
    /** More configuration, e.g. AI_BUDGET_TOKENS. */
    env?: Record<string, string>;
    /** How the worker resolves host names (a test resolver: no test asks the machine's DNS). */
    resolve?: (hostname: string) => Promise<string[]>;
  } = {},
): Promise<TestService> {
  const standIn = await startStandInAi();
  const taskQueue = `e2e-${randomUUID()}`;
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: inject('databaseUrl'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: taskQueue,
    OPENAI_BASE_URL: options.aiBaseUrl ?? standIn.baseUrl,
    OPENAI_MODEL: 'stand-in-model',
    SCRAPE_ALLOW_PRIVATE_NETWORKS: 'true',
    LOG_LEVEL: 'warn',
    ...NO_RATE_LIMITS,
    ...options.env,
  });
  const service: LocalService = await startLocalService(
    { ...config, DATABASE_URL: inject('databaseUrl'), TEMPORAL_ADDRESS: inject('temporalAddress') },
    createLogger('warn', { test: 'e2e' }),
    // No test asks the machine's DNS: only the names a test maps resolve (sites are on 127.0.0.1).
    { ...options, resolve: options.resolve ?? testResolver({ localhost: '127.0.0.1' }) },
  );
  const db = createDatabase(inject('databaseUrl'), 2);
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  return {
    apiUrl: service.apiUrl,
    standIn,
    db,
    temporal: new Client({ connection }),
    taskQueue,
    async stop() {
      await service.stop();
      await standIn.stop();
      await db.destroy();
      await connection.close();
    },
  };
}
