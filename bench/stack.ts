import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../src/config.js';
import { createDatabase, type Db } from '../src/database.js';
import { freePort } from '../src/dev/free-port.js';
import { startDevStack } from '../src/dev/stack.js';
import { findTemporalCli } from '../src/dev/temporal-cli.js';
import { startLocalService } from '../src/local-service.js';
import { createLogger } from '../src/logger.js';
import { migrateToLatest } from '../src/migrate.js';

export const DEV_DIR = fileURLToPath(new URL('../.dev/', import.meta.url));

export interface BenchStack {
  temporalAddress: string;
  databaseUrl: string;
  db: Db;
  stop(): Promise<void>;
}

/**
 * A throwaway Temporal dev server (in memory) and PostgreSQL (deleted on stop) in a temp dir under
 * `.dev/`, on free ports, migrated: what test/global-setup.ts starts, so a running `npm run dev`
 * or test run is never touched.
 */
export async function startBenchStack(log: (msg: string) => void): Promise<BenchStack> {
  await mkdir(DEV_DIR, { recursive: true });
  const stateDir = await mkdtemp(path.join(DEV_DIR, 'bench-'));
  // As root, Postgres runs as the postgres user and must reach its data dir inside.
  await chmod(stateDir, 0o755);
  try {
    const temporalCliPath = await findTemporalCli({ explicitPath: process.env.TEMPORAL_CLI_PATH, cacheDir: DEV_DIR, log });
    const stack = await startDevStack({
      stateDir,
      persistent: false,
      temporalCliPath,
      temporalPort: await freePort(),
      uiPort: await freePort(),
      postgresPort: await freePort(),
      log,
    });
    let db: Db | undefined;
    try {
      await migrateToLatest(stack.databaseUrl);
      db = createDatabase(stack.databaseUrl, 2);
    } catch (err) {
      await stack.stop();
      throw err;
    }
    return {
      temporalAddress: stack.temporalAddress,
      databaseUrl: stack.databaseUrl,
      db,
      async stop() {
        await db.destroy().catch(() => {});
        await stack.stop();
        await rm(stateDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(stateDir, { recursive: true, force: true });
    throw err;
  }
}

export interface BenchService {
  apiUrl: string;
  config: Config;
  stop(): Promise<void>;
}

/**
 * The worker and the API in this process, as the end-to-end tests run them (test/support/service.ts),
 * on a task queue of their own. `extra` is set on the config object after validation: for variables
 * the product reads that the config schema does not list yet.
 */
export async function startBenchService(
  stack: BenchStack,
  env: Record<string, string>,
  extra: Record<string, unknown> = {},
): Promise<BenchService> {
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_TASK_QUEUE: `bench-${randomUUID()}`,
    SCRAPE_ALLOW_PRIVATE_NETWORKS: 'true',
    LOG_LEVEL: 'warn',
    ...env,
  });
  const effective = { ...config, ...extra, DATABASE_URL: stack.databaseUrl, TEMPORAL_ADDRESS: stack.temporalAddress };
  const service = await startLocalService(effective, createLogger('warn', { service: 'bench' }));
  return { apiUrl: service.apiUrl, config: effective, stop: service.stop };
}
