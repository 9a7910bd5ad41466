import { afterAll, beforeAll, describe, it } from 'vitest';
import { bundleOnce, startFaultStack, type FaultStack } from '../../support/fault-stack.js';
import { modelEndpointOutage } from '../model-outage.js';

/** Issue 13, point 8: the model endpoint down for ten minutes. Opt-in (`npm run test:faults-long`): too long for `npm test`. */
describe('the model endpoint down for ten minutes', () => {
  let bundle: Awaited<ReturnType<typeof bundleOnce>>;
  let stack: FaultStack;

  beforeAll(async () => {
    bundle = await bundleOnce();
    stack = await startFaultStack({ name: 'model-down-long', workflowBundle: bundle.path });
  });

  afterAll(async () => {
    await stack?.stop();
    await bundle?.remove();
  });

  it('delays the analysis, fails nothing, and keeps every promise', async () => {
    await modelEndpointOutage(stack, 10 * 60_000);
  });
});
