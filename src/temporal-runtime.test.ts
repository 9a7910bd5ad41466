import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { installTemporalRuntime } from './temporal-runtime.js';

describe('installTemporalRuntime with the worker metrics endpoint', () => {
  it('refuses a port already in use with a message naming METRICS_PORT_WORKER', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      expect(() => installTemporalRuntime(createLogger('error'), { metrics: { port, host: '127.0.0.1' } })).toThrow(
        new RegExp(`127\\.0\\.0\\.1:${port}.*METRICS_PORT_WORKER`),
      );
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });
});
