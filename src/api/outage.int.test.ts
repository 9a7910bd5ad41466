import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../config.js';
import { createDatabase, type Db } from '../database.js';
import { freePort } from '../dev/free-port.js';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from '../dev/postgres.js';
import { createLogger } from '../logger.js';
import { migrateToLatest } from '../migrate.js';
import { createApp } from './app.js';
import type { ApiResponse } from './envelope.js';
import { startApi, type RunningApi } from './server.js';

/**
 * Dependencies going away under a running API (issue 13, point 1): a PostgreSQL of this file's
 * own that is stopped and started again, and Temporal reached through a TCP relay that this file
 * switches off and on. While either is missing the API answers 503 SERVICE_UNAVAILABLE in the
 * envelope, the process stays up, and it serves again by itself once they are back.
 */

const devDir = fileURLToPath(new URL('../../.dev/', import.meta.url));
const log = () => {};
let stateDir: string;
let pgPort: number;
let postgres: EmbeddedPostgresServer | undefined;
let databaseUrl: string;
let db: Db;
let temporalPort: number;
let relay: net.Server | undefined;
const relaySockets = new Set<net.Socket>();
let connection: Connection;
let api: RunningApi;
const started: string[] = [];

async function startPostgres() {
  postgres = await startEmbeddedPostgres({ dataDir: path.join(stateDir, 'postgres'), port: pgPort, log, persistent: true });
  return postgres.databaseUrl;
}

/** A TCP relay to the test run's Temporal server: listening = Temporal up, closed = Temporal down. */
async function relayUp() {
  const [host = '127.0.0.1', port] = inject('temporalAddress').split(':');
  relay = net.createServer((client) => {
    const upstream = net.connect(Number(port), host);
    for (const s of [client, upstream]) {
      relaySockets.add(s);
      s.on('close', () => relaySockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => relay!.once('error', reject).listen(temporalPort, '127.0.0.1', resolve));
}

async function relayDown() {
  const closed = new Promise((resolve) => (relay ? relay.close(resolve) : resolve(undefined)));
  for (const s of relaySockets) s.destroy();
  await closed;
  relay = undefined;
}

beforeAll(async () => {
  await mkdir(devDir, { recursive: true });
  stateDir = await mkdtemp(path.join(devDir, 'test-outage-'));
  // As root, PostgreSQL runs as another user that must reach its data directory inside.
  await chmod(stateDir, 0o755);
  pgPort = await freePort();
  temporalPort = await freePort();
  databaseUrl = await startPostgres();
  await migrateToLatest(databaseUrl);
  db = createDatabase(databaseUrl, 4);
  // Lazy: the API starts while Temporal is unreachable, as after a restart during an outage.
  connection = Connection.lazy({ address: `127.0.0.1:${temporalPort}` });
  const config = loadConfig({});
  api = await startApi({
    app: createApp({
      db,
      temporal: new Client({ connection }),
      taskQueue: `outage-${randomUUID()}`,
      logger: createLogger('error'),
      config,
      temporalTimeoutMs: 2_000,
    }),
    port: 0,
  });
});

afterAll(async () => {
  if (!relay) await relayUp().catch(() => undefined);
  const client = new Client({ connection });
  await Promise.all(started.map((id) => client.workflow.getHandle(`analysis-${id}`).terminate('test cleanup').catch(() => undefined)));
  await api?.close();
  await connection?.close().catch(() => undefined);
  await relayDown();
  await db?.destroy();
  await postgres?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

async function call(method: string, urlPath: string, json?: unknown) {
  const res = await fetch(`${api.url}/api/v2${urlPath}`, {
    method,
    headers: json === undefined ? {} : { 'Content-Type': 'application/json' },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  return { status: res.status, body: (await res.json()) as ApiResponse<any> };
}

function expectUnavailable(res: { status: number; body: ApiResponse<any> }) {
  expect(res.status).toBe(503);
  expect(res.body.success).toBe(false);
  expect(res.body.error?.code).toBe('SERVICE_UNAVAILABLE');
  expect(res.body.error?.message).not.toMatch(/ECONNREFUSED|grpc|57P01|stack/i);
}

/** Polls until `ok`; a slow, busy machine gets a generous deadline. */
async function eventually<T>(what: string, attempt: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function countAnalyses(): Promise<number> {
  const row = await db.selectFrom('analyses').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('an API whose dependencies go away', () => {
  it('Temporal unreachable: a start is 503 and leaves no row; reads from PostgreSQL still work; once Temporal is back, starts succeed', async () => {
    const refused = await call('POST', '/analysis/start', { url: 'https://temporal-down.example.com' });
    expectUnavailable(refused);
    expect(await countAnalyses()).toBe(0);
    expect((await call('GET', '/analysis')).status).toBe(200);
    const health = await call('GET', '/health');
    expect(health.status).toBe(503);
    expect(health.body.data.checks.temporal.status).toBe('down');

    await relayUp();
    const accepted = await eventually(
      'a start after Temporal came back',
      () => call('POST', '/analysis/start', { url: 'https://temporal-back.example.com' }),
      (r) => r.status === 202,
    );
    started.push(accepted.body.data.analysisId);
    expect(await countAnalyses()).toBe(1);
  });

  it('PostgreSQL stopped: every route answers 503 in the envelope, the process lives on, and it serves again once PostgreSQL is back', async () => {
    const id = started[0]!;
    expect((await call('GET', `/analysis/${id}`)).status).toBe(200);

    await postgres!.stop();
    // The pool's idle connections were cut (57P01); without its 'error' listener this process would be gone now.
    for (const [method, urlPath, json] of [
      ['GET', '/analysis', undefined],
      ['GET', `/analysis/${id}`, undefined],
      ['GET', `/analysis/${id}/report`, undefined],
      ['POST', '/analysis/start', { url: 'https://db-down.example.com' }],
      ['POST', `/analysis/${id}/cancel`, undefined],
    ] as const) {
      expectUnavailable(await call(method, urlPath, json));
    }
    const health = await call('GET', '/health');
    expect(health.status).toBe(503);
    expect(health.body.data.checks.database.status).toBe('down');

    await startPostgres();
    const back = await eventually('a read after PostgreSQL came back', () => call('GET', `/analysis/${id}`), (r) => r.status === 200);
    expect(back.body.data.analysisId).toBe(id);
    expect((await call('GET', '/analysis')).body.data.items).toHaveLength(1);
  });
});
