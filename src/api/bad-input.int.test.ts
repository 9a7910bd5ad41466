import { randomBytes, randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../config.js';
import { createDatabase, type Db } from '../database.js';
import { createLogger } from '../logger.js';
import { migrateToLatest } from '../migrate.js';
import { analysesRepository } from '../repositories/analyses.js';
import { createApp } from './app.js';
import type { ApiResponse } from './envelope.js';
import { startApi, type RunningApi } from './server.js';

/**
 * Bad input at the real HTTP edge (issue 13, point 9): every case is a 4xx in the envelope, never a
 * 5xx, and creates nothing (analyses counted before and after). Its own database keeps counts
 * exact; its own task queue has no worker, so the one analysis it starts stays pending.
 */

const taskQueue = `bad-input-${randomUUID()}`;
let adminUrl: string;
let databaseName: string;
let db: Db;
let connection: Connection;
let client: Client;
let api: RunningApi;
const started: string[] = [];

const ids = { failed: randomUUID(), pending: randomUUID(), unknown: randomUUID() };
const REUSED_KEY = `reuse-${randomUUID()}`;

async function createOwnDatabase(baseUrl: string): Promise<string> {
  databaseName = `bad_input_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create database ${databaseName}`).finally(() => admin.end());
  const url = new URL(baseUrl);
  url.pathname = `/${databaseName}`;
  return url.toString();
}

async function seed(id: string, status: 'failed' | 'pending') {
  await analysesRepository.create(db, {
    id,
    url: `https://${status}.example.com/`,
    input_url: `https://${status}.example.com/`,
    domain: `${status}.example.com`,
    status,
    options: { maxPages: 10, personaCount: 3, forceRefresh: false },
    idempotency_key: null,
    request_hash: 'seeded',
    workflow_id: `analysis-${id}`,
  });
}

beforeAll(async () => {
  adminUrl = inject('databaseUrl');
  const databaseUrl = await createOwnDatabase(adminUrl);
  await migrateToLatest(databaseUrl);
  db = createDatabase(databaseUrl, 4);
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
  // Limits high enough that this file never meets them: here only the input is wrong.
  const config = loadConfig({ RATE_LIMIT_WRITES_PER_MINUTE: '100000', RATE_LIMIT_READS_PER_MINUTE: '100000' });
  api = await startApi({ app: createApp({ db, temporal: client, taskQueue, logger: createLogger('error'), config }), port: 0 });
  await seed(ids.failed, 'failed');
  await seed(ids.pending, 'pending');
  // The analysis whose Idempotency-Key is then reused with another body.
  const first = await fetch(`${api.url}/api/v2/analysis/start`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': REUSED_KEY },
    body: JSON.stringify({ url: 'https://reused.example.com' }),
  });
  expect(first.status).toBe(202);
  started.push(((await first.json()) as ApiResponse<{ analysisId: string }>).data!.analysisId);
});

afterAll(async () => {
  await Promise.all(started.map((id) => client?.workflow.getHandle(`analysis-${id}`).terminate('test cleanup').catch(() => undefined)));
  await api?.close();
  await connection?.close();
  await db?.destroy();
  if (databaseName) {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${databaseName} with (force)`).finally(() => admin.end());
  }
});

async function countAnalyses(): Promise<number> {
  const row = await db.selectFrom('analyses').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

interface Case {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
  /** JSON bodies: serialized here with the JSON Content-Type. */
  json?: unknown;
  status?: number;
  code?: string;
}

const START = '/analysis/start';
const valid = 'https://example.com/';
const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

const CASES: Record<string, Case> = {
  // Bodies, types, encodings.
  'empty body': { method: 'POST', path: START, headers: { 'Content-Type': 'application/json' }, body: '' },
  'JSON without a Content-Type': { method: 'POST', path: START, body: JSON.stringify({ url: valid }) },
  'text/plain body': { method: 'POST', path: START, headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ url: valid }) },
  'form-encoded body': { method: 'POST', path: START, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `url=${valid}` },
  'multipart body': {
    method: 'POST',
    path: START,
    headers: { 'Content-Type': 'multipart/form-data; boundary=x' },
    body: `--x\r\nContent-Disposition: form-data; name="url"\r\n\r\n${valid}\r\n--x--\r\n`,
  },
  'malformed JSON': { method: 'POST', path: START, headers: { 'Content-Type': 'application/json' }, body: '{"url":' },
  'JSON null': { method: 'POST', path: START, json: null },
  'JSON string': { method: 'POST', path: START, json: valid },
  'JSON number': { method: 'POST', path: START, json: 42 },
  'JSON array': { method: 'POST', path: START, json: [valid] },
  'url a number': { method: 'POST', path: START, json: { url: 42 } },
  'url an object': { method: 'POST', path: START, json: { url: { href: valid } } },
  'url an array': { method: 'POST', path: START, json: { url: [valid] } },
  'url empty': { method: 'POST', path: START, json: { url: '' } },
  'url of 3000 characters': { method: 'POST', path: START, json: { url: `${valid}${'a'.repeat(3000)}` } },
  'NUL byte in the url': { method: 'POST', path: START, json: { url: 'https://exa\u0000mple.com/' }, code: 'VALIDATION_ERROR' },
  'bell character in the url': { method: 'POST', path: START, json: { url: 'https://example.com/\u0007' }, code: 'VALIDATION_ERROR' },
  'unpaired surrogate in the url': {
    method: 'POST',
    path: START,
    headers: { 'Content-Type': 'application/json' },
    body: '{"url":"https://example.com/\\ud800"}',
    code: 'VALIDATION_ERROR',
  },
  'invalid UTF-8 bytes in the body': {
    method: 'POST',
    path: START,
    headers: { 'Content-Type': 'application/json' },
    body: new Uint8Array([...Buffer.from('{"url":"https://example.com/'), 0xff, 0xfe, 0xc3, ...Buffer.from('"}')]),
    code: 'VALIDATION_ERROR',
  },
  'a UTF-16 charset': { method: 'POST', path: START, headers: { 'Content-Type': 'application/json; charset=utf-16' }, body: JSON.stringify({ url: valid }) },
  'NUL byte in options.language': { method: 'POST', path: START, json: { url: valid, options: { language: 'e\u0000' } } },
  'NUL byte in notify.email': { method: 'POST', path: START, json: { url: valid, options: { notify: { email: 'a\u0000@example.com' } } } },
  'NUL byte as a key': { method: 'POST', path: START, json: { url: valid, '\u0000': 1 } },
  'escape character in an unknown field': { method: 'POST', path: START, json: { url: valid, note: '\u001b[31mred' } },
  'nesting 5000 deep': { method: 'POST', path: START, headers: { 'Content-Type': 'application/json' }, body: `{"url":"${valid}","options":${deep(5000)}}` },
  'nesting 20 deep in an unknown field': { method: 'POST', path: START, json: { url: valid, x: JSON.parse(deep(20)) } },
  'options null': { method: 'POST', path: START, json: { url: valid, options: null } },
  'options an array': { method: 'POST', path: START, json: { url: valid, options: [] } },
  'maxPages as text': { method: 'POST', path: START, json: { url: valid, options: { maxPages: '10' } } },
  'maxPages negative': { method: 'POST', path: START, json: { url: valid, options: { maxPages: -1 } } },
  'maxPages huge': { method: 'POST', path: START, json: { url: valid, options: { maxPages: 1e308 } } },
  'personaCount 2.5': { method: 'POST', path: START, json: { url: valid, options: { personaCount: 2.5 } } },
  'forceRefresh as text': { method: 'POST', path: START, json: { url: valid, options: { forceRefresh: 'yes' } } },
  'invalid notify.email': { method: 'POST', path: START, json: { url: valid, options: { notify: { email: 'not-an-email' } } } },
  'javascript: webhook': { method: 'POST', path: START, json: { url: valid, options: { notify: { webhookUrl: 'javascript:alert(1)' } } } },
  'webhook to a private address': { method: 'POST', path: START, json: { url: valid, options: { notify: { webhookUrl: 'http://10.0.0.5/hook' } } }, status: 422, code: 'URL_NOT_ALLOWED' },
  'webhook while WEBHOOK_SECRET is unset': { method: 'POST', path: START, json: { url: valid, options: { notify: { webhookUrl: 'https://hooks.example.com/x' } } }, status: 422 },
  'email while SMTP_URL is unset': { method: 'POST', path: START, json: { url: valid, options: { notify: { email: 'team@example.com' } } }, status: 422 },
  '__proto__ field': { method: 'POST', path: START, headers: { 'Content-Type': 'application/json' }, body: `{"url":"${valid}","__proto__":{"admin":true}}` },
  'body over 64 KB': { method: 'POST', path: START, json: { url: valid, pad: 'x'.repeat(70_000) }, status: 413, code: 'PAYLOAD_TOO_LARGE' },
  // URLs refused on purpose.
  'javascript: url': { method: 'POST', path: START, json: { url: 'javascript:alert(1)' }, status: 422, code: 'URL_NOT_ALLOWED' },
  'file: url': { method: 'POST', path: START, json: { url: 'file:///etc/passwd' }, status: 422 },
  'credentials in the url': { method: 'POST', path: START, json: { url: 'https://user:pw@example.com/' }, status: 422 },
  'metadata address': { method: 'POST', path: START, json: { url: 'http://169.254.169.254/latest/meta-data/' }, status: 422 },
  'IPv6 loopback': { method: 'POST', path: START, json: { url: 'http://[::1]/' }, status: 422 },
  'hex loopback spelling': { method: 'POST', path: START, json: { url: 'http://0x7f000001/' }, status: 422 },
  // Headers.
  'Idempotency-Key of 256 characters': { method: 'POST', path: START, headers: { 'Idempotency-Key': 'k'.repeat(256) }, json: { url: valid } },
  'Idempotency-Key with a non-ASCII byte': { method: 'POST', path: START, headers: { 'Idempotency-Key': 'cl\u00e9' }, json: { url: valid } },
  'Idempotency-Key reused with another body': {
    method: 'POST',
    path: START,
    headers: { 'Idempotency-Key': REUSED_KEY },
    json: { url: 'https://another.example.com' },
    status: 409,
    code: 'IDEMPOTENCY_KEY_REUSED',
  },
  // Regenerate, report, cancel on analyses in the wrong state.
  'regenerate an unknown analysis': { method: 'POST', path: `/analysis/${ids.unknown}/regenerate`, json: {}, status: 404 },
  'regenerate a failed analysis': { method: 'POST', path: `/analysis/${ids.failed}/regenerate`, json: {}, status: 409, code: 'NO_REPORT_TO_REGENERATE' },
  'regenerate before the first report': { method: 'POST', path: `/analysis/${ids.pending}/regenerate`, json: {}, status: 409, code: 'ANALYSIS_NOT_READY' },
  'regenerate with 3000 characters of instructions': { method: 'POST', path: `/analysis/${ids.failed}/regenerate`, json: { instructions: 'x'.repeat(3000) } },
  'regenerate with a NUL in the instructions': { method: 'POST', path: `/analysis/${ids.failed}/regenerate`, json: { instructions: 'more\u0000' } },
  'regenerate with sections as text': { method: 'POST', path: `/analysis/${ids.failed}/regenerate`, json: { sections: 'personas' } },
  'regenerate with a text/plain body': { method: 'POST', path: `/analysis/${ids.failed}/regenerate`, headers: { 'Content-Type': 'text/plain' }, body: 'again' },
  'report before it exists': { path: `/analysis/${ids.pending}/report`, status: 409, code: 'REPORT_NOT_READY' },
  'report ?version=-1': { path: `/analysis/${ids.failed}/report?version=-1` },
  'report ?format=pdf': { path: `/analysis/${ids.failed}/report?format=pdf` },
  'cancel a failed analysis': { method: 'POST', path: `/analysis/${ids.failed}/cancel`, status: 409, code: 'ALREADY_FINISHED' },
  // IDs and URL tricks.
  'an ID that is not a UUID': { path: '/analysis/not-a-uuid', status: 404 },
  'an unknown UUID in capitals': { path: `/analysis/${ids.unknown.toUpperCase()}`, status: 404 },
  'delete an unknown analysis': { method: 'DELETE', path: `/analysis/${ids.unknown}`, status: 404 },
  'cancel an unknown analysis': { method: 'POST', path: `/analysis/${ids.unknown}/cancel`, status: 404 },
  '%00 as the ID': { path: '/analysis/%00', status: 400 },
  '%00 after a real ID': { path: `/analysis/${ids.failed}%00`, status: 400 },
  '%00 in the report path': { path: `/analysis/${ids.failed}%00/report`, status: 400 },
  'malformed percent-encoding in the ID': { path: '/analysis/abc%ZZ', status: 400 },
  'encoded dot-dot segments': { path: '/analysis/..%2F..%2Fetc%2Fpasswd' },
  'percent-encoded invalid UTF-8 in the ID': { path: '/analysis/%ff%fe', status: 400 },
  // Query parameters.
  '?limit=abc': { path: '/analysis?limit=abc' },
  '?limit=1e3': { path: '/analysis?limit=1e3' },
  '?limit=-5': { path: '/analysis?limit=-5' },
  '?status=%00': { path: '/analysis?status=%00', status: 400 },
  '?domain=%00': { path: '/analysis?domain=%00', status: 400 },
  '?domain with a control character': { path: '/analysis?domain=a%01b.com', status: 400 },
  '?domain of 300 characters': { path: `/analysis?domain=${'a'.repeat(300)}` },
  '?cursor=garbage': { path: '/analysis?cursor=garbage' },
  '?cursor=%ff': { path: '/analysis?cursor=%ff', status: 400 },
  '?cursor with a NUL in its JSON': { path: `/analysis?cursor=${Buffer.from('["2024-01-01T00:00:00.000000Z","\u0000"]').toString('base64url')}` },
  // Methods.
  'PUT on start': { method: 'PUT', path: START, json: { url: valid }, status: 405, code: 'METHOD_NOT_ALLOWED' },
  'PATCH on an analysis': { method: 'PATCH', path: `/analysis/${ids.failed}`, json: {}, status: 405 },
  'GET on cancel': { path: `/analysis/${ids.failed}/cancel`, status: 405 },
  'DELETE on the list': { method: 'DELETE', path: '/analysis', status: 405 },
  'POST on health': { method: 'POST', path: '/health', status: 405 },
};

async function send(c: Case) {
  const headers = { ...(c.json !== undefined ? { 'Content-Type': 'application/json' } : {}), ...c.headers };
  const res = await fetch(`${api.url}/api/v2${c.path}`, {
    method: c.method ?? 'GET',
    headers,
    body: c.json !== undefined ? JSON.stringify(c.json) : c.body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

function expectEnvelope(text: string, status: number, code?: string) {
  const body = JSON.parse(text) as ApiResponse<unknown>;
  expect(body.success).toBe(false);
  expect(body.error?.code).toMatch(/^[A-Z_]+$/);
  if (code) expect(body.error?.code).toBe(code);
  expect(body.error?.message).toEqual(expect.any(String));
  expect(body.metadata.requestId).toEqual(expect.any(String));
  expect(status).toBeGreaterThanOrEqual(400);
  expect(status).toBeLessThan(500);
}

describe('bad input at the API', () => {
  it(`has at least 50 cases (${Object.keys(CASES).length})`, () => {
    expect(Object.keys(CASES).length).toBeGreaterThanOrEqual(50);
  });

  it.each(Object.entries(CASES))('%s → 4xx in the envelope, nothing created', async (_name, c) => {
    const before = await countAnalyses();
    const res = await send(c);
    if (c.status) expect(res.status).toBe(c.status);
    expectEnvelope(res.text, res.status, c.code);
    if (res.status === 405) expect(res.headers.get('Allow')).toMatch(/^[A-Z, ]+$/);
    expect(await countAnalyses()).toBe(before);
  });
});

/** A request as raw bytes, for what fetch refuses to send; resolves with what the server wrote before closing. */
function rawRequest(bytes: Buffer): Promise<string> {
  const { port } = new URL(api.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.end(bytes));
    let answer = '';
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

function parseRaw(answer: string) {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), head, body };
}

describe('requests Node refuses to parse', () => {
  it.each([
    ['a raw NUL byte in the path', Buffer.from(`GET /api/v2/analysis/\u0000 HTTP/1.1\r\nHost: x\r\n\r\n`, 'latin1')],
    ['a raw control byte in the query', Buffer.from(`GET /api/v2/analysis?domain=a\u0001 HTTP/1.1\r\nHost: x\r\n\r\n`, 'latin1')],
    ['a NUL byte in a header value', Buffer.from(`GET /api/v2/analysis HTTP/1.1\r\nHost: x\r\nX-Note: a\u0000b\r\n\r\n`, 'latin1')],
    ['a non-numeric Content-Length', Buffer.from(`POST /api/v2/analysis/start HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}`, 'latin1')],
    ['an unknown HTTP version', Buffer.from(`GET /api/v2/analysis HTTP/9.9\r\nHost: x\r\n\r\n`, 'latin1')],
    ['an address of 40000 characters', Buffer.from(`GET /api/v2/analysis/${'a'.repeat(40_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 'latin1')],
  ])('%s → 4xx in the envelope, connection closed', async (_name, bytes) => {
    const before = await countAnalyses();
    const { status, head, body } = parseRaw(await rawRequest(bytes));
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    expect(head).toMatch(/^X-Request-Id: /im);
    expectEnvelope(body, status);
    expect(await countAnalyses()).toBe(before);
  });
});

describe('a body refused before it was read', () => {
  it('413 says Connection: close, and the next request on the same keep-alive client succeeds', async () => {
    // Node's fetch pools connections (undici); a second request must not land on a half-read socket.
    const big = JSON.stringify({ url: valid, pad: 'x'.repeat(200_000) });
    const first = await fetch(`${api.url}/api/v2/analysis/start`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: big });
    expect(first.status).toBe(413);
    expect(first.headers.get('connection')).toBe('close');
    expectEnvelope(await first.text(), first.status, 'PAYLOAD_TOO_LARGE');
    const second = await fetch(`${api.url}/api/v2/analysis?limit=1`);
    expect(second.status).toBe(200);
    await second.text();
  });

  it('the same with an http.Agent holding one keep-alive socket: the second request is answered', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const { request } = await import('node:http');
    const send = (method: string, path: string, body?: string) =>
      new Promise<{ status: number; connection: string | undefined; text: string }>((resolve, reject) => {
        const req = request(`${api.url}/api/v2${path}`, { method, agent, headers: body ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } : {} }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, text }));
        });
        req.on('error', reject);
        req.end(body);
      });
    try {
      const refused = await send('POST', '/analysis/start', JSON.stringify({ url: valid, pad: 'x'.repeat(200_000) }));
      expect(refused.status).toBe(413);
      expect(refused.connection).toBe('close');
      const next = await send('GET', '/analysis?limit=1');
      expect(next.status).toBe(200);
    } finally {
      agent.destroy();
    }
  });
});
