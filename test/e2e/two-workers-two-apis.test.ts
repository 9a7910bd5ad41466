import { hostname } from 'node:os';
import type { Client } from '@temporalio/client';
import { EventSourceParserStream, type EventSourceMessage } from 'eventsource-parser/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../src/repositories/event-stream.js';
import { api } from '../support/api.js';
import type { ServiceProcess } from '../support/fault-processes.js';
import { brokenPromises, bundleOnce, startFaultStack, type FaultStack } from '../support/fault-stack.js';
import { NO_RATE_LIMITS } from '../support/service.js';

/*
 * Issue 15, point 4: the service scales by adding processes. Two worker processes and two API
 * processes (separate OS processes, as in production) on one task queue of their own, the run's
 * Temporal server and PostgreSQL, a local site and the model stand-in (behind the fault suite's
 * pass-through proxy). A batch started half through each API must run its activities on both
 * workers (told apart by their Temporal identity, `<pid>@<host>`, in the histories' ActivityTaskStarted
 * events), and each API must answer for the analyses the other one started: neither holds state.
 */

const BATCH = 10;
// Timeouts are generous on purpose: two cores shared with the other test files.
const BATCH_TIMEOUT_MS = 12 * 60_000;

const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_ACTIVITY = 2;

/** The identity the Temporal SDK gives a worker that was not given one. */
const identityOf = (p: ServiceProcess) => `${p.pid()}@${hostname()}`;

/** Identities polling the stack's task queue for activities, as the server sees them. */
async function activityPollers(client: Client, taskQueue: string): Promise<string[]> {
  const res = await client.connection.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
    taskQueueType: TASK_QUEUE_TYPE_ACTIVITY,
  });
  return (res.pollers ?? []).map((p) => p.identity ?? '');
}

/** Reads GET /analysis/{id}/events with a real SSE parser until the server ends the stream. */
async function readEvents(base: string, id: string, timeoutMs: number): Promise<{ status: number; messages: EventSourceMessage[] }> {
  const res = await fetch(`${base}/api/v2/analysis/${id}/events`, { signal: AbortSignal.timeout(timeoutMs) });
  const messages: EventSourceMessage[] = [];
  if (res.status !== 200 || !res.body) return { status: res.status, messages };
  const reader = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) messages.push(next.value);
  return { status: res.status, messages };
}

describe('two workers and two API processes share one batch', () => {
  let bundle: Awaited<ReturnType<typeof bundleOnce>>;
  let stack: FaultStack;
  let secondWorker: ServiceProcess;
  let apiA: string;
  let apiB: string;

  beforeAll(async () => {
    bundle = await bundleOnce();
    stack = await startFaultStack({ name: 'scale-out', workflowBundle: bundle.path, env: { ...NO_RATE_LIMITS } });
    [secondWorker, { apiUrl: apiB }] = await Promise.all([stack.addWorker('scale-out worker 2'), stack.addApi('scale-out API B')]);
    apiA = stack.apiUrl;
  }, 5 * 60_000);

  afterAll(async () => {
    await stack?.stop();
    await bundle?.remove();
  });

  it(
    'runs the batch on both workers, and each API answers for analyses the other started',
    async () => {
      const workers = [stack.worker, secondWorker];
      const identities = workers.map(identityOf);
      // Both workers must be polling before the batch starts, or the first would take it all.
      await expect
        .poll(() => stack.withTemporal((client) => activityPollers(client, stack.taskQueue)), { timeout: 120_000, interval: 500 })
        .toEqual(expect.arrayContaining(identities));

      // Half the batch through each API, all at once.
      const apis = [apiA, apiB];
      const started = await Promise.all(
        Array.from({ length: BATCH }, async (_, i) => {
          const via = apis[i % 2]!;
          const res = await stack.start({ apiUrl: via });
          expect(res.status, JSON.stringify(res.body)).toBe(202);
          return { id: res.analysisId!, via };
        }),
      );
      // One event stream through API B of an analysis started through API A, opened while it runs.
      const streamed = started.find((s) => s.via === apiA)!;
      const stream = readEvents(apiB, streamed.id, BATCH_TIMEOUT_MS);

      for (const { id } of started) {
        const final = await stack.waitForEnd(id, BATCH_TIMEOUT_MS);
        expect(final.status, JSON.stringify(final.error)).toBe('completed');
      }

      // Each API answers the status and the report of every analysis, the other API's included.
      for (const { id, via } of started) {
        const other = via === apiA ? apiB : apiA;
        for (const base of [other, via]) {
          const status = await api(base, `/analysis/${id}`);
          expect(status.status).toBe(200);
          expect(status.body.data).toMatchObject({ analysisId: id, status: 'completed' });
          const report = await api(base, `/analysis/${id}/report`);
          expect(report.status).toBe(200);
          expect(report.body.data.version).toBe(1);
          expect(report.body.data.report.personas).toHaveLength(1);
        }
      }

      // Who ran what, from Temporal's own record: each ActivityTaskStarted names its worker.
      const ranBy = new Map<string, number>();
      await stack.withTemporal(async (client) => {
        for (const { id } of started) {
          const history = await client.workflow.getHandle(`analysis-${id}`).fetchHistory();
          for (const event of history.events ?? []) {
            const identity = event.activityTaskStartedEventAttributes?.identity;
            if (identity) ranBy.set(identity, (ranBy.get(identity) ?? 0) + 1);
          }
        }
      });
      // How the batch split, for whoever reads the run's output.
      console.log(`[scale-out] activities run per worker: ${identities.map((w) => `${w}: ${ranBy.get(w) ?? 0}`).join(', ')}`);
      expect([...ranBy.keys()].sort(), JSON.stringify(Object.fromEntries(ranBy))).toEqual([...identities].sort());

      // API B streamed what the workers recorded for A's analysis, to the end.
      const { status, messages } = await stream;
      expect(status).toBe(200);
      const events = messages.map((m) => JSON.parse(m.data) as ProgressEvent);
      expect(events.at(-1)).toMatchObject({ type: 'status', status: 'completed' });
      const completedInStream = new Set(events.filter((e) => e.type === 'step' && e.state === 'completed').map((e) => e.step));
      const { body } = await api(apiA, `/analysis/${streamed.id}`);
      const completedSteps = body.data.steps.filter((s: { state: string }) => s.state === 'completed').map((s: { name: string }) => s.name);
      expect(completedSteps.length).toBeGreaterThan(0);
      expect([...completedInStream].sort()).toEqual([...completedSteps].sort());

      // The fault suite's promises hold too: one report per version, no model answer paid twice,
      // no workflow without its analysis, one notification each, and no process exited by itself.
      expect(await brokenPromises(stack)).toEqual([]);
    },
    BATCH_TIMEOUT_MS + 5 * 60_000,
  );
});
