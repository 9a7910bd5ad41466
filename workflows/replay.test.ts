import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';

const historiesDir = new URL('./histories/', import.meta.url);

/**
 * Recorded histories of real runs (saved by `npm run record-history`) replayed against today's
 * workflow code: a change that would break workflows already running fails here.
 */
describe('AnalysisWorkflow replays recorded histories', async () => {
  const files = (await readdir(historiesDir)).filter((f) => f.endsWith('.json'));

  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    const history = JSON.parse(await readFile(new URL(file, historiesDir), 'utf8'));
    await Worker.runReplayHistory(
      { workflowsPath: fileURLToPath(new URL('./index.ts', import.meta.url)) },
      history,
      file.replace(/\.json$/, ''),
    );
  });
});
