import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Db } from '../database.js';
import { ACME_PAGES } from '../../test/support/acme-site.js';
import { serveSite, type Route, type TestSite } from '../../test/support/sites.js';
import { freePort, isPortFree } from './free-port.js';
import { findTemporalCli } from './temporal-cli.js';
import packageJson from '../../package.json' with { type: 'json' };

/*
 * `npm run analyze` and `npm run dev` as a person runs them: their npm scripts' commands, in a
 * process group of their own like a terminal's foreground job, stopped with SIGINT sent to the
 * whole group (what Ctrl-C does). Sites are local (http://127.0.0.1:<port>/, a literal address:
 * the commands resolve no name) and allowed through SCRAPE_ALLOW_PRIVATE_NETWORKS.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const devDir = path.join(root, '.dev');
const tsxCli = fileURLToPath(import.meta.resolve('tsx/cli'));
/** What a crash of a dependency's fault looks like in a Node process's output. */
const CRASH = /Unhandled 'error' event|57P01|unhandledRejection|uncaughtException/;
/** What the pool logs when PostgreSQL goes away under it: a clean stop closes the pool first. */
const POOL_LOST = /database connection lost/;

let temporalCliPath: string;
let db: Db;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  temporalCliPath = await findTemporalCli({ explicitPath: process.env.TEMPORAL_CLI_PATH, cacheDir: devDir, log: () => {} });
  db = createDatabase(inject('databaseUrl'), 2);
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  await db?.destroy();
});

interface Command {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  /** Ctrl-C: SIGINT to the command's whole process group. */
  interrupt(): void;
}

/**
 * The npm script's own command line (package.json), run with this Node: `tsx <file>` through tsx's
 * CLI (which relays signals to the Node process it starts), `node <flags> <file>` directly.
 */
function commandLine(script: 'dev' | 'analyze'): string[] {
  const [program, ...words] = (packageJson.scripts as Record<string, string>)[script]!.split(/\s+/);
  if (program === 'tsx') return [tsxCli, ...words];
  if (program === 'node') return words;
  throw new Error(`cannot run the "${script}" script: ${program}`);
}

function run(script: 'analyze' | 'dev', args: string[], env: Record<string, string>): Command {
  const child = spawn(process.execPath, [...commandLine(script), ...args], {
    cwd: root,
    // Only what the command needs: no DATABASE_URL or TEMPORAL_ADDRESS from the test run unless given.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? root, LOG_LEVEL: 'warn', TEMPORAL_CLI_PATH: temporalCliPath, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const interrupt = () => process.kill(-child.pid!, 'SIGINT');
  // A failed assertion must not leave the command (and the servers it started) running.
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited, interrupt };
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function site(routes: Record<string, Route>): Promise<TestSite> {
  const s = await serveSite(routes);
  cleanups.push(() => s.close());
  return s;
}

/** A state directory and free ports for a command that starts its own PostgreSQL and Temporal. */
async function ownStack(): Promise<Record<'DEV_STATE_DIR' | 'DEV_TEMPORAL_PORT' | 'DEV_TEMPORAL_UI_PORT' | 'DEV_POSTGRES_PORT', string>> {
  const stateDir = await mkdtemp(path.join(devDir, 'test-cmd-'));
  await chmod(stateDir, 0o755); // as root, PostgreSQL runs as another user and must reach its data dir
  cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
  return {
    DEV_STATE_DIR: stateDir,
    DEV_TEMPORAL_PORT: String(await freePort()),
    DEV_TEMPORAL_UI_PORT: String(await freePort()),
    DEV_POSTGRES_PORT: String(await freePort()),
  };
}

/** The test run's Temporal server and database, on a task queue of this command's own. */
function testStack(): Record<string, string> {
  return {
    DATABASE_URL: inject('databaseUrl'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: `cmd-${Date.now()}-${Math.random().toString(36).slice(2)}`,
  };
}

describe('npm run analyze', () => {
  it('answers --help with its usage, and a command line it cannot run with what is wrong, before starting anything', async () => {
    const help = run('analyze', ['--help'], {});
    expect(await help.exited).toBe(0);
    expect(help.stdout()).toMatch(/^usage: npm run analyze -- <url>/);
    expect(help.stdout()).toContain('--max-pages N');
    const cases: Array<[string[], RegExp]> = [
      [['https://example.com', '--max-page', '3'], /^Unknown option '--max-page'\n\nusage: /],
      [['https://example.com', '--max-pages', 'ten'], /^--max-pages takes a whole number, not "ten"\.\n\nusage: /],
      [['https://example.com', '--language'], /^Option '--language <value>' argument missing\n\nusage: /],
      [[], /^Which site\? Give its address\.\n\nusage: /],
    ];
    for (const [args, message] of cases) {
      const cmd = run('analyze', args, {});
      expect(await cmd.exited, args.join(' ')).toBe(2);
      expect(cmd.stderr()).toMatch(message);
      expect(cmd.stderr()).not.toMatch(/\n\s+at /);
    }
  });

  it('starts its own stack, prints the report, stops everything and exits 0', async () => {
    const acme = await site(ACME_PAGES);
    const env = { ...(await ownStack()), PORT: '0', SCRAPE_ALLOW_PRIVATE_NETWORKS: 'true' };
    const cmd = run('analyze', ['--', acme.url, '--stand-in-ai', '--max-pages', '3'], env);
    const code = await cmd.exited;
    expect(cmd.stderr()).not.toMatch(CRASH);
    expect(code, cmd.stderr().slice(-3000)).toBe(0);
    expect(cmd.stderr()).not.toMatch(POOL_LOST);
    expect(cmd.stdout()).toMatch(/^# /m);
    expect(cmd.stdout()).toContain('Acme');
    // Markdown without escape clutter: a numbered heading, ordinary punctuation as written.
    expect(cmd.stdout()).toMatch(/^### 1\. /m);
    expect(cmd.stdout()).not.toMatch(/\\[.&()!#|-]/);
    // Piped (not a terminal): plain lines, one per step change and per page read, no bar, no escape codes.
    expect(cmd.stderr()).toMatch(/^ {2}running {3}validation$/m);
    expect(cmd.stderr()).toMatch(/^ {2}completed content_extraction$/m);
    expect(cmd.stderr()).toMatch(/^ +content_extraction: 1\/3 pages$/m);
    expect(cmd.stderr()).toMatch(/^ {2}completed finalization$/m);
    expect(cmd.stderr()).not.toMatch(/[\r\x1b]/);
    // The services' JSON lines went to the log file, not the terminal.
    expect(cmd.stderr()).not.toMatch(/^\{/m);
    // Nothing it started is left running.
    for (const port of [env.DEV_TEMPORAL_PORT, env.DEV_POSTGRES_PORT]) expect(await isPortFree(Number(port))).toBe(true);
  });

  it('on Ctrl-C cancels the analysis it started, then exits 130', async () => {
    const routes: Record<string, Route> = {
      '/': '<!doctype html><title>Slow</title><main><h1>Slow site</h1><p>Pages that take their time.</p>' +
        Array.from({ length: 4 }, (_, i) => `<a href="/slow-${i}">Slow ${i}</a>`).join('') + '</main>',
    };
    for (let i = 0; i < 4; i++) routes[`/slow-${i}`] = { body: '<!doctype html><title>Slow</title><p>Slow.</p>', delayMs: 30_000 };
    const slow = await site(routes);
    const cmd = run('analyze', ['--', slow.url, '--stand-in-ai'], { ...testStack(), PORT: '0', SCRAPE_ALLOW_PRIVATE_NETWORKS: 'true' });
    // Mid-crawl: the slow pages are being read.
    await until('the crawl to reach the slow pages', () => [...slow.hits.keys()].some((p) => p.startsWith('/slow-')));
    const analysisId = /analysis ([0-9a-f-]{36}) started/.exec(cmd.stderr())?.[1];
    expect(analysisId).toBeDefined();
    cmd.interrupt();
    const code = await cmd.exited;
    expect(cmd.stderr()).not.toMatch(CRASH);
    expect(code).toBe(130);
    expect(cmd.stderr()).toMatch(/cancel requested/);
    const row = await db.selectFrom('analyses').select(['status']).where('id', '=', analysisId!).executeTakeFirstOrThrow();
    expect(row.status, cmd.stderr().slice(-3000)).toBe('cancelled');
  });
});

describe('npm run dev', () => {
  it('stops on Ctrl-C: the service and its database pool first, then PostgreSQL and Temporal; exit 0', async () => {
    const stack = await ownStack();
    const logFile = path.join(stack.DEV_STATE_DIR, 'logs', 'dev.log');
    const env = { ...stack, PORT: String(await freePort()), METRICS_PORT_WORKER: String(await freePort()), LOG_LEVEL: 'info', LOG_FILE: logFile };
    const cmd = run('dev', ['--stand-in-ai'], env);
    await until('the stack to start', () => cmd.stdout().includes('Persona Analyzer is running') || cmd.child.exitCode !== null);
    const base = `http://127.0.0.1:${env.PORT}`;
    // A short summary: where everything is, which AI writes, what may be read.
    expect(cmd.stdout()).toContain(`${base}/\n`);
    expect(cmd.stdout()).toContain(`${base}/api/v2/docs`);
    expect(cmd.stdout()).toContain(`Temporal Web UI:   http://127.0.0.1:${env.DEV_TEMPORAL_UI_PORT}`);
    expect(cmd.stdout()).toMatch(/AI: +local stand-in/);
    // The worker's own metrics, as production serves them.
    const workerMetrics = `http://127.0.0.1:${env.METRICS_PORT_WORKER}/metrics`;
    expect(cmd.stdout()).toContain(`${base}/metrics (API) · ${workerMetrics} (worker)`);
    expect(await (await fetch(workerMetrics)).text()).toMatch(/^temporal_/m);
    expect(cmd.stdout()).toMatch(/Private addresses: +refused/);
    expect(cmd.stdout()).toContain(path.relative(root, logFile));
    const health = await fetch(`${base}/api/v2/health`, { headers: { 'X-Request-Id': 'dev-log-check-1' } });
    expect(health.status).toBe(200);
    await health.arrayBuffer();
    // The request's log line lands in the file, as JSON; the terminal shows none.
    await until('the request to be logged to LOG_FILE', async () => (await readFile(logFile, 'utf8').catch(() => '')).includes('dev-log-check-1'));
    const logged = (await readFile(logFile, 'utf8')).split('\n').filter((l) => l.includes('dev-log-check-1')).map((l) => JSON.parse(l));
    expect(logged[0]).toMatchObject({ requestId: 'dev-log-check-1', path: '/api/v2/health' });
    expect(cmd.stdout() + cmd.stderr()).not.toContain('dev-log-check-1');
    cmd.interrupt();
    const code = await cmd.exited;
    expect(cmd.stderr()).not.toMatch(CRASH);
    expect(code, cmd.stderr().slice(-3000)).toBe(0);
    expect(cmd.stderr()).not.toMatch(POOL_LOST);
    expect(cmd.stderr()).toContain('[dev] stopped');
    for (const port of [env.DEV_TEMPORAL_PORT, env.DEV_POSTGRES_PORT, env.PORT]) expect(await isPortFree(Number(port))).toBe(true);
  });
});
