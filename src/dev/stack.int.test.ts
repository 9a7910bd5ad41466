import { chmod, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { afterAll, expect, test } from 'vitest';
import { freePort } from './free-port.js';
import { startDevStack, SEARCH_ATTRIBUTES, type DevStack } from './stack.js';

const devDir = fileURLToPath(new URL('../../.dev/', import.meta.url));
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function withDatabase<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** What `npm run dev` does twice in a row: the second start finds the first one's data. */
test('a persistent dev stack keeps its database and Temporal state across restarts', async () => {
  const stateDir = await mkdtemp(path.join(devDir, 'test-persist-'));
  await chmod(stateDir, 0o755); // PostgreSQL runs as another user when we are root
  cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
  const ports = { temporalPort: await freePort(), uiPort: await freePort(), postgresPort: await freePort() };
  const start = () => startDevStack({ stateDir, persistent: true, ...ports, temporalCliPath: process.env.TEMPORAL_CLI_PATH, log: () => {} });

  let stack: DevStack = await start();
  cleanups.push(() => stack.stop());
  expect(stack.startedTemporal && stack.startedPostgres).toBe(true);
  expect(await fetch(stack.webUiUrl!).then((r) => r.status)).toBe(200);
  await withDatabase(stack.databaseUrl, (db) => db.query("create table kept (note text); insert into kept values ('first run')"));
  let connection = await Connection.connect({ address: stack.temporalAddress });
  const workflowId = `persisted-${Date.now()}`;
  // A workflow no worker will ever run: it simply stays open in Temporal's SQLite file.
  await new Client({ connection }).workflow.start('NobodyRunsThis', { taskQueue: 'nobody-polls-this', workflowId });
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
  expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(Object.keys(SEARCH_ATTRIBUTES)));
  await connection.close();
  await stack.stop();

  stack = await start();
  expect(await withDatabase(stack.databaseUrl, (db) => db.query('select note from kept').then((r) => r.rows))).toEqual([{ note: 'first run' }]);
  connection = await Connection.connect({ address: stack.temporalAddress });
  const description = await new Client({ connection }).workflow.getHandle(workflowId).describe();
  expect(description.status.name).toBe('RUNNING');
  await connection.close();
});
