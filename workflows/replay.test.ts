import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';

const historiesDir = new URL('./histories/', import.meta.url);

/**
 * Recorded histories of real runs (saved by `npm run record-history` and the workflow tests with
 * RECORD_HISTORIES=1) replayed against today's workflow code: a change that would break
 * workflows already running fails here.
 */
describe('AnalysisWorkflow replays recorded histories', async () => {
  const files = (await readdir(historiesDir)).filter((f) => f.endsWith('.json'));
  let code: string;

  // Bundling takes seconds, more on a busy 2-core machine: well past the default hook timeout.
  beforeAll(async () => {
    ({ code } = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./index.ts', import.meta.url)), logger: quiet }));
  }, 120_000);

  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    const history = JSON.parse(await readFile(new URL(file, historiesDir), 'utf8'));
    await Worker.runReplayHistory({ workflowBundle: { code } }, history, file.replace(/\.json$/, ''));
  });
});

const noop = () => undefined;
const quiet = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };
