import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { childPid, pidListeningOn, rssMb, treeCpuSeconds } from './process-cpu.js';

/**
 * The bench's cost row sums CPU over process trees whose members come and go (a PostgreSQL backend
 * per connection): what ran in a process that has exited must still be counted, and the servers
 * must be found by their ports. Amounts are CPU time, which a busy machine does not change.
 */
describe('process CPU from /proc', () => {
  it('counts a child that has exited, through the parent that reaped it', async () => {
    const before = await treeCpuSeconds(process.pid);
    // Burns 0.5 CPU-seconds of its own (measured by its own CPU clock, not the wall clock), then exits.
    const child = spawn(process.execPath, ['-e', 'const t = process.cpuUsage(); while (process.cpuUsage(t).user < 500_000) {}']);
    await new Promise((resolve) => child.once('exit', resolve));
    const after = await treeCpuSeconds(process.pid);
    expect(after - before).toBeGreaterThanOrEqual(0.45);
  });

  it('finds a live child by a marker in its environment, and reads its memory', async () => {
    const marker = `PROCESS_CPU_TEST=${process.pid}-${Date.now()}`;
    const [name, value] = marker.split('=') as [string, string];
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { env: { ...process.env, [name]: value } });
    try {
      await expect.poll(() => childPid(marker, '-e').catch(() => undefined), { timeout: 30_000 }).toBe(child.pid);
      expect(await rssMb(child.pid!)).toBeGreaterThan(5);
      await expect(childPid(`${name}=someone-else`, '-e')).rejects.toThrow(/no child process/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('finds the process listening on a port', async () => {
    const server = http.createServer((_, res) => res.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      expect(await pidListeningOn((server.address() as AddressInfo).port)).toBe(process.pid);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("counts the CPU of PostgreSQL backends whose connections have closed, on the postmaster's tree", async () => {
    const databaseUrl = inject('databaseUrl');
    const postmaster = await pidListeningOn(Number(new URL(databaseUrl).port));
    expect(await readFile(`/proc/${postmaster}/cmdline`, 'utf8')).toMatch(/postgres/);
    const before = await treeCpuSeconds(postmaster);
    // Each query (about 0.2-0.5 CPU-seconds) on a connection of its own, closed right after: its
    // backend has exited when we read.
    for (let i = 0; i < 3; i++) {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query('select count(*) from generate_series(1, 3000000)');
      await client.end();
    }
    // The backends' exits are reaped by the postmaster a moment after the connections close.
    await expect
      .poll(async () => (await treeCpuSeconds(postmaster)) - before, { timeout: 30_000, interval: 200 })
      .toBeGreaterThanOrEqual(0.2);
  });
});
