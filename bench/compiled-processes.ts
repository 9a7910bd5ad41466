import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * The worker and API process entries (test/support/processes) compiled to JavaScript with the
 * project's tsconfig, into a directory under `dir`: production runs `node dist/...`, so a process
 * whose memory and CPU the bench reports must not carry tsx (measured: importing the worker's
 * modules under tsx takes 238 MB RSS and 4.6 CPU-s, compiled 159 MB and 2.3 CPU-s). The output
 * keeps the repository's layout, so node_modules and import.meta.url paths resolve as in dist.
 * Returns the directory to hand to serviceProcess as `compiledDir`.
 */
export async function compileProcesses(dir: string): Promise<string> {
  const out = await mkdtemp(path.join(dir, 'bench-processes-'));
  const rel = (p: string) => path.relative(out, path.join(ROOT, p));
  const tsconfig = {
    extends: rel('tsconfig.json'),
    compilerOptions: { outDir: '.', rootDir: rel('.'), noEmit: false, sourceMap: false },
    include: [],
    files: [rel('test/support/processes/worker.ts'), rel('test/support/processes/api.ts')],
  };
  await writeFile(path.join(out, 'tsconfig.json'), JSON.stringify(tsconfig));
  const tsc = path.join(path.dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', path.join(out, 'tsconfig.json')], { cwd: ROOT });
  return out;
}
