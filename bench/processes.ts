import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { freePort } from '../src/dev/free-port.js';
import { serviceProcess, type ServiceProcess } from '../test/support/fault-processes.js';
import { compileProcesses } from './compiled-processes.js';
import { DEV_DIR, type BenchStack } from './stack.js';

/**
 * The worker and the API as processes of their own, as production runs them: compiled (no tsx),
 * the worker with `npm run start:worker`'s node flags and a prebuilt workflow bundle, each with its
 * own event loop and database pool, so neither the bench's client work nor the other process is in
 * their figures.
 */
export interface ServiceProcesses {
  apiUrl: string;
  taskQueue: string;
  /** The environment both were started with (the product reads its configuration from it). */
  env: Record<string, string>;
  worker: ServiceProcess;
  api: ServiceProcess;
  stop(): Promise<void>;
}

type OnStop = (what: string, stop: () => Promise<void>) => void;

/** Bundled and compiled once per bench run, whichever part asks first. */
let prepared: Promise<{ bundle: string; compiled: string }> | undefined;

function prepare(onStop: OnStop): Promise<{ bundle: string; compiled: string }> {
  prepared ??= (async () => {
    const dir = await mkdtemp(path.join(DEV_DIR, 'bench-processes-'));
    onStop('the compiled service processes', () => rm(dir, { recursive: true, force: true }));
    const { code } = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
    });
    const bundle = path.join(dir, 'workflow-bundle.js');
    await writeFile(bundle, code);
    return { bundle, compiled: await compileProcesses(dir) };
  })();
  return prepared;
}

/** The node flags of package.json's `start:worker` script (those before the script's path). */
async function workerNodeFlags(): Promise<string> {
  const pkg = JSON.parse(await readFile(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as { scripts: Record<string, string> };
  const [node, ...args] = pkg.scripts['start:worker']!.split(/\s+/);
  if (node !== 'node') throw new Error(`start:worker does not start with node: ${pkg.scripts['start:worker']}`);
  return args.filter((a) => a.startsWith('--')).join(' ');
}

/** Starts a worker and an API process on a task queue of their own; `env` adds to (or overrides) the bench's settings. */
export async function startServiceProcesses(opts: { stack: BenchStack; name: string; env: Record<string, string>; onStop: OnStop }): Promise<ServiceProcesses> {
  const { bundle, compiled } = await prepare(opts.onStop);
  const taskQueue = `${opts.name}-${randomUUID()}`;
  const apiPort = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    TMPDIR: process.env.TMPDIR ?? '/tmp',
    DATABASE_URL: opts.stack.databaseUrl,
    TEMPORAL_ADDRESS: opts.stack.temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    SCRAPE_ALLOW_PRIVATE_NETWORKS: 'true',
    PORT: String(apiPort),
    LOG_LEVEL: 'warn',
    // Every bench client calls from 127.0.0.1: one client to the limiter.
    RATE_LIMIT_WRITES_PER_MINUTE: '100000',
    RATE_LIMIT_READS_PER_MINUTE: '1000000',
    FAULT_WORKFLOW_BUNDLE: bundle,
    ...opts.env,
  };
  // The heap limits decide the worker's peak memory: the ones production gives it.
  const worker = serviceProcess(`${opts.name} worker`, 'worker', { ...env, NODE_OPTIONS: await workerNodeFlags() }, undefined, compiled);
  const api = serviceProcess(`${opts.name} API`, 'api', env, undefined, compiled);
  const stop = async () => void (await Promise.all([api.stop(), worker.stop()]));
  opts.onStop(`the ${opts.name} worker and API`, stop);
  await Promise.all([worker.start(), api.start()]);
  return { apiUrl: `http://127.0.0.1:${apiPort}`, taskQueue, env, worker, api, stop };
}
