import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killWhenParentDies } from '../../src/dev/temporal-server.js';
import { READY_LINE } from './processes/ready.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const OUTPUT_LINES = 400;

/**
 * One product process (test/support/processes/<entry>.ts) run under the project's node + tsx, watched:
 * every exit the test did not ask for is recorded with the process's last output, so a test can
 * assert that no dependency's fault took a process down.
 */
export interface ServiceProcess {
  name: string;
  /** Spawns the process and waits for its ready line (throws with its output when it exits first). */
  start(): Promise<void>;
  /** Sends `signal` and waits for the exit; this exit is expected, not a failure. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  /** The OS process ID of the current (or last) child; a worker's default Temporal identity is `<pid>@<host>`. */
  pid(): number | undefined;
  /** Exits nobody asked for, each described with the last lines of output. */
  unexpectedExits: string[];
  /** Recent stdout and stderr lines, across restarts. */
  output: string[];
}

/**
 * `compiledDir`: run the entry compiled to JavaScript there (bench/compiled-processes.ts) with plain
 * node, as production runs dist, instead of the TypeScript source under tsx.
 */
export function serviceProcess(name: string, entry: 'worker' | 'api', env: NodeJS.ProcessEnv, readyTimeoutMs = 120_000, compiledDir?: string): ServiceProcess {
  const output: string[] = [];
  const unexpectedExits: string[] = [];
  let child: ChildProcess | undefined;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  let stopping = false;
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    output.splice(0, Math.max(0, output.length - OUTPUT_LINES));
  };

  return {
    name,
    output,
    unexpectedExits,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    pid: () => child?.pid,
    async start() {
      stopping = false;
      const args = compiledDir
        ? [join(compiledDir, 'test', 'support', 'processes', `${entry}.js`)]
        : ['--import', 'tsx', fileURLToPath(new URL(`./processes/${entry}.ts`, import.meta.url))];
      const proc = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      // The test process may itself be killed: then the child must not outlive it.
      const watchdog = proc.pid ? killWhenParentDies(proc.pid, 'TERM') : undefined;
      let ready!: () => void;
      const readySeen = new Promise<void>((resolve) => (ready = resolve));
      let wasReady = false;
      proc.stdout!.on('data', (chunk: Buffer) => {
        keep(chunk);
        if (chunk.toString('utf8').includes(READY_LINE)) {
          wasReady = true;
          ready();
        }
      });
      proc.stderr!.on('data', keep);
      exited = new Promise((resolve) => {
        proc.once('close', (code, signal) => {
          watchdog?.kill('SIGKILL');
          // An exit before ready is start()'s failure, reported by it.
          if (!stopping && wasReady && child === proc) {
            unexpectedExits.push(`${name} exited by itself with ${signal ?? `code ${code}`}; its last output:\n${output.slice(-25).join('\n')}`);
          }
          resolve({ code, signal });
        });
      });
      const outcome = await Promise.race([
        readySeen.then(() => 'ready' as const),
        exited.then((e) => `exited with ${e.signal ?? `code ${e.code}`} before it was ready`),
        new Promise<string>((resolve) => setTimeout(() => resolve(`not ready after ${readyTimeoutMs / 1000} s`), readyTimeoutMs).unref()),
      ]);
      if (outcome !== 'ready') {
        stopping = true;
        proc.kill('SIGKILL');
        throw new Error(`${name} ${outcome}; its last output:\n${output.slice(-40).join('\n')}`);
      }
    },
    async stop(signal = 'SIGTERM') {
      if (!child || !exited) return { code: null, signal: null };
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
