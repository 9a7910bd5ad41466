import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../../src/dev/free-port.js';
import { ACME_PAGES } from '../support/acme-site.js';
import { api, pollStatus } from '../support/api.js';
import { startTestService, type TestService } from '../support/service.js';
import { serveSite, type TestSite } from '../support/sites.js';

/**
 * The AI endpoint as the worker sees it, on a fixed local port: down (nothing listens: connections
 * are refused), up (relaying to the AI stand-in), or rejecting the key (401). The port is one no
 * other test server is given while it is down (closedPort): CI once saw the long-outage case wait
 * out AI_TIMEOUT_SECONDS (120 s) instead of failing in seconds, as if something else answered there.
 */
async function switchableEndpoint() {
  const port = await closedPort();
  const state = { mode: 'up' as 'up' | 'unauthorized', target: '', requests: 0 };
  let server: http.Server | undefined;
  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.requests++;
      if (state.mode === 'unauthorized') {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } }));
        return;
      }
      void fetch(`${state.target}${req.url!.replace(/^\/v1/, '')}`, { method: req.method, headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) }).then(
        async (r) => res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text()),
        () => res.writeHead(502).end(),
      );
    });
  };
  const down = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    state,
    down,
    async up(mode: 'up' | 'unauthorized' = 'up') {
      state.mode = mode;
      if (server) return;
      server = http.createServer(handler);
      await new Promise<void>((resolve, reject) => server!.once('error', reject).listen(port, '127.0.0.1', resolve));
    },
  };
}

type Endpoint = Awaited<ReturnType<typeof switchableEndpoint>>;
const stepOf = (status: any, name: string) => status.steps?.find((s: any) => s.name === name);
const ended = (s: any) => ['completed', 'failed', 'cancelled'].includes(s.status);

let site: TestSite;
beforeAll(async () => {
  site = await serveSite(ACME_PAGES);
});
afterAll(async () => {
  await site?.close();
});

async function start(service: TestService): Promise<string> {
  const started = await api(service.apiUrl, '/analysis/start', { method: 'POST', json: { url: site.url, options: { maxPages: 3, personaCount: 1 } } });
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  return started.body.data.analysisId;
}

describe('AI endpoint outage (AI_OUTAGE_MINUTES default)', () => {
  let service: TestService;
  let endpoint: Endpoint;

  beforeAll(async () => {
    endpoint = await switchableEndpoint();
    service = await startTestService({ aiBaseUrl: endpoint.baseUrl });
    endpoint.state.target = service.standIn.baseUrl;
  });
  afterAll(async () => {
    await service?.stop();
    await endpoint?.down();
  });

  it('waits while the endpoint refuses connections, says so in the status, and completes once it is back', async () => {
    await endpoint.down();
    const id = await start(service);
    const { final: waiting } = await pollStatus(service.apiUrl, id, (s) => ended(s) || /^Waiting for the AI endpoint/.test(stepOf(s, 'ai_analysis')?.lastError ?? ''));
    expect(waiting.status).toBe('running');
    const lastError: string = stepOf(waiting, 'ai_analysis').lastError;
    expect(lastError).toMatch(/^Waiting for the AI endpoint since (\S+ )?\d\d:\d\d UTC: could not be reached \(connection refused; .*\); retrying until (\S+ )?\d\d:\d\d UTC\.$/);
    expect(lastError).not.toContain('127.0.0.1');

    await endpoint.up();
    const { final } = await pollStatus(service.apiUrl, id, ended);
    expect(final.status, JSON.stringify(final.error)).toBe('completed');
    expect(stepOf(final, 'ai_analysis').attempts).toBeGreaterThanOrEqual(2);
    // Once through, the step no longer says it is waiting: the wait is history, not news.
    expect(stepOf(final, 'ai_analysis').lastError ?? null).toBeNull();
    const reports = await service.db.selectFrom('reports').select('id').where('analysis_id', '=', id).execute();
    expect(reports).toHaveLength(1);
  }, 240_000);

  it('fails at once, without retrying, when the endpoint rejects the key', async () => {
    await endpoint.up('unauthorized');
    const before = endpoint.state.requests;
    const id = await start(service);
    const { final } = await pollStatus(service.apiUrl, id, ended);
    expect(final.status).toBe('failed');
    expect(final.error.code).toBe('AI_NOT_CONFIGURED');
    expect(final.error.message).toContain('OPENAI_API_KEY');
    expect(stepOf(final, 'ai_analysis').attempts).toBe(1);
    // At most one request per insight call (siblings are cancelled once one fails).
    expect(endpoint.state.requests - before).toBeLessThanOrEqual(5);
  });
});

describe('AI endpoint outage longer than AI_OUTAGE_MINUTES', () => {
  let service: TestService;
  let endpoint: Endpoint;

  beforeAll(async () => {
    endpoint = await switchableEndpoint();
    // 0.05 minutes: three seconds of waiting, then the analysis fails.
    service = await startTestService({ aiBaseUrl: endpoint.baseUrl, env: { AI_OUTAGE_MINUTES: '0.05' } });
    endpoint.state.target = service.standIn.baseUrl;
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('fails with a message that says what happened and since when, and not that it will be retried', async () => {
    const id = await start(service);
    const { final } = await pollStatus(service.apiUrl, id, ended);
    expect(final.status).toBe('failed');
    expect(final.error.code).toBe('AI_UNAVAILABLE');
    expect(final.error.message).toMatch(
      /^The AI endpoint was unavailable from (\S+ )?\d\d:\d\d:\d\d UTC until (\S+ )?\d\d:\d\d:\d\d UTC, the 3 seconds AI_OUTAGE_MINUTES allows: could not be reached \(connection refused/,
    );
    expect(final.error.message).not.toMatch(/retr|will be/i);
    const step = stepOf(final, 'ai_analysis');
    expect(step.state).toBe('failed');
    expect(step.lastError ?? '').not.toMatch(/retr|will be/i);
  });
});
