import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { freePort } from '../src/dev/free-port.js';
import { startDevStack } from '../src/dev/stack.js';
import { findTemporalCli } from '../src/dev/temporal-cli.js';
import { migrateToLatest } from '../src/migrate.js';
import { portLogOf } from './support/unused-port.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    databaseUrl: string;
    temporalNamespace: string;
  }
}

const devDir = fileURLToPath(new URL('../.dev/', import.meta.url));
const log = (msg: string) => console.log(`[test stack] ${msg}`);

/**
 * One in-memory Temporal dev server and one throwaway Postgres for the whole run, on free ports so a running
 * `npm run dev` or a second test run does not clash. Test files connect to them through `inject(...)`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await mkdir(devDir, { recursive: true });
  await removeAbandonedTestDirs();
  const stateDir = await mkdtemp(path.join(devDir, 'test-'));
  // mkdtemp gives 0700; as root, Postgres runs as the postgres user and must reach its data dir inside.
  await chmod(stateDir, 0o755);
  try {
    // Shared with `npm run dev`, so the CLI is installed once per clone, not once per test run.
    const temporalCliPath = await findTemporalCli({ explicitPath: process.env.TEMPORAL_CLI_PATH, cacheDir: devDir, log });
    const stack = await startDevStack({
      stateDir,
      persistent: false,
      temporalCliPath,
      temporalPort: await freePort(),
      uiPort: await freePort(),
      postgresPort: await freePort(),
      log,
    });
    await migrateToLatest(stack.databaseUrl);
    project.provide('temporalAddress', stack.temporalAddress);
    project.provide('databaseUrl', stack.databaseUrl);
    project.provide('temporalNamespace', 'default');
    return async () => {
      await stack.stop();
      await rm(stateDir, { recursive: true, force: true });
      // The run's record of the ports its sites used (test/support/unused-port.ts): this process is the run.
      await rm(portLogOf(process.pid), { force: true });
    };
  } catch (err) {
    await rm(stateDir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * A killed run leaves its directory (~40 MB of cluster) behind; its servers were already stopped by their watchdogs.
 * The age and pid checks spare directories of runs still in progress.
 */
async function removeAbandonedTestDirs(): Promise<void> {
  for (const name of await readdir(devDir)) {
    if (!name.startsWith('test-')) continue;
    const dir = path.join(devDir, name);
    const ageMs = Date.now() - (await stat(dir)).mtimeMs;
    const pidFile = await readFile(path.join(dir, 'postgres', 'postmaster.pid'), 'utf8').catch(() => '');
    const pid = Number(pidFile.split('\n')[0]);
    if (ageMs > 60 * 60_000 && !(pid > 0 && isAlive(pid))) await rm(dir, { recursive: true, force: true });
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
