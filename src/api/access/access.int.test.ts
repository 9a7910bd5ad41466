import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { createDatabase, type Db } from '../../database.js';
import { createLogger } from '../../logger.js';
import { migrateToLatest } from '../../migrate.js';
import { createApp } from '../app.js';
import type { ApiResponse } from '../envelope.js';
import { startApi, type RunningApi } from '../server.js';
import { NO_KEYS_RECHECK_MS } from './keys.js';

/**
 * Keys and rate limits on PostgreSQL, over real HTTP: counts shared by two API instances,
 * X-Forwarded-For believed only from a trusted proxy, and keys managed with `npm run keys`.
 * Each scenario gets a database of its own, so no count or key leaks from one into another.
 */

const execFileAsync = promisify(execFile);
const adminUrl = () => inject('databaseUrl');
const databases: string[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
let connection: Connection;
let temporal: Client;

async function freshDatabase(): Promise<string> {
  const name = `access_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`create database ${name}`).finally(() => admin.end());
  databases.push(name);
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  await migrateToLatest(url.toString());
  return url.toString();
}

/** One API instance: its own pool, as a separate process would have. */
async function apiOn(databaseUrl: string, env: Record<string, string> = {}): Promise<{ api: RunningApi; db: Db }> {
  const db = createDatabase(databaseUrl, 2);
  const api = await startApi({
    app: createApp({ db, temporal, taskQueue: `access-${randomUUID()}`, logger: createLogger('error'), config: loadConfig(env) }),
    port: 0,
  });
  cleanups.push(() => api.close(), () => db.destroy());
  return { api, db };
}

async function call(api: RunningApi, method: string, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${api.url}/api/v2${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    // An empty object: start refuses it (no url), so counting happens and nothing is started.
    body: method === 'POST' ? '{}' : undefined,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as ApiResponse<any> };
}

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  temporal = new Client({ connection });
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await connection?.close();
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  for (const name of databases) await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
});

describe('rate limits in PostgreSQL', () => {
  it('two API instances on one database share the counts; the one over the limit answers 429 with RateLimit headers', async () => {
    const url = await freshDatabase();
    const env = { RATE_LIMIT_WRITES_PER_MINUTE: '3', RATE_LIMIT_READS_PER_MINUTE: '1000' };
    const { api: a } = await apiOn(url, env);
    const { api: b } = await apiOn(url, env);

    const first = await call(a, 'POST', '/analysis/start');
    const second = await call(b, 'POST', '/analysis/start');
    const third = await call(a, 'POST', '/analysis/start');
    expect([first.status, second.status, third.status]).toEqual([400, 400, 400]);
    // One allowance, counted down across both instances.
    expect([first, second, third].map((r) => /r=(\d+)/.exec(r.headers.get('RateLimit') ?? '')?.[1])).toEqual(['2', '1', '0']);
    expect(first.headers.get('RateLimit-Policy')).toBe('"writes";q=3;w=60');

    for (const api of [b, a]) {
      const refused = await call(api, 'POST', '/analysis/start');
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ success: false, error: { code: 'RATE_LIMITED' } });
      expect(refused.body.metadata.requestId).toBe(refused.headers.get('X-Request-Id'));
      const retryAfter = Number(refused.headers.get('Retry-After'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(refused.headers.get('RateLimit')).toMatch(/^"writes";r=0;t=\d+$/);
    }
    // Reads are a separate allowance, and health is never limited.
    expect((await call(b, 'GET', '/analysis?limit=1')).status).toBe(200);
    expect((await fetch(`${a.url}/api/v2/health`)).headers.get('RateLimit')).toBeNull();
  });

  it('X-Forwarded-For picks the bucket only when the peer is a trusted proxy', async () => {
    const env = { RATE_LIMIT_WRITES_PER_MINUTE: '1' };
    const { api: behindProxy } = await apiOn(await freshDatabase(), { ...env, TRUSTED_PROXIES: '127.0.0.0/8, ::1' });
    const xff = (value: string) => ({ 'X-Forwarded-For': value });
    expect((await call(behindProxy, 'POST', '/analysis/start', xff('203.0.113.5'))).status).toBe(400);
    expect((await call(behindProxy, 'POST', '/analysis/start', xff('203.0.113.5'))).status).toBe(429);
    // Another client behind the proxy has its own allowance.
    expect((await call(behindProxy, 'POST', '/analysis/start', xff('203.0.113.6'))).status).toBe(400);
    // What a client writes to the left of the address the proxy saw does not move it to a new bucket.
    expect((await call(behindProxy, 'POST', '/analysis/start', xff('198.51.100.77, 203.0.113.6'))).status).toBe(429);
    // Another trusted hop in between is passed over to the client's address.
    expect((await call(behindProxy, 'POST', '/analysis/start', xff('203.0.113.5, 127.0.0.9'))).status).toBe(429);

    const { api: direct } = await apiOn(await freshDatabase(), env);
    expect((await call(direct, 'POST', '/analysis/start', xff('203.0.113.5'))).status).toBe(400);
    // Not trusted: the header is ignored, both requests come from 127.0.0.1.
    const forged = await call(direct, 'POST', '/analysis/start', xff('203.0.113.99'));
    expect(forged.status).toBe(429);
    expect(forged.body.error?.code).toBe('RATE_LIMITED');
  });
});

async function keysCli(databaseUrl: string, ...args: string[]) {
  const { stdout, stderr } = await execFileAsync('npm', ['run', '--silent', 'keys', '--', ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'error' },
    timeout: 120_000,
  });
  return { stdout: stdout.trim(), stderr };
}

describe('API keys with npm run keys', () => {
  it('create (printed once), use, list, revoke: open API → 401 without a key → 403 once revoked; API_KEYS still work', async () => {
    const url = await freshDatabase();
    const { api, db } = await apiOn(url, { API_KEYS: 'env-key-1' });
    const { api: openApi } = await apiOn(url, {});

    // No stored key yet: only the instance with API_KEYS asks for one.
    expect((await call(openApi, 'GET', '/analysis?limit=1')).status).toBe(200);
    expect((await call(api, 'GET', '/analysis?limit=1')).status).toBe(401);

    const created = await keysCli(url, 'create', 'frontend');
    const key = created.stdout;
    // "No key yet" is believed for NO_KEYS_RECHECK_MS: wait that out, whatever the CLI took.
    await new Promise((r) => setTimeout(r, NO_KEYS_RECHECK_MS));
    expect(key).toMatch(/^pa_[\w-]{43}$/);
    expect(created.stderr).toMatch(/shown once/);
    const stored = await db.selectFrom('api_keys').selectAll().executeTakeFirstOrThrow();
    expect(stored.hash).not.toContain(key);
    expect(JSON.stringify(stored)).not.toContain(key.slice(10));

    // A key exists now: every instance asks for one, for reads too.
    const anonymous = await call(openApi, 'GET', '/analysis?limit=1');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('WWW-Authenticate')).toBe('Bearer');
    expect(anonymous.body.error?.code).toBe('UNAUTHORIZED');
    const wrong = await call(openApi, 'GET', '/analysis?limit=1', { Authorization: `Bearer ${key}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
    expect((await call(openApi, 'GET', '/analysis?limit=1', { Authorization: `Bearer ${key}` })).status).toBe(200);
    expect((await call(api, 'POST', '/analysis/start', { Authorization: `Bearer ${key}` })).status).toBe(400);
    expect((await call(api, 'POST', '/analysis/start', { Authorization: 'Bearer env-key-1' })).status).toBe(400);

    const listed = await keysCli(url, 'list');
    expect(listed.stdout).toContain(stored.id);
    expect(listed.stdout).toContain(key.slice(0, 10));
    expect(listed.stdout).not.toContain(key);
    expect(listed.stdout).toMatch(/last used \d{4}-/);
    expect(listed.stdout).toMatch(/active/);

    const revoked = await keysCli(url, 'revoke', key.slice(0, 10));
    expect(revoked.stdout).toMatch(/^Revoked: /);
    const refused = await call(openApi, 'POST', '/analysis/start', { Authorization: `Bearer ${key}` });
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code).toBe('FORBIDDEN');
    // The last key revoked does not open the API again.
    expect((await call(openApi, 'GET', '/analysis?limit=1')).status).toBe(401);
    expect((await call(api, 'GET', '/analysis?limit=1', { Authorization: 'Bearer env-key-1' })).status).toBe(200);

    await expect(keysCli(url, 'revoke', 'pa_nothing-like-this')).rejects.toMatchObject({ stderr: expect.stringMatching(/No key has/) });
  });
});

describe('whether any key exists, as each request asks', () => {
  it('"none" is read again after NO_KEYS_RECHECK_MS; "some" is never read again, so deleting rows by hand does not open the API', async () => {
    const url = await freshDatabase();
    const { api, db } = await apiOn(url, {});
    expect((await call(api, 'GET', '/analysis?limit=1')).status).toBe(200);
    await db.insertInto('api_keys').values({ id: randomUUID(), name: 'by hand', prefix: 'pa_byhand', hash: 'x'.repeat(64) }).execute();
    // Within the window the earlier answer may stand; once it has passed the key is asked for.
    await new Promise((r) => setTimeout(r, NO_KEYS_RECHECK_MS));
    expect((await call(api, 'GET', '/analysis?limit=1')).status).toBe(401);
    await db.deleteFrom('api_keys').execute();
    await new Promise((r) => setTimeout(r, NO_KEYS_RECHECK_MS));
    expect((await call(api, 'GET', '/analysis?limit=1')).status).toBe(401);
  });
});
