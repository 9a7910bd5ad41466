import { writeFile, mkdir } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';

export const HISTORIES_DIR = new URL('../../workflows/histories/', import.meta.url);

/**
 * With RECORD_HISTORIES=1 the end-to-end run saves its workflow history for the replay test
 * (`npm run record-history`): a later change that breaks running workflows then fails CI.
 */
export async function recordHistoryIfAsked(client: Client, workflowId: string, name: string, runId?: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  // Without a run ID, the latest run; a run that continued as new is only reachable by its own ID.
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  await mkdir(HISTORIES_DIR, { recursive: true });
  await writeFile(new URL(`${name}.json`, HISTORIES_DIR), historyToJSON(history));
}
