import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';

const historiesDir = new URL('../../workflows/histories/', import.meta.url);
const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));
const tracingInterceptors = fileURLToPath(new URL('../../workflows/tracing.ts', import.meta.url));

/**
 * The workflow code as production bundles it (scripts/bundle-workflows.ts), with the OpenTelemetry
 * workflow interceptors (workflows/tracing.ts): histories recorded without them must replay.
 */
describe('recorded histories replay with the tracing interceptors bundled', async () => {
  const files = (await readdir(historiesDir)).filter((f) => f.endsWith('.json'));
  let code: string;

  beforeAll(async () => {
    ({ code } = await bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: [tracingInterceptors], logger: quiet }));
  }, 120_000); // bundling takes seconds, more on a busy machine

  it('bundles the interceptors and has histories to replay', () => {
    expect(code).toContain('OpenTelemetryInboundInterceptor');
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s replays without nondeterminism', { timeout: 60_000 }, async (file) => {
    const history = JSON.parse(await readFile(new URL(file, historiesDir), 'utf8'));
    await Worker.runReplayHistory(
      { workflowBundle: { code }, sinks: { exporter: { export: { fn: () => undefined } } } },
      history,
      file.replace(/\.json$/, ''),
    );
  });
});

const noop = () => undefined;
const quiet = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };
