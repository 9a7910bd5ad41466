import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { API_BASE } from '../routes/shared.js';
import { DOCS_PATH, isEventStream, isPublicDescription, OPENAPI_PATH } from './document.js';
import { generateClientFiles } from '../../../scripts/openapi-client.js';
import { appWithoutServices, CLIENT_FILES, describeApi } from './generate.js';
import { ERROR_CODES } from './schemas.js';

/**
 * The OpenAPI document against the app it describes: the same routes both ways, every operation's
 * errors in the envelope, the committed client files current, the docs page served offline.
 */

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'] as const;
type Operation = { responses: Record<string, any>; parameters?: any[]; security?: unknown[] };

const document = describeApi();
/** A response as written, or the shared component it refers to. */
const resolve = (response: any) => (response?.$ref ? (document.components?.responses as any)[response.$ref.split('/').pop()] : response);
const operations = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
  METHODS.filter((m) => (item as any)[m]).map((m) => {
    const op = (item as any)[m] as Operation;
    return { method: m.toUpperCase(), path, op: { ...op, responses: Object.fromEntries(Object.entries(op.responses).map(([s, r]) => [s, resolve(r)])) } };
  }),
);

describe('the OpenAPI document and the app agree', () => {
  it('every route the app serves under /api/v2 is in the document, and every documented route is served', () => {
    const app = appWithoutServices();
    const served = new Set(
      app.routes
        // Middleware is registered as ALL; the docs and the document itself are not part of the API they describe.
        .filter((r) => r.method !== 'ALL' && r.path.startsWith(`${API_BASE}/`) && !isPublicDescription(r.path) && !r.path.startsWith(`${DOCS_PATH}/`))
        .map((r) => `${r.method} ${r.path}`),
    );
    const documented = new Set(operations.map(({ method, path }) => `${method} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
    expect([...served].filter((r) => !documented.has(r)), 'served but not in the document').toEqual([]);
    expect([...documented].filter((r) => !served.has(r)), 'in the document but not served').toEqual([]);
    // Guards the comparison itself: a filter that dropped everything would pass the two lines above.
    expect(served.size).toBeGreaterThanOrEqual(8);
  });

  it('is OpenAPI 3.1 and is what GET /api/v2/openapi.json serves', async () => {
    expect(document.openapi).toBe('3.1.0');
    const res = await appWithoutServices().request(OPENAPI_PATH);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(document)));
  });

  it('describes every error response as the envelope, with X-Request-Id, and every error code', () => {
    for (const { method, path, op } of operations) {
      const where = `${method} ${path}`;
      for (const status of ['400', '405', '500', '503']) expect(op.responses[status]?.description, `${where} ${status}`).toBeDefined();
      for (const [status, response] of Object.entries(op.responses)) {
        expect(response.headers?.['X-Request-Id'], `${where} ${status} X-Request-Id`).toBeDefined();
        if (Number(status) >= 400) {
          expect(response.content['application/json'].schema.$ref, `${where} ${status}`).toBe('#/components/schemas/ErrorResponse');
        }
      }
      if (op.responses['429']) expect(Object.keys(op.responses['429'].headers)).toEqual(expect.arrayContaining(['Retry-After', 'RateLimit', 'RateLimit-Policy']));
      if (op.responses['405']) expect(Object.keys(op.responses['405'].headers)).toContain('Allow');
    }
    const codes = (document.components?.schemas?.ErrorResponse as any).properties.error.properties.code.enum;
    expect([...codes].sort()).toEqual([...ERROR_CODES].sort());
  });

  it('describes the headers a client sends: Idempotency-Key, Last-Event-ID, and Authorization as the security scheme', () => {
    const headerNames = (method: string, path: string) =>
      (operations.find((o) => o.method === method && o.path === path)?.op.parameters ?? []).filter((p: any) => p.in === 'header').map((p: any) => p.name);
    expect(headerNames('POST', `${API_BASE}/analysis/start`)).toContain('Idempotency-Key');
    expect(headerNames('GET', `${API_BASE}/analysis/{id}/events`)).toContain('Last-Event-ID');
    expect(document.components?.securitySchemes?.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.security).toEqual([{ apiKey: [] }]);
    // Health needs no key.
    expect(operations.find((o) => o.path === `${API_BASE}/health`)?.op.security).toEqual([]);
    expect(document.info.description).toContain('X-Request-Id');
  });

  it('documents the event stream as text/event-stream', () => {
    const events = operations.find((o) => o.path === `${API_BASE}/analysis/{id}/events`);
    expect(Object.keys(events?.op.responses['200'].content ?? {})).toEqual(['text/event-stream']);
  });
});

describe('the event stream and the request timeout', () => {
  it('exempts only GET /api/v2/analysis/{id}/events from the request timeout', () => {
    expect(isEventStream('GET', `${API_BASE}/analysis/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f/events`)).toBe(true);
    expect(isEventStream('POST', `${API_BASE}/analysis/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f/events`)).toBe(false);
    expect(isEventStream('GET', `${API_BASE}/analysis/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f`)).toBe(false);
    expect(isEventStream('GET', `${API_BASE}/analysis/a/b/events`)).toBe(false);
  });
});

describe('the generated client files', () => {
  it('are current: run `npm run openapi` after changing a route or schema, and commit the result', async () => {
    const generated = await generateClientFiles();
    const [json, types] = await Promise.all([readFile(CLIENT_FILES.json, 'utf8'), readFile(CLIENT_FILES.types, 'utf8')]);
    expect(json === generated.json, 'src/api/client/openapi.json is stale: run npm run openapi').toBe(true);
    expect(types === generated.types, 'src/api/client/schema.d.ts is stale: run npm run openapi').toBe(true);
  });
});

describe('the interactive docs', () => {
  it('serve Swagger UI with its assets from this server (no CDN), without an API key', async () => {
    const app = appWithoutServices();
    const page = await app.request(DOCS_PATH);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(OPENAPI_PATH);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    // Every script and stylesheet is a path on this server.
    expect(assets.filter((a) => !a.startsWith('/'))).toEqual([]);
    for (const asset of assets) {
      const res = await app.request(asset);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('content-type'), asset).toMatch(asset.endsWith('.css') ? /text\/css/ : /javascript/);
      expect((await res.arrayBuffer()).byteLength, asset).toBeGreaterThan(10_000);
    }
    const other = await app.request(`${DOCS_PATH}/assets/swagger-ui-dist/package.json`);
    expect(other.status).toBe(404);
  });
});
