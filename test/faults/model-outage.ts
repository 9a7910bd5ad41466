import { expect } from 'vitest';
import { brokenPromises, type FaultStack } from '../support/fault-stack.js';

/**
 * The model endpoint down (connections refused) for `outageMs` while an analysis needs it, then back:
 * the analysis waits and completes, and the promises hold. Shared by the short outage in `npm test`
 * and the ten-minute one in `npm run test:faults-long`.
 */
export async function modelEndpointOutage(stack: FaultStack, outageMs: number): Promise<void> {
  await stack.proxy.setMode('down');
  const started = await stack.start();
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  const id = started.analysisId!;
  // The outage counts from the first model call that could not connect.
  const failing = await stack.waitForStatus(id, (s) => s.steps?.some((step: any) => step.name === 'ai_analysis' && step.attempts >= 1 && step.lastError), outageMs + 120_000);
  const during = failing.steps.find((s: any) => s.name === 'ai_analysis');
  console.log(`[faults:${stack.name}] model endpoint down; ai_analysis says: ${during.lastError}`);
  // The length of the fault is the scenario, not a wait for a condition.
  await new Promise((r) => setTimeout(r, outageMs));
  const still = await stack.waitForStatus(id, () => true);
  expect(still.status, `the analysis gave up during a ${outageMs / 1000} s outage: ${JSON.stringify(still.error)}`).not.toBe('failed');
  await stack.proxy.setMode('pass');
  const final = await stack.waitForEnd(id, 10 * 60_000);
  expect(final.status, JSON.stringify(final.error)).toBe('completed');
  expect(await brokenPromises(stack)).toEqual([]);
}
