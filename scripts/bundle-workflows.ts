import { cp, mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

// Production workers load this prebuilt bundle instead of bundling on start; bundling also
// catches workflow code that imports Node built-ins or other non-deterministic modules.
const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
const { code } = await bundleWorkflowCode({
  workflowsPath,
  // The OpenTelemetry workflow interceptors workflows/index.ts exports (they trace only when the
  // worker started tracing; otherwise their spans go to a no-op sink).
  workflowInterceptorModules: [workflowsPath],
});
const out = fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url));
await mkdir(fileURLToPath(new URL('../dist/', import.meta.url)), { recursive: true });
await writeFile(out, code);
console.log(`workflow bundle: ${out} (${(code.length / 1024).toFixed(0)} KiB)`);

// The web page's static files (src/web/public) are not TypeScript, so tsc does not copy them:
// put them beside the compiled src/web/static.js that serves them.
const webOut = fileURLToPath(new URL('../dist/src/web/public/', import.meta.url));
await cp(fileURLToPath(new URL('../src/web/public/', import.meta.url)), webOut, { recursive: true });
console.log(`web page: ${webOut}`);
