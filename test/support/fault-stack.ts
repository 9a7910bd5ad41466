import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection, Client, WorkflowNotFoundError } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { sql } from 'kysely';
import { inject } from 'vitest';
import { configSchema } from '../../src/config.js';
import { createDatabase, type Db } from '../../src/database.js';
import { freePort } from '../../src/dev/free-port.js';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from '../../src/dev/postgres.js';
import { SEARCH_ATTRIBUTES } from '../../src/dev/stack.js';
import { startStandInAi, type StandInAi } from '../../src/dev/stand-in-ai.js';
import { findTemporalCli } from '../../src/dev/temporal-cli.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/dev/temporal-server.js';
import { migrateToLatest } from '../../src/migrate.js';
import { ACME_PAGES } from './acme-site.js';
import { serviceProcess, type ServiceProcess } from './fault-processes.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { startWebhookReceiver, type WebhookReceiver } from './fault-webhooks.js';
import { serveSite, type Route, type TestSite } from './sites.js';

const devDir = fileURLToPath(new URL('../../.dev/', import.meta.url));

/**
 * One service under test, on real processes a fault test may kill: the worker and the API as child
 * processes, the model endpoint behind a fault proxy, a local site, a webhook receiver, and either the
 * run's shared Temporal server and PostgreSQL (global setup) or ones of its own that it can stop and
 * start again with their state kept (a Temporal database file, a persistent cluster).
 */
export interface FaultStack {
  name: string;
  apiUrl: string;
  taskQueue: string;
  site: TestSite;
  proxy: FaultProxy;
  standIn: StandInAi;
  webhooks: WebhookReceiver;
  worker: ServiceProcess;
  api: ServiceProcess;
  /** Processes started beside those two with addWorker/addApi; watched and stopped like them. */
  added: ServiceProcess[];
  /** Another worker process on the stack's task queue, database and model endpoint. */
  addWorker(name: string): Promise<ServiceProcess>;
  /** Another API process configured as the first, on a port of its own. */
  addApi(name: string): Promise<{ process: ServiceProcess; apiUrl: string }>;
  /** For checks from the test; unusable while PostgreSQL is stopped. */
  db: Db;
  stopTemporal(): Promise<void>;
  startTemporal(): Promise<void>;
  stopPostgres(): Promise<void>;
  startPostgres(): Promise<void>;
  /** POST /analysis/start for the stack's site, with the webhook receiver as notify.webhookUrl (through `apiUrl`, the first API by default). */
  start(opts?: { key?: string; options?: Record<string, unknown>; apiUrl?: string }): Promise<{ status: number; analysisId?: string; body: any }>;
  /** Polls the status route until the analysis is terminal; errors and non-200 answers (an outage) are tolerated. */
  waitForEnd(analysisId: string, timeoutMs?: number): Promise<any>;
  /** Polls the status route until `done` holds for the status. */
  waitForStatus(analysisId: string, done: (status: any) => boolean, timeoutMs?: number): Promise<any>;
  /** Temporal client on the stack's server (a new connection each time, so a restarted server is reached). */
  withTemporal<T>(fn: (client: Client) => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

export interface FaultStackOptions {
  name: string;
  ownTemporal?: boolean;
  ownPostgres?: boolean;
  /** More configuration for both processes, e.g. AI_TIMEOUT_SECONDS. */
  env?: Record<string, string>;
  /** Site routes; the Acme site by default. */
  routes?: Record<string, Route>;
  /** From bundleOnce(). */
  workflowBundle: string;
  log?: (msg: string) => void;
}

export const TERMINAL = ['completed', 'failed', 'cancelled'];

/** The workflow code bundled once per test file, for every worker process it starts (bundling costs CPU seconds). */
export async function bundleOnce(): Promise<{ path: string; remove(): Promise<void> }> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
  });
  await mkdir(devDir, { recursive: true });
  const dir = await mkdtemp(path.join(devDir, 'test-faults-bundle-'));
  const file = path.join(dir, 'workflow-bundle.js');
  await writeFile(file, code);
  return { path: file, remove: () => rm(dir, { recursive: true, force: true }) };
}

export async function startFaultStack(opts: FaultStackOptions): Promise<FaultStack> {
  const log = opts.log ?? ((msg: string) => console.log(`[faults:${opts.name}] ${msg}`));
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((err: Error) => log(`cleanup: ${err.message}`));
  };
  try {
    await mkdir(devDir, { recursive: true });
    // test-* like the global setup's directories: a killed run's leftovers are removed by the next run.
    const stateDir = await mkdtemp(path.join(devDir, `test-faults-${opts.name}-`));
    // As root, PostgreSQL runs as the postgres user and must reach its data directory inside.
    await chmod(stateDir, 0o755);
    cleanups.push(() => rm(stateDir, { recursive: true, force: true }));

    // Temporal: the shared one, or our own on a database file that survives a stop.
    let temporalAddress = inject('temporalAddress');
    let temporal: TemporalDevServer | undefined;
    let startTemporal = async () => {};
    if (opts.ownTemporal) {
      const cliPath = await findTemporalCli({ explicitPath: process.env.TEMPORAL_CLI_PATH, cacheDir: devDir, log });
      const [port, uiPort] = [await freePort(), await freePort()];
      const dbFile = path.join(stateDir, 'temporal.sqlite');
      startTemporal = async () => {
        temporal = await startTemporalDevServer({ cliPath, port, uiPort, dbFile, searchAttributes: SEARCH_ATTRIBUTES, log });
      };
      await startTemporal();
      temporalAddress = temporal!.address;
      cleanups.push(() => temporal?.stop() ?? Promise.resolve());
    }

    // PostgreSQL: the shared one, or our own persistent cluster.
    let databaseUrl = inject('databaseUrl');
    let postgres: EmbeddedPostgresServer | undefined;
    let startPostgres = async () => {};
    if (opts.ownPostgres) {
      const port = await freePort();
      startPostgres = async () => {
        postgres = await startEmbeddedPostgres({ dataDir: path.join(stateDir, 'postgres'), port, log, persistent: true });
      };
      await startPostgres();
      databaseUrl = postgres!.databaseUrl;
      cleanups.push(() => postgres?.stop() ?? Promise.resolve());
      await migrateToLatest(databaseUrl);
    }

    const standIn = await startStandInAi();
    cleanups.push(() => standIn.stop());
    const proxy = await startFaultProxy(standIn.baseUrl);
    cleanups.push(() => proxy.close());
    const site = await serveSite(opts.routes ?? ACME_PAGES);
    cleanups.push(() => site.close());
    const webhooks = await startWebhookReceiver();
    cleanups.push(() => webhooks.close());
    const db = createDatabase(databaseUrl, 2, () => {});
    cleanups.push(() => db.destroy());

    const taskQueue = `faults-${opts.name}-${randomUUID()}`;
    const apiPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_TASK_QUEUE: taskQueue,
      OPENAI_BASE_URL: proxy.baseUrl,
      OPENAI_MODEL: 'stand-in-model',
      SCRAPE_ALLOW_PRIVATE_NETWORKS: 'true',
      PORT: String(apiPort),
      // Warnings and errors are what explains a process that died; a scenario may ask for more.
      LOG_LEVEL: 'warn',
      // Rate limits are not under test here; their store is shared by every stack on the run's database.
      RATE_LIMIT_WRITES_PER_MINUTE: '100000',
      RATE_LIMIT_READS_PER_MINUTE: '1000000',
      // Webhooks are signed (Standard Webhooks); without a secret none is sent.
      WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
      FAULT_WORKFLOW_BUNDLE: opts.workflowBundle,
      ...opts.env,
    };
    const worker = serviceProcess(`${opts.name} worker`, 'worker', env);
    const api = serviceProcess(`${opts.name} API`, 'api', env);
    cleanups.push(() => worker.stop('SIGKILL'));
    cleanups.push(() => api.stop('SIGKILL'));
    const added: ServiceProcess[] = [];
    /** Starts an API process on apiEnv.PORT; returns its URL (apiEnv.PORT is what it listens on). */
    const startApi = async (child: ServiceProcess, apiEnv: NodeJS.ProcessEnv): Promise<string> => {
      for (let attempt = 1; ; attempt++) {
        try {
          await child.start();
          return `http://127.0.0.1:${apiEnv.PORT}`;
        } catch (err) {
          // freePort() only found a port free a moment ago: with stacks starting side by side, another may take it first.
          if (attempt === 3 || !/EADDRINUSE/.test((err as Error).message)) throw err;
          apiEnv.PORT = String(await freePort());
        }
      }
    };
    const [, apiUrl] = await Promise.all([worker.start(), startApi(api, env)]);

    const withTemporal = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
      const connection = await Connection.connect({ address: temporalAddress, connectTimeout: 5_000 });
      try {
        return await fn(new Client({ connection }));
      } finally {
        await connection.close();
      }
    };

    const waitForStatus = async (analysisId: string, done: (s: any) => boolean, timeoutMs = 6 * 60_000) => {
      const deadline = Date.now() + timeoutMs;
      let last: unknown = 'no answer yet';
      for (;;) {
        try {
          const res = await fetch(`${apiUrl}/api/v2/analysis/${analysisId}`, { signal: AbortSignal.timeout(10_000) });
          const body = (await res.json()) as any;
          last = res.status === 200 ? body.data : `HTTP ${res.status} ${JSON.stringify(body.error)}`;
          if (res.status === 200 && done(body.data)) return body.data;
        } catch (err) {
          last = `request failed: ${(err as Error).message}`;
        }
        // A process that died by itself will not bring the analysis further: say so now, with its output.
        const died = [worker, api, ...added].flatMap((p) => p.unexpectedExits);
        if (died.length) throw new Error(`${opts.name}: waiting for analysis ${analysisId}, but ${died.join('\n\n')}`);
        if (Date.now() > deadline) throw new Error(`${opts.name}: analysis ${analysisId} not there after ${timeoutMs / 1000} s; last: ${JSON.stringify(last)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    };

    return {
      name: opts.name,
      apiUrl,
      taskQueue,
      site,
      proxy,
      standIn,
      webhooks,
      worker,
      api,
      added,
      async addWorker(name) {
        const child = serviceProcess(name, 'worker', env);
        cleanups.push(() => child.stop('SIGKILL'));
        added.push(child);
        await child.start();
        return child;
      },
      async addApi(name) {
        const apiEnv = { ...env, PORT: String(await freePort()) };
        const child = serviceProcess(name, 'api', apiEnv);
        cleanups.push(() => child.stop('SIGKILL'));
        added.push(child);
        return { process: child, apiUrl: await startApi(child, apiEnv) };
      },
      db,
      async stopTemporal() {
        if (!temporal) throw new Error('this stack uses the shared Temporal server: ask for ownTemporal');
        await temporal.stop();
      },
      startTemporal,
      async stopPostgres() {
        if (!postgres) throw new Error('this stack uses the shared PostgreSQL: ask for ownPostgres');
        await postgres.stop();
      },
      startPostgres,
      async start({ key, options, apiUrl: via = apiUrl } = {}) {
        const res = await fetch(`${via}/api/v2/analysis/start`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
          body: JSON.stringify({ url: site.url, options: { maxPages: 3, personaCount: 1, notify: { webhookUrl: webhooks.url }, ...options } }),
          signal: AbortSignal.timeout(30_000),
        });
        const body = (await res.json()) as any;
        return { status: res.status, analysisId: body.data?.analysisId, body };
      },
      waitForEnd: (id, timeoutMs) => waitForStatus(id, (s) => TERMINAL.includes(s.status), timeoutMs),
      waitForStatus,
      withTemporal,
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

export interface PromiseCheck {
  /** Analyses expected to fail (a permanent fault), with a clear final error. */
  expectFailed?: string[];
  /**
   * Model answers a client may have been handed and not stored: those in flight when a worker was
   * SIGKILLed, or that arrived while PostgreSQL was down.
   */
  answersLostToKills?: number;
  /** Whether every model answer delivered counts for these analyses (false when the stack ran others too). */
  compareDelivered?: boolean;
}

/** Whether the product sends webhooks yet (issue 13's notifications add WEBHOOK_SECRET). */
const notificationsExist = 'WEBHOOK_SECRET' in configSchema.shape;

/**
 * The promises of issue 13 checked after a fault, as a list of violations (empty: all kept):
 * every analysis on this stack's site ended as expected; exactly one report row per (analysis, version);
 * no model answer paid twice for a response already stored; no analysis row without its workflow and
 * no workflow still running without its row; no process exited by itself; no notification twice.
 */
export async function brokenPromises(stack: FaultStack, check: PromiseCheck = {}): Promise<string[]> {
  const broken: string[] = [];
  const rows = await stack.db
    .selectFrom('analyses')
    .select(['id', 'status', 'workflow_id', 'latest_version', 'error', 'idempotency_key'])
    .where('url', 'like', `${stack.site.url}%`)
    .execute();
  const ids = rows.map((r) => r.id);
  if (ids.length === 0) return [`${stack.name}: no analysis rows for ${stack.site.url}`];

  for (const row of rows) {
    const failExpected = check.expectFailed?.includes(row.id) ?? false;
    if (row.status !== (failExpected ? 'failed' : 'completed')) {
      broken.push(`analysis ${row.id} is ${row.status}, expected ${failExpected ? 'failed' : 'completed'} (error: ${JSON.stringify(row.error)})`);
    }
    if (row.status === 'failed') {
      const message = row.error?.message ?? '';
      if (!message || /internal error/i.test(message)) broken.push(`analysis ${row.id} failed without a clear reason: ${JSON.stringify(row.error)}`);
      if (/will be retried|retrying|try again shortly/i.test(message)) broken.push(`analysis ${row.id}: its final error says it will be retried: ${message}`);
    }
  }

  const reports = await stack.db
    .selectFrom('reports')
    .select(['analysis_id', 'version', sql<number>`count(*)::int`.as('n')])
    .where('analysis_id', 'in', ids)
    .groupBy(['analysis_id', 'version'])
    .execute();
  for (const r of reports) if (r.n !== 1) broken.push(`analysis ${r.analysis_id} has ${r.n} report rows for version ${r.version}`);
  for (const row of rows.filter((r) => r.status === 'completed')) {
    for (let v = 1; v <= row.latest_version; v++) {
      if (!reports.some((r) => r.analysis_id === row.id && r.version === v)) broken.push(`analysis ${row.id} has no report row for version ${v}`);
    }
  }

  // A usable answer stored twice for the same call (analysis, version, kind) was paid for twice.
  // Repairs are left out: a second round may rightly re-ask a part that still fails.
  const answers = await stack.db
    .selectFrom('ai_responses')
    .select(['analysis_id', 'version', 'kind', sql<number>`count(*)::int`.as('n')])
    .where('analysis_id', 'in', ids)
    .where('parsed', 'is not', null)
    .where('kind', 'not like', 'repair:%')
    .groupBy(['analysis_id', 'version', 'kind'])
    .execute();
  // The check above means something only if usable answers are recorded as such.
  for (const row of rows.filter((r) => r.status === 'completed')) {
    if (!answers.some((a) => a.analysis_id === row.id)) broken.push(`analysis ${row.id} completed with no usable model answer stored`);
  }
  for (const a of answers) if (a.n > 1) broken.push(`analysis ${a.analysis_id} v${a.version}: ${a.n} usable answers stored for "${a.kind}" (the call was paid ${a.n} times)`);
  if (check.compareDelivered !== false) {
    const { n: stored } = await stack.db
      .selectFrom('ai_responses')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('analysis_id', 'in', ids)
      .executeTakeFirstOrThrow();
    const { delivered } = stack.proxy.counts();
    const lostAllowed = check.answersLostToKills ?? 0;
    if (delivered - stored > lostAllowed) {
      broken.push(`the model endpoint delivered ${delivered} answers, ${stored} were stored: ${delivered - stored} paid for and lost (at most ${lostAllowed} expected from the fault)`);
    }
  }

  // No analysis without its workflow; no workflow left running without its analysis.
  await stack.withTemporal(async (client) => {
    for (const row of rows) {
      try {
        await client.workflow.getHandle(row.workflow_id).describe();
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) broken.push(`analysis ${row.id} has no workflow ${row.workflow_id}`);
        else throw err;
      }
    }
    const known = new Set(rows.map((r) => r.workflow_id));
    const deadline = Date.now() + 90_000;
    for (;;) {
      const orphans: string[] = [];
      for await (const wf of client.workflow.list({ query: `TaskQueue = '${stack.taskQueue}'` })) {
        if (!known.has(wf.workflowId) && wf.status.name === 'RUNNING') orphans.push(wf.workflowId);
      }
      if (orphans.length === 0) break;
      if (Date.now() > deadline) {
        broken.push(`workflows still running with no analysis row: ${orphans.join(', ')}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
  });

  for (const p of [stack.worker, stack.api, ...stack.added]) broken.push(...p.unexpectedExits);

  for (const [id, n] of stack.webhooks.byId()) if (n > 1) broken.push(`webhook ${id} delivered ${n} times`);
  if (notificationsExist) {
    // One notification per finished version, and one for a failure; sent after finalization, so wait for them.
    const expected = rows.reduce((sum, r) => sum + r.latest_version + (r.status === 'failed' ? 1 : 0), 0);
    const deadline = Date.now() + 60_000;
    while (stack.webhooks.byId().size < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    const distinct = stack.webhooks.byId().size;
    if (distinct !== expected) broken.push(`${distinct} distinct webhook notifications for ${expected} finished versions or failures`);
  }
  return broken;
}
