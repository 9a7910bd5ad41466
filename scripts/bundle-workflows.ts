import { cp, mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

// Production workers load a prebuilt bundle instead of bundling on start; bundling also catches
// workflow code that imports Node built-ins or other non-deterministic modules.
const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
const tracingInterceptors = fileURLToPath(new URL('../workflows/tracing.ts', import.meta.url));
await mkdir(fileURLToPath(new URL('../dist/', import.meta.url)), { recursive: true });
// Two bundles: with the OpenTelemetry workflow interceptors (workflows/tracing.ts), for a worker
// that traces (src/main-worker.ts picks it when OTLP is configured), and without, for one that
// does not: replaying one recorded analysis took 63-71 CPU-ms with them (spans for a no-op sink)
// and 40-42 without, and the bundle is half the size.
for (const [file, workflowInterceptorModules] of [
  ['workflow-bundle.js', []],
  ['workflow-bundle-traced.js', [tracingInterceptors]],
] as const) {
  const { code } = await bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: [...workflowInterceptorModules] });
  const out = fileURLToPath(new URL(`../dist/${file}`, import.meta.url));
  await writeFile(out, code);
  console.log(`workflow bundle: ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
}

// The web page's static files (src/web/public) are not TypeScript, so tsc does not copy them:
// put them beside the compiled src/web/static.js that serves them.
const webOut = fileURLToPath(new URL('../dist/src/web/public/', import.meta.url));
await cp(fileURLToPath(new URL('../src/web/public/', import.meta.url)), webOut, { recursive: true });
console.log(`web page: ${webOut}`);
