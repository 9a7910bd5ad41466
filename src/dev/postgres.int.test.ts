import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { freePort, isPortFree } from './free-port.js';
import { startEmbeddedPostgres } from './postgres.js';

const devDir = fileURLToPath(new URL('../../.dev/', import.meta.url));
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

async function scratchDir(): Promise<string> {
  const dir = await mkdtemp(path.join(devDir, 'test-pg-'));
  await chmod(dir, 0o755); // as root, PostgreSQL runs as another user and must reach its data dir
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

it('stop() returns when PostgreSQL has already exited, and removes a throwaway cluster', async () => {
  const dataDir = path.join(await scratchDir(), 'pg');
  const port = await freePort();
  const server = await startEmbeddedPostgres({ dataDir, port, log: () => {}, persistent: false });
  cleanups.push(() => server.stop());
  const pid = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  // PostgreSQL dies on its own (here: killed outright, as by the OOM killer).
  process.kill(pid, 'SIGKILL');
  await server.stop();
  expect(await isPortFree(port)).toBe(true);
  await expect(stat(dataDir)).rejects.toMatchObject({ code: 'ENOENT' });
});

it('runs PostgreSQL in a process group of its own: a Ctrl-C to ours does not reach it', async () => {
  const dataDir = path.join(await scratchDir(), 'pg');
  const server = await startEmbeddedPostgres({ dataDir, port: await freePort(), log: () => {}, persistent: false });
  cleanups.push(() => server.stop());
  const pid = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  const processGroup = async (of: number | 'self') => {
    const fields = await readFile(`/proc/${of}/stat`, 'utf8');
    return Number(fields.slice(fields.lastIndexOf(')') + 2).split(' ')[2]); // state, ppid, pgrp
  };
  expect(await processGroup(pid)).toBe(pid);
  expect(await processGroup(pid)).not.toBe(await processGroup('self'));
  await server.stop();
});
