import { Writable } from 'node:stream';
import type { Client } from '@temporalio/client';
import winston from 'winston';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import type { Db } from '../database.js';
import { hashApiKey } from '../repositories/api-keys.js';
import { memoryRateLimits, type KeyStore } from './access/index.js';
import { createApp } from './app.js';
import type { ApiResponse } from './envelope.js';
import { toApiError } from './errors.js';

/**
 * Request handling that needs no infrastructure: validation, the envelope, 404s, request IDs and
 * error mapping. The database and Temporal are stand-ins that record any use and throw: most tests
 * assert they were never touched (validation ran first); the outage tests rely on them throwing.
 */

const ID = '6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f';
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function standIn<T>(name: string, touched: string[]): T {
  return new Proxy(
    {},
    {
      get(_target, prop) {
        // Not a thenable: awaiting the stand-in itself must not count as use.
        if (prop === 'then' || typeof prop === 'symbol') return undefined;
        touched.push(`${name}.${prop}`);
        throw new Error(`${name} stand-in reached (${prop}): simulated outage`);
      },
    },
  ) as T;
}

function capturingLogger() {
  const lines: Record<string, any>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const logger = winston.createLogger({ level: 'debug', format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] });
  return { logger, lines };
}

let touched: string[];
let lines: Record<string, any>[];
let app: ReturnType<typeof createApp>;

beforeEach(() => {
  touched = [];
  const captured = capturingLogger();
  lines = captured.lines;
  app = appWith({ logger: captured.logger });
});

/** Stored keys (as `npm run keys` would create them) held in memory instead of api_keys. */
function memoryKeys(keys: { key: string; id: string; revoked?: boolean }[] = []): KeyStore & { touched: string[] } {
  const touchedKeys: string[] = [];
  return {
    touched: touchedKeys,
    async byHash(hash) {
      const found = keys.find((k) => hashApiKey(k.key) === hash);
      return found && { id: found.id, name: found.id, hash, revoked: found.revoked ?? false };
    },
    anyExists: async () => keys.length > 0,
    touch: (id) => void touchedKeys.push(id),
  };
}

/**
 * The app on stand-ins for the database and Temporal that note every use (and fail it); API keys
 * and rate-limit counts in memory (their PostgreSQL stores are tested in access.int.test.ts).
 */
function appWith(overrides: Partial<Parameters<typeof createApp>[0]>) {
  const config = overrides.config ?? loadConfig({});
  return createApp({
    db: standIn<Db>('db', touched),
    temporal: standIn<Client>('temporal', touched),
    taskQueue: 'persona-analysis',
    logger: capturingLogger().logger,
    config,
    access: { keys: memoryKeys(), rateLimits: memoryRateLimits(config) },
    ...overrides,
  });
}

async function call(path: string, init: RequestInit & { json?: unknown } = {}) {
  const { json, ...rest } = init;
  const res = await app.request(`/api/v2${path}`, {
    ...rest,
    headers: { ...(json !== undefined ? { 'Content-Type': 'application/json' } : {}), ...(rest.headers as Record<string, string>) },
    body: json !== undefined ? JSON.stringify(json) : rest.body,
  });
  const text = await res.text();
  return { res, text, body: JSON.parse(text) as ApiResponse<any> };
}

function expectEnvelopeError(body: ApiResponse<unknown>, code: string) {
  expect(body.success).toBe(false);
  expect(body.error?.code).toBe(code);
  expect(body.error?.message).toEqual(expect.any(String));
  expect(body.metadata).toEqual({ requestId: expect.any(String), timestamp: expect.any(String), version: expect.any(String) });
  expect(Number.isNaN(Date.parse(body.metadata.timestamp))).toBe(false);
}

function fieldPaths(body: ApiResponse<unknown>): string[] {
  return ((body.error?.details as { fields: { path: string }[] }).fields ?? []).map((f) => f.path);
}

describe('POST /analysis/start validation', () => {
  it.each([
    ['not a URL', { url: 'not a url' }, 'url'],
    ['missing url', {}, 'url'],
    ['url not a string', { url: 42 }, 'url'],
    ['empty url', { url: '   ' }, 'url'],
    ['unknown top-level field', { url: 'https://example.com', foo: 1 }, 'foo'],
    ['unknown option', { url: 'https://example.com', options: { colour: 'red' } }, 'options.colour'],
    ['maxPages out of range', { url: 'https://example.com', options: { maxPages: 0 } }, 'options.maxPages'],
    ['personaCount not an integer', { url: 'https://example.com', options: { personaCount: 2.5 } }, 'options.personaCount'],
    ['bad webhook URL', { url: 'https://example.com', options: { notify: { webhookUrl: 'ftp://x' } } }, 'options.notify.webhookUrl'],
  ])('%s → 400 VALIDATION_ERROR naming the field', async (_name, json, path) => {
    const { res, body } = await call('/analysis/start', { method: 'POST', json });
    expect(res.status).toBe(400);
    expectEnvelopeError(body, 'VALIDATION_ERROR');
    expect(fieldPaths(body)).toContain(path);
    expect(touched).toEqual([]);
  });

  it.each([
    ['ftp scheme', 'ftp://example.com/file'],
    ['javascript scheme', 'javascript:alert(1)'],
    ['credentials in the URL', 'https://user:secret@example.com/'],
    ['a loopback address', 'http://127.0.0.1/'],
    ['a metadata address', 'http://169.254.169.254/latest/meta-data/'],
    ['a decimal loopback spelling', 'http://2130706433/'],
  ])('%s → 422 URL_NOT_ALLOWED, nothing started', async (_name, url) => {
    const { res, body } = await call('/analysis/start', { method: 'POST', json: { url } });
    expect(res.status).toBe(422);
    expectEnvelopeError(body, 'URL_NOT_ALLOWED');
    expect(touched).toEqual([]);
  });

  it('malformed JSON → 400 VALIDATION_ERROR', async () => {
    const { res, body } = await call('/analysis/start', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"url": "https://example.com",',
    });
    expect(res.status).toBe(400);
    expectEnvelopeError(body, 'VALIDATION_ERROR');
    expect(body.error?.message).toMatch(/not valid JSON/);
    expect(touched).toEqual([]);
  });

  it.each([
    ['missing Content-Type', undefined],
    ['text/plain', 'text/plain'],
    ['form encoded', 'application/x-www-form-urlencoded'],
  ])('%s → 400 VALIDATION_ERROR about the media type, not about a missing url', async (_name, contentType) => {
    const { res, body } = await call('/analysis/start', {
      method: 'POST',
      headers: contentType ? { 'Content-Type': contentType } : {},
      body: JSON.stringify({ url: 'https://example.com' }),
    });
    expect(res.status).toBe(400);
    expectEnvelopeError(body, 'VALIDATION_ERROR');
    expect(body.error?.message).toMatch(/Content-Type: application\/json/);
    expect(touched).toEqual([]);
  });

  it('a JSON array body → 400', async () => {
    const { res, body } = await call('/analysis/start', { method: 'POST', json: ['https://example.com'] });
    expect(res.status).toBe(400);
    expectEnvelopeError(body, 'VALIDATION_ERROR');
  });

  it('an oversized body → 413 PAYLOAD_TOO_LARGE', async () => {
    const { res, body } = await call('/analysis/start', { method: 'POST', json: { url: `https://example.com/${'a'.repeat(70_000)}` } });
    expect(res.status).toBe(413);
    expectEnvelopeError(body, 'PAYLOAD_TOO_LARGE');
    expect(touched).toEqual([]);
  });

  it('an Idempotency-Key with spaces or over 255 characters → 400 naming the header', async () => {
    for (const key of ['has spaces', 'k'.repeat(256)]) {
      const { res, body } = await call('/analysis/start', {
        method: 'POST',
        headers: { 'Idempotency-Key': key },
        json: { url: 'https://example.com' },
      });
      expect(res.status).toBe(400);
      expect(fieldPaths(body)).toEqual(['Idempotency-Key']);
    }
    expect(touched).toEqual([]);
  });
});

describe('other routes: validation before any I/O', () => {
  it('an ID that is not a UUID → 404 NOT_FOUND on every analysis route', async () => {
    const requests: [string, string][] = [
      ['GET', '/analysis/123'],
      ['GET', '/analysis/123/report'],
      ['POST', '/analysis/123/cancel'],
      ['DELETE', '/analysis/123'],
    ];
    for (const [method, path] of requests) {
      const { res, body } = await call(path, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expectEnvelopeError(body, 'NOT_FOUND');
    }
    const regen = await call('/analysis/123/regenerate', { method: 'POST', json: {} });
    expect(regen.res.status).toBe(404);
    expect(touched).toEqual([]);
  });

  it('regenerate with an unknown section or field → 400 naming it', async () => {
    const sections = await call(`/analysis/${ID}/regenerate`, { method: 'POST', json: { sections: ['weather'] } });
    expect(sections.res.status).toBe(400);
    expect(fieldPaths(sections.body)).toEqual(['sections.0']);
    const unknown = await call(`/analysis/${ID}/regenerate`, { method: 'POST', json: { tone: 'fun' } });
    expect(unknown.res.status).toBe(400);
    expect(fieldPaths(unknown.body)).toEqual(['tone']);
    const text = await call(`/analysis/${ID}/regenerate`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'more detail' });
    expect(text.res.status).toBe(400);
    expect(touched).toEqual([]);
  });

  it.each([
    ['?limit=0', 'limit'],
    ['?limit=101', 'limit'],
    ['?limit=ten', 'limit'],
    ['?status=done', 'status'],
    ['?cursor=not-a-cursor', 'cursor'],
    [`?cursor=${Buffer.from(JSON.stringify(['2024-01-01', 'x'])).toString('base64url')}`, 'cursor'],
  ])('GET /analysis%s → 400 naming %s', async (query, path) => {
    const { res, body } = await call(`/analysis${query}`);
    expect(res.status).toBe(400);
    expectEnvelopeError(body, 'VALIDATION_ERROR');
    expect(fieldPaths(body)).toEqual([path]);
    expect(touched).toEqual([]);
  });

  it.each([['?format=docx'], ['?version=0'], ['?version=abc'], ['?version=1.5']])(
    'GET report%s → 400 before reading anything',
    async (query) => {
      const { res, body } = await call(`/analysis/${ID}/report${query}`);
      expect(res.status).toBe(400);
      expectEnvelopeError(body, 'VALIDATION_ERROR');
      expect(touched).toEqual([]);
    },
  );

  it('an unknown route → 404 NOT_FOUND in the envelope', async () => {
    for (const [method, path] of [
      ['GET', '/api/v2/nothing-here'],
      ['PUT', '/api/v2/nothing-here'],
      ['GET', '/api/v1/analysis'],
    ] as const) {
      const res = await app.request(path, { method });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expectEnvelopeError((await res.json()) as ApiResponse<unknown>, 'NOT_FOUND');
    }
    expect(touched).toEqual([]);
  });

  it.each([
    // `start` is also a (never valid) `:id`, so the analysis methods are allowed here as well.
    ['PUT', '/api/v2/analysis/start', 'DELETE, GET, HEAD, POST'],
    ['PUT', `/api/v2/analysis/${ID}/regenerate`, 'POST'],
    ['PATCH', `/api/v2/analysis/${ID}`, 'DELETE, GET, HEAD'],
    ['POST', `/api/v2/analysis/${ID}`, 'DELETE, GET, HEAD'],
    ['GET', `/api/v2/analysis/${ID}/cancel`, 'POST'],
    ['DELETE', `/api/v2/analysis/${ID}/report`, 'GET, HEAD'],
    ['POST', '/api/v2/health', 'GET, HEAD'],
    ['DELETE', '/api/v2/analysis', 'GET, HEAD'],
  ])('%s %s → 405 METHOD_NOT_ALLOWED with Allow: %s', async (method, path, allow) => {
    const res = await app.request(path, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get('Allow')).toBe(allow);
    expectEnvelopeError((await res.json()) as ApiResponse<unknown>, 'METHOD_NOT_ALLOWED');
    expect(touched).toEqual([]);
  });
});

describe('request IDs and logging', () => {
  it('makes a UUID when none is sent and uses it in the header, the envelope and every log line', async () => {
    const { res, body } = await call('/analysis/start', { method: 'POST', json: {} });
    const requestId = res.headers.get('X-Request-Id');
    expect(requestId).toMatch(UUID_PATTERN);
    expect(body.metadata.requestId).toBe(requestId);
    await new Promise((r) => setImmediate(r));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.requestId === requestId)).toBe(true);
    expect(lines.filter((l) => l.message === 'request')).toEqual([
      expect.objectContaining({ method: 'POST', path: '/api/v2/analysis/start', status: 400, durationMs: expect.any(Number) }),
    ]);
  });

  it('keeps a sane incoming X-Request-Id and replaces one that could break a header or log line', async () => {
    const kept = await call('/nothing', { headers: { 'X-Request-Id': 'frontend-42_abc=' } });
    expect(kept.res.headers.get('X-Request-Id')).toBe('frontend-42_abc=');
    expect(kept.body.metadata.requestId).toBe('frontend-42_abc=');
    for (const bad of ['has spaces', 'x'.repeat(256), '<script>', 'a.b/../c']) {
      const replaced = await call('/nothing', { headers: { 'X-Request-Id': bad } });
      expect(replaced.res.headers.get('X-Request-Id')).toMatch(UUID_PATTERN);
    }
  });
});

const WRITES: [string, string][] = [
  ['/analysis/start', 'POST'],
  [`/analysis/${ID}/regenerate`, 'POST'],
  [`/analysis/${ID}/cancel`, 'POST'],
  [`/analysis/${ID}`, 'DELETE'],
];

async function send(target: ReturnType<typeof createApp>, path: string, method: string, headers: Record<string, string> = {}) {
  const res = await target.request(`/api/v2${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: method === 'POST' ? '{}' : undefined,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as ApiResponse<unknown> };
}

describe('API keys', () => {
  it('with API_KEYS set, writes and reads need a listed Bearer key: 401 with WWW-Authenticate otherwise', async () => {
    const keyed = appWith({ config: loadConfig({ API_KEYS: 'key-one, key-two' }) });
    for (const [path, method] of [...WRITES, ['/analysis?limit=0', 'GET'] as [string, string]]) {
      for (const authorization of [undefined, 'Bearer wrong-key', 'Basic a2V5LW9uZQ==', 'Bearer key-one extra', 'bearer']) {
        const refused = await send(keyed, path, method, authorization ? { Authorization: authorization } : {});
        expect(refused.status, `${method} ${path} with ${authorization}`).toBe(401);
        expect(refused.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
        expectEnvelopeError(refused.body, 'UNAUTHORIZED');
      }
    }
    // A listed key gets through to validation (400: the body lacks a url), any of the keys, any case of "Bearer".
    expect((await send(keyed, '/analysis/start', 'POST', { Authorization: 'Bearer key-one' })).status).toBe(400);
    expect((await send(keyed, '/analysis/start', 'POST', { Authorization: 'bearer key-two' })).status).toBe(400);
    expect((await send(keyed, '/analysis?limit=0', 'GET', { Authorization: 'Bearer key-two' })).status).toBe(400);
    // Health stays open for probes.
    expect((await keyed.request('/api/v2/health')).status).not.toBe(401);
  });

  it('API_READS_OPEN=true leaves reads open while writes still need a key', async () => {
    const keyed = appWith({ config: loadConfig({ API_KEYS: 'key-one', API_READS_OPEN: 'true' }) });
    expect((await send(keyed, '/analysis?limit=0', 'GET')).status).toBe(400);
    expect((await send(keyed, '/analysis/start', 'POST')).status).toBe(401);
  });

  it('a stored key works, a revoked one is 403 FORBIDDEN, an unknown one 401; without any key the API is open', async () => {
    const config = loadConfig({});
    const keys = memoryKeys([
      { key: 'pa_live', id: 'k1' },
      { key: 'pa_old', id: 'k2', revoked: true },
    ]);
    const stored = appWith({ config, access: { keys, rateLimits: memoryRateLimits(config) } });
    expect((await send(stored, '/analysis/start', 'POST', { Authorization: 'Bearer pa_live' })).status).toBe(400);
    expect(keys.touched).toEqual(['k1']);
    const revoked = await send(stored, '/analysis/start', 'POST', { Authorization: 'Bearer pa_old' });
    expect(revoked.status).toBe(403);
    expectEnvelopeError(revoked.body, 'FORBIDDEN');
    const unknown = await send(stored, '/analysis/start', 'POST', { Authorization: 'Bearer pa_nope' });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
    expect((await send(stored, '/analysis?limit=0', 'GET')).status).toBe(401);

    // No key anywhere: nothing to ask for.
    expect((await send(app, '/analysis/start', 'POST')).status).toBe(400);
    expect((await send(app, '/analysis?limit=0', 'GET')).status).toBe(400);
    expect(touched).toEqual([]);
  });
});

describe('rate limits', () => {
  it('writes and reads are counted apart, with draft-8 RateLimit headers; over the limit → 429 RATE_LIMITED with Retry-After', async () => {
    const config = loadConfig({ RATE_LIMIT_WRITES_PER_MINUTE: '3', RATE_LIMIT_READS_PER_MINUTE: '5' });
    const limited = appWith({ config });
    const writes = [];
    for (let i = 0; i < 4; i++) writes.push(await send(limited, '/analysis/start', 'POST'));
    expect(writes.map((w) => w.status)).toEqual([400, 400, 400, 429]);
    expect(writes[0]!.headers.get('RateLimit-Policy')).toBe('"writes";q=3;w=60');
    expect(writes[0]!.headers.get('RateLimit')).toMatch(/^"writes";r=2;t=\d+$/);
    expect(writes[2]!.headers.get('RateLimit')).toMatch(/^"writes";r=0;t=\d+$/);
    expectEnvelopeError(writes[3]!.body, 'RATE_LIMITED');
    expect(Number(writes[3]!.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1);
    expect(Number(writes[3]!.headers.get('Retry-After'))).toBeLessThanOrEqual(60);

    // Reads have their own allowance: spent writes do not block them.
    const read = await send(limited, '/analysis?limit=0', 'GET');
    expect(read.status).toBe(400);
    expect(read.headers.get('RateLimit-Policy')).toBe('"reads";q=5;w=60');
    expect(read.headers.get('RateLimit')).toMatch(/^"reads";r=4;t=\d+$/);
    // Health is never counted.
    for (let i = 0; i < 8; i++) expect((await limited.request('/api/v2/health')).headers.get('RateLimit')).toBeNull();
  });

  it('a valid key has its own allowance, apart from the anonymous address', async () => {
    const config = loadConfig({ RATE_LIMIT_WRITES_PER_MINUTE: '1', API_READS_OPEN: 'true' });
    const keys = memoryKeys([{ key: 'pa_a', id: 'a' }, { key: 'pa_b', id: 'b' }]);
    const limited = appWith({ config, access: { keys, rateLimits: memoryRateLimits(config) } });
    expect((await send(limited, '/analysis/start', 'POST', { Authorization: 'Bearer pa_a' })).status).toBe(400);
    expect((await send(limited, '/analysis/start', 'POST', { Authorization: 'Bearer pa_a' })).status).toBe(429);
    expect((await send(limited, '/analysis/start', 'POST', { Authorization: 'Bearer pa_b' })).status).toBe(400);
    // Guessing keys counts against the address, and is stopped by it.
    expect((await send(limited, '/analysis/start', 'POST', { Authorization: 'Bearer guess1' })).status).toBe(401);
    expect((await send(limited, '/analysis/start', 'POST', { Authorization: 'Bearer guess2' })).status).toBe(429);
  });
});

describe('secure headers, CORS, timeout', () => {
  it('sets hono secure headers on every answer', async () => {
    const res = await app.request('/api/v2/nothing');
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(res.headers.get('X-Frame-Options')).toBe('SAMEORIGIN');
    expect(res.headers.get('Strict-Transport-Security')).toMatch(/max-age=/);
    expect(res.headers.get('X-Powered-By')).toBeNull();
  });

  it('answers CORS for CORS_ORIGINS only, and none at all when unset', async () => {
    const withCors = appWith({ config: loadConfig({ CORS_ORIGINS: 'https://app.example.com' }) });
    const preflight = await withCors.request('/api/v2/analysis/start', {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('Access-Control-Allow-Origin')).toBe('https://app.example.com');
    expect(preflight.headers.get('Access-Control-Allow-Headers')).toMatch(/Authorization/);
    const simple = await withCors.request('/api/v2/analysis?limit=0', { headers: { Origin: 'https://app.example.com' } });
    expect(simple.headers.get('Access-Control-Allow-Origin')).toBe('https://app.example.com');
    expect(simple.headers.get('Access-Control-Expose-Headers')).toMatch(/X-Request-Id/);
    const stranger = await withCors.request('/api/v2/analysis?limit=0', { headers: { Origin: 'https://evil.example' } });
    expect(stranger.headers.get('Access-Control-Allow-Origin')).toBeNull();
    const none = await app.request('/api/v2/analysis?limit=0', { headers: { Origin: 'https://app.example.com' } });
    expect(none.headers.get('Access-Control-Allow-Origin')).toBeNull();
  });

  it('a request still unanswered after REQUEST_TIMEOUT_SECONDS → 504 REQUEST_TIMEOUT in the envelope', async () => {
    const config = loadConfig({ REQUEST_TIMEOUT_SECONDS: '0.2' });
    const hanging: KeyStore = { byHash: () => new Promise(() => {}), anyExists: async () => true, touch: () => {} };
    const slow = appWith({ config, access: { keys: hanging, rateLimits: memoryRateLimits(config) } });
    const res = await send(slow, '/analysis?limit=0', 'GET', { Authorization: 'Bearer whatever' });
    expect(res.status).toBe(504);
    expectEnvelopeError(res.body, 'REQUEST_TIMEOUT');
    expect(res.headers.get('X-Request-Id')).toBe(res.body.metadata.requestId);
  });
});

describe('failures inside a route', () => {
  it('an unexpected error → 500 INTERNAL_ERROR with a generic message; the stack goes to the log only', async () => {
    const { res, text, body } = await call(`/analysis/${ID}`);
    expect(res.status).toBe(500);
    expectEnvelopeError(body, 'INTERNAL_ERROR');
    expect(text).not.toMatch(/stand-in|stack|at .*\.ts/);
    expect(touched).toEqual(['db.selectFrom']);
    await new Promise((r) => setImmediate(r));
    const logged = lines.find((l) => l.level === 'error');
    expect(logged).toMatchObject({ requestId: body.metadata.requestId, code: 'INTERNAL_ERROR' });
    expect(logged?.error.stack).toMatch(/db stand-in reached/);
  });

  it('health with the database and Temporal unreachable → 503 down, still in the envelope with the report', async () => {
    const { res, body } = await call('/health');
    expect(res.status).toBe(503);
    expectEnvelopeError(body, 'SERVICE_UNAVAILABLE');
    expect(body.data).toMatchObject({
      status: 'down',
      checks: {
        database: { status: 'down' },
        temporal: { status: 'down' },
        workers: { status: 'down' },
        ai: { status: 'skipped' },
        memory: { status: expect.any(String), rssMb: expect.any(Number) },
        cpu: { loadAverage: expect.any(Array), cores: expect.any(Number) },
      },
    });
    // Error text from the driver stays in the log.
    expect(JSON.stringify(body)).not.toMatch(/stand-in/);
  });
});

describe('toApiError', () => {
  it('maps an unreachable Temporal server (gRPC UNAVAILABLE / DEADLINE_EXCEEDED) to 503', () => {
    for (const code of [14, 4]) {
      const grpcError = Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code, details: '', metadata: {} });
      const wrapped = new Error('Unexpected error while making gRPC request', { cause: grpcError });
      expect(toApiError(grpcError)).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
      expect(toApiError(wrapped)).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    }
  });

  it('maps a refused database connection to 503 and anything unknown to 500', () => {
    expect(toApiError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toMatchObject({
      status: 503,
    });
    expect(toApiError(new TypeError('x is undefined'))).toMatchObject({ status: 500, code: 'INTERNAL_ERROR' });
  });
});
