import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { isPortFree } from './free-port.js';

export type SearchAttributeType = 'Keyword' | 'Text' | 'Int' | 'Datetime' | 'Bool' | 'Double' | 'KeywordList';

export interface TemporalDevServerOptions {
  cliPath: string;
  port: number;
  uiPort: number;
  /** Omit to keep everything in memory (tests). */
  dbFile?: string;
  namespace?: string;
  searchAttributes: Record<string, SearchAttributeType>;
  log: (msg: string) => void;
  ip?: string;
  /** Appended to `temporal server start-dev`, e.g. `['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=60']`. */
  extraArgs?: string[];
}

export interface TemporalDevServer {
  /** host:port of the gRPC frontend. */
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

/** Generous: a cold start with a sqlite file takes a few seconds on 2 busy cores (e.g. while vitest starts). */
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
const OUTPUT_TAIL_CHARS = 8_000;

export async function startTemporalDevServer(opts: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const namespace = opts.namespace ?? 'default';
  const address = `${ip}:${opts.port}`;
  const uiUrl = `http://${ip}:${opts.uiPort}`;
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(opts.port), '--ui-port', String(opts.uiPort)];
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  // "default" always exists; listing it again is harmless but noisy.
  if (namespace !== 'default') args.push('--namespace', namespace);
  for (const [name, type] of Object.entries(opts.searchAttributes)) args.push('--search-attribute', `${name}=${type}`);
  // Eager activity dispatch: an activity scheduled by a workflow task goes back to the worker in the
  // answer to that task's completion (as many as the worker reserves slots for: all 5 insight
  // calls, WORKER_TUNING) instead of a round trip through the matching service. Off by default in the
  // server (a self-hosted cluster needs the same setting). Measured with bench/scale.ts and the
  // orchestration rows (src/worker.ts, WORKER_TUNING).
  args.push('--dynamic-config-value', 'system.enableActivityEagerExecution=true');
  // No internet here: the UI's news feed would only log fetch errors.
  args.push('--ui-disable-news-fetch', '--log-level', 'warn', '--color', 'never');
  if (opts.extraArgs) args.push(...opts.extraArgs);

  for (const port of [opts.port, opts.uiPort]) {
    // The CLI would only log a bind error among many lines; the usual cause is a second dev session.
    if (!(await isPortFree(port, ip))) {
      throw new Error(
        `Cannot start the Temporal dev server: ${ip}:${port} is already in use (another \`npm run dev\`?). ` +
          'Stop it, set TEMPORAL_ADDRESS to use the server already running, or choose other ports.',
      );
    }
  }
  opts.log(`Starting Temporal dev server on ${address} (UI ${uiUrl}, ${opts.dbFile ? `state in ${opts.dbFile}` : 'in-memory'})`);
  const started = Date.now();
  // Own process group: Ctrl-C must reach only our process, which then stops workers before the server.
  const child = spawn(opts.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`could not be run (${err.message})`));
    // 'close', not 'exit': by then all of its output has been read.
    child.once('close', (code, signal) => resolve(`exited with ${signal ?? `code ${code}`} before it was ready`));
  });

  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  const watchdog = child.pid ? killWhenParentDies(child.pid, 'TERM') : undefined;

  const stop = async () => {
    process.off('exit', killOnExit);
    watchdog?.kill('SIGKILL');
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };

  const giveUp = new AbortController();
  const ready = waitUntilReady(address, uiUrl, namespace, Object.keys(opts.searchAttributes), giveUp.signal);
  const outcome = await Promise.race([
    ready.then(() => undefined, (err: Error) => `did not become ready: ${err.message}`),
    exited,
  ]);
  if (outcome !== undefined) {
    giveUp.abort();
    await stop();
    throw new Error(`Temporal dev server (${opts.cliPath} ${args.join(' ')}) ${outcome}\n--- its output ---\n${output}`);
  }
  opts.log(`Temporal dev server ready on ${address} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { address, uiUrl, stop };
}

/** Ready means: our namespace and search attributes are usable over gRPC, and the Web UI answers. */
async function waitUntilReady(
  address: string,
  uiUrl: string,
  namespace: string,
  attributes: string[],
  signal: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline && !signal.aborted) {
    const connection = Connection.lazy({ address, connectTimeout: 2_000 });
    try {
      await connection.ensureConnected();
      await connection.workflowService.describeNamespace({ namespace });
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = attributes.filter((name) => !customAttributes?.[name]);
      if (missing.length) throw new Error(`search attributes not registered yet: ${missing.join(', ')}`);
      const ui = await fetch(uiUrl, { signal: AbortSignal.timeout(2_000) });
      if (ui.status >= 500) throw new Error(`Web UI answered ${ui.status}`);
      return;
    } catch (err) {
      lastError = err;
    } finally {
      await connection.close();
    }
    await sleep(250);
  }
  throw new Error(`no answer within ${READY_TIMEOUT_MS / 1000} s (last error: ${(lastError as Error)?.message})`);
}

/**
 * An 'exit' listener does not run when the parent is SIGKILLed or dies from an unhandled signal. This tiny shell
 * holds a pipe from us: when the pipe closes, whatever the cause, it signals the server, then forces it after 10 s.
 * Exported for postgres.ts, which needs the same guarantee.
 */
export function killWhenParentDies(pid: number, signal: 'TERM' | 'INT'): ChildProcess {
  const script =
    'read _; kill -' + signal + ' "$1" 2>/dev/null || exit 0; i=0; ' +
    'while kill -0 "$1" 2>/dev/null && [ $i -lt 10 ]; do sleep 1; i=$((i+1)); done; kill -KILL "$1" 2>/dev/null';
  const watchdog = spawn('/bin/sh', ['-c', script, 'watchdog', String(pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  // Neither the watchdog nor its pipe may keep our event loop alive.
  watchdog.unref();
  (watchdog.stdin as Socket | null)?.unref();
  watchdog.on('error', () => {});
  return watchdog;
}
