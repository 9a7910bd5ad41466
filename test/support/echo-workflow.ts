import { workflowInfo } from '@temporalio/workflow';

/**
 * The smallest workflow a worker can run: src/temporal.int.test.ts uses it to prove a worker that
 * connected through TLS polls, runs and completes a workflow task. The answer names the task queue
 * the workflow actually ran on, which only the worker knows.
 */
export async function echoWorkflow(text: string): Promise<string> {
  return `${text} (ran on ${workflowInfo().taskQueue})`;
}
