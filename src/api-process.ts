import { createApp } from './api/app.js';
import { startApi } from './api/server.js';
import type { Config } from './config.js';
import { createDatabase } from './database.js';
import type { Logger } from './logger.js';
import { aiEndpointAnswers, createOpenAIClient } from './openai.js';
import { connectTemporal } from './temporal.js';

export interface ApiProcess {
  url: string;
  /** Stops taking requests, then closes the Temporal connection and the database pool, in that order. */
  stop(): Promise<void>;
}

/**
 * The API as a process of its own runs it: one database pool, one Temporal client, the app on
 * PORT. What production (main-api.ts) and the fault suite's API process share; `npm run dev` runs
 * the API beside a worker instead (local-service.ts).
 */
export async function startApiProcess(config: Config & { DATABASE_URL: string }, logger: Logger, opts: { hostname: string }): Promise<ApiProcess> {
  const db = createDatabase(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
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
  const api = await startApi({ app, port: config.PORT, hostname: opts.hostname });
  return {
    url: api.url,
    async stop() {
      await api.close();
      await connection.close();
      await db.destroy();
    },
  };
}
