import { Writable } from 'node:stream';
import type { Client } from '@temporalio/client';
import winston from 'winston';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import type { Db } from '../database.js';
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

/** The app on stand-ins for the database and Temporal that note every use (and fail it). */
function appWith(overrides: Partial<Parameters<typeof createApp>[0]>) {
  return createApp({
    db: standIn<Db>('db', touched),
    temporal: standIn<Client>('temporal', touched),
    taskQueue: 'persona-analysis',
    logger: capturingLogger().logger,
    config: loadConfig({}),
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

  it.each([['?format=pdf'], ['?version=0'], ['?version=abc'], ['?version=1.5']])(
    'GET report%s → 400 before reading anything',
    async (query) => {
      const { res, body } = await call(`/analysis/${ID}/report${query}`);
      expect(res.status).toBe(400);
      expectEnvelopeError(body, 'VALIDATION_ERROR');
      expect(touched).toEqual([]);
    },
  );

  it('an unknown route or method → 404 NOT_FOUND in the envelope', async () => {
    for (const [method, path] of [
      ['GET', '/api/v2/nothing-here'],
      ['GET', '/'],
      ['PUT', '/api/v2/analysis/start'],
      ['GET', '/api/v1/analysis'],
    ] as const) {
      const res = await app.request(path, { method });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expectEnvelopeError((await res.json()) as ApiResponse<unknown>, 'NOT_FOUND');
    }
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
    const kept = await call('/nothing', { headers: { 'X-Request-Id': 'frontend-42.abc' } });
    expect(kept.res.headers.get('X-Request-Id')).toBe('frontend-42.abc');
    expect(kept.body.metadata.requestId).toBe('frontend-42.abc');
    for (const bad of ['has spaces', 'x'.repeat(129), '<script>']) {
      const replaced = await call('/nothing', { headers: { 'X-Request-Id': bad } });
      expect(replaced.res.headers.get('X-Request-Id')).toMatch(UUID_PATTERN);
    }
  });
});

describe('guards seam (authentication, rate limiting)', () => {
  it('runs the given guards before the routes that start or change work, not before reads', async () => {
    const guarded = appWith({
      guards: {
        authenticate: async (c, next) => (c.req.header('Authorization') === 'Bearer ok' ? next() : c.json({ denied: true }, 401)),
      },
    });
    const denied = await guarded.request('/api/v2/analysis/start', { method: 'POST' });
    expect(denied.status).toBe(401);
    const deniedDelete = await guarded.request(`/api/v2/analysis/${ID}`, { method: 'DELETE' });
    expect(deniedDelete.status).toBe(401);
    const allowed = await guarded.request('/api/v2/analysis/start', { method: 'POST', headers: { Authorization: 'Bearer ok' } });
    expect(allowed.status).toBe(400);
    const read = await guarded.request('/api/v2/analysis?limit=0');
    expect(read.status).toBe(400);
    expect(touched).toEqual([]);
  });
});

describe('API keys (API_KEYS set)', () => {
  it('start, regenerate, cancel and delete need a listed Bearer key; reads do not', async () => {
    const keyed = appWith({ config: loadConfig({ API_KEYS: 'key-one, key-two' }) });
    const send = async (path: string, method: string, authorization?: string) => {
      const res = await keyed.request(`/api/v2${path}`, {
        method,
        headers: { 'Content-Type': 'application/json', ...(authorization ? { Authorization: authorization } : {}) },
        body: method === 'POST' ? '{}' : undefined,
      });
      return { status: res.status, body: (await res.json()) as ApiResponse<unknown> };
    };
    for (const [path, method] of [
      ['/analysis/start', 'POST'],
      [`/analysis/${ID}/regenerate`, 'POST'],
      [`/analysis/${ID}/cancel`, 'POST'],
      [`/analysis/${ID}`, 'DELETE'],
    ] as const) {
      for (const authorization of [undefined, 'Bearer wrong-key', 'Basic a2V5LW9uZQ==', 'Bearer key-one extra']) {
        const refused = await send(path, method, authorization);
        expect(refused.status, `${method} ${path} with ${authorization}`).toBe(401);
        expectEnvelopeError(refused.body, 'UNAUTHORIZED');
      }
    }
    // A listed key gets through to validation (400: the body lacks a url), any of the keys.
    expect((await send('/analysis/start', 'POST', 'Bearer key-one')).status).toBe(400);
    expect((await send('/analysis/start', 'POST', 'Bearer key-two')).status).toBe(400);
    expect((await send('/analysis?limit=0', 'GET')).status).toBe(400);
    expect(touched).toEqual([]);
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
