import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { loadConfig, type Config } from '../src/config.js';
import type { Database, Db } from '../src/database.js';
import { freePort } from '../src/dev/free-port.js';
import { startDevStack } from '../src/dev/stack.js';
import { findTemporalCli } from '../src/dev/temporal-cli.js';
import { startLocalService } from '../src/local-service.js';
import { createLogger } from '../src/logger.js';
import { migrateToLatest } from '../src/migrate.js';
import { testResolver } from '../test/support/test-resolver.js';

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
  await removeAbandonedDirs();
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
      db = readerDb(stack.databaseUrl);
    } catch (err) {
      await stack.stop();
      throw err;
    }
    return {
      temporalAddress: stack.temporalAddress,
      databaseUrl: stack.databaseUrl,
      db,
      async stop() {
        await othersGone(db);
        await db.destroy().catch(() => {});
        // Stopping a PostgreSQL that has already exited (Ctrl-C in a terminal reaches it too) never
        // returns; the servers' watchdogs end whatever is left when this process exits.
        const gaveUp = await Promise.race([stack.stop().then(() => false), new Promise<boolean>((r) => setTimeout(r, 15_000, true).unref())]);
        if (gaveUp) log('Temporal and PostgreSQL did not stop within 15 s; leaving them to their watchdogs');
        await rm(stateDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(stateDir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The benchmark's own reader of the stored pages. An idle connection that PostgreSQL closes while
 * it shuts down (just after the pool ended) is reported on the pool: expected here, so ignored.
 */
const READER = 'bench-reader';

function readerDb(databaseUrl: string): Db {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2, application_name: READER });
  pool.on('error', () => {});
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * A service's pool has ended when its stop() returns, but its connections close a moment later;
 * PostgreSQL stopping before then would make them report errors on a pool nobody listens to.
 */
async function othersGone(db: Db, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
      where datname = current_database() and application_name <> ${READER}`.execute(db).catch(() => ({ rows: [{ n: 0 }] }));
    if ((rows[0]?.n ?? 0) === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A killed run leaves its directory behind (its servers die with it); spare those of runs still going. */
async function removeAbandonedDirs(): Promise<void> {
  for (const name of await readdir(DEV_DIR)) {
    if (!name.startsWith('bench-')) continue;
    const dir = path.join(DEV_DIR, name);
    const ageMs = Date.now() - (await stat(dir)).mtimeMs;
    const pid = Number((await readFile(path.join(dir, 'postgres', 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
    if (ageMs > 10 * 60_000 && !(pid > 0 && isAlive(pid))) await rm(dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
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
    // Every test (bench run) calls from 127.0.0.1 and shares one database: one client to the limiter.
    RATE_LIMIT_WRITES_PER_MINUTE: '100000',
    RATE_LIMIT_READS_PER_MINUTE: '100000',
    ...env,
  });
  const effective = { ...config, ...extra, DATABASE_URL: stack.databaseUrl, TEMPORAL_ADDRESS: stack.temporalAddress };
  // No benchmark asks the machine's DNS: sites are on 127.0.0.1, and any name it meets resolves only here.
  const service = await startLocalService(effective, createLogger('warn', { service: 'bench' }), { resolve: testResolver({ localhost: '127.0.0.1' }) });
  return { apiUrl: service.apiUrl, config: effective, stop: service.stop };
}
