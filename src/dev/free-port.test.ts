import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { closedPort, freePort, isPortFree } from './free-port.js';

describe('freePort', () => {
  it('picks ports below the range the kernel hands out by itself, free when picked', async () => {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(low);
    }
    expect(new Set(ports).size).toBeGreaterThan(1);
  });

  it('isPortFree tells a port in use from a free one', async () => {
    // A port outside the kernel's own range, so no other process is handed it in between.
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    expect(await isPortFree(port)).toBe(false);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(await isPortFree(port)).toBe(true);
  });

  it('closedPort picks free ports below the range freePort picks from', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => closedPort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(2_000);
      expect(port).toBeLessThan(10_000);
    }
    expect(new Set(ports).size).toBeGreaterThan(1);
  });
});
