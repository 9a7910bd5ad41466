import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ACME_PAGES } from '../../test/support/acme-site.js';
import { api, pollStatus } from '../../test/support/api.js';
import { serveSite, type TestSite } from '../../test/support/sites.js';
import { testResolver } from '../../test/support/test-resolver.js';
import { capturedLogger } from '../../test/support/captured-logger.js';
import { loadConfig } from '../config.js';
import { createDatabase, type Db } from '../database.js';
import { startStandInAi } from '../dev/stand-in-ai.js';
import { startLocalService, type LocalService } from '../local-service.js';
import { installTemporalRuntime } from '../temporal-runtime.js';

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: { stringValue?: string; intValue?: number | string } }[];
}

/**
 * A stand-in OpenTelemetry collector: the OTLP/HTTP traces endpoint (JSON encoding, which the
 * exporter uses), keeping every span it receives with the service that sent it.
 */
async function startCollector() {
  const spans: (Span & { service: string })[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        for (const rs of JSON.parse(body).resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a: Span['attributes'][number]) => a.key === 'service.name')?.value.stringValue;
          for (const ss of rs.scopeSpans ?? []) for (const span of ss.spans ?? []) spans.push({ ...span, service });
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, spans, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Prometheus text: the value of each sample whose name and labels match. */
function samples(text: string, name: string, labels: Record<string, string> = {}): number[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
    .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)));
}
const total = (values: number[]) => values.reduce((a, b) => a + b, 0);

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const finished = (s: { status: string }) => ['completed', 'failed', 'cancelled'].includes(s.status);

describe('metrics and traces of a running service', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let standIn: Awaited<ReturnType<typeof startStandInAi>>;
  let service: LocalService;
  let site: TestSite;
  let db: Db;
  let workerMetricsUrl: string;
  let lines: Record<string, any>[] = [];

  beforeAll(async () => {
    collector = await startCollector();
    standIn = await startStandInAi();
    site = await serveSite(ACME_PAGES);
    const captured = capturedLogger({ test: 'telemetry' });
    const logger = captured.logger;
    lines = captured.lines;
    // This test file's process: the runtime with the Prometheus exporter, before the service's worker exists.
    const metricsPort = await freePort();
    installTemporalRuntime(logger, { metrics: { port: metricsPort, host: '127.0.0.1' } });
    workerMetricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const config = loadConfig({
      PORT: '0',
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: `telemetry-${crypto.randomUUID()}`,
      OPENAI_BASE_URL: standIn.baseUrl,
      OPENAI_MODEL: 'stand-in-model',
      // Priced, so the cost metric has something to add up (the stand-in answers as this model).
      AI_PRICES: '{"local-stand-in": {"input": 1, "output": 4}}',
      SCRAPE_ALLOW_PRIVATE_NETWORKS: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      RATE_LIMIT_WRITES_PER_MINUTE: '100000',
      RATE_LIMIT_READS_PER_MINUTE: '100000',
    });
    service = await startLocalService({ ...config, DATABASE_URL: inject('databaseUrl'), TEMPORAL_ADDRESS: inject('temporalAddress') }, logger, {
      resolve: testResolver({ localhost: '127.0.0.1' }),
      // The run closes soon after the analysis finishes: its workflow span ends and is exported.
      workflowIdleTimeout: '2 seconds',
    });
    db = createDatabase(inject('databaseUrl'), 2);
  });

  afterAll(async () => {
    await service?.stop();
    await db?.destroy();
    await standIn?.stop();
    await site?.close();
    await collector?.close();
  });

  let analysisId: string;

  it('runs one analysis (the traffic the checks below read)', async () => {
    const res = await api(service.apiUrl, '/analysis/start', { method: 'POST', json: { url: site.url, options: { maxPages: 4, personaCount: 1 } } });
    expect(res.status).toBe(202);
    analysisId = res.body.data.analysisId;
    const { final } = await pollStatus(service.apiUrl, analysisId, finished);
    expect(final.status).toBe('completed');
  });

  it('API /metrics: requests by route pattern and status, a latency histogram, analyses by status', async () => {
    const scrape = async () => {
      const res = await fetch(`${service.apiUrl}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      return res.text();
    };
    const before = await scrape();
    const missing = () => `/api/v2/analysis/${crypto.randomUUID()}`;
    for (let i = 0; i < 3; i++) expect((await fetch(`${service.apiUrl}${missing()}`)).status).toBe(404);
    const after = await scrape();

    const notFound = { method: 'GET', route: '/api/v2/analysis/:id', status: '404' };
    expect(total(samples(after, 'http_requests_total', notFound)) - total(samples(before, 'http_requests_total', notFound))).toBe(3);
    expect(after).not.toMatch(/route="\/api\/v2\/analysis\/[0-9a-f]{8}-/);
    expect(total(samples(after, 'http_requests_total', { method: 'POST', route: '/api/v2/analysis/start', status: '202' }))).toBeGreaterThanOrEqual(1);
    expect(samples(after, 'http_request_duration_seconds_bucket', { ...notFound, le: '+Inf' })).toEqual(samples(after, 'http_requests_total', notFound));
    expect(samples(after, 'http_request_duration_seconds_count', notFound)).toEqual(samples(after, 'http_requests_total', notFound));
    // The gauge is read from PostgreSQL (shared by the whole test run): at least the analysis above.
    const completed = await db.selectFrom('analyses').select(db.fn.countAll<string>().as('n')).where('status', '=', 'completed').executeTakeFirstOrThrow();
    const gauge = samples(after, 'persona_analyses', { status: 'completed' })[0]!;
    expect(gauge).toBeGreaterThanOrEqual(1);
    expect(Math.abs(gauge - Number(completed.n))).toBeLessThanOrEqual(5); // other files may finish analyses between the two reads
    expect(samples(after, 'persona_analyses', { status: 'running' })).toHaveLength(1);
    expect(after).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('worker metrics: the SDK’s temporal_* and ours (steps, pages, cache hits, tokens, cost) on one endpoint', async () => {
    const rows = await db.selectFrom('ai_responses').select(['model', 'prompt_tokens', 'completion_tokens', 'cost_usd']).where('analysis_id', '=', analysisId).execute();
    expect(rows.length).toBeGreaterThan(0);
    const analysis = await db.selectFrom('analyses').select('content_ids').where('id', '=', analysisId).executeTakeFirstOrThrow();

    // The exporter serves what Core has aggregated: poll until our analysis is all in.
    const text = await until('the worker metrics of the analysis', async () => {
      const body = await (await fetch(workerMetricsUrl)).text();
      return total(samples(body, 'persona_model_calls_total')) >= rows.length ? body : undefined;
    });
    expect(text).toMatch(/^temporal_activity_execution_latency_count\{/m);
    expect(text).toMatch(/^temporal_workflow_task_execution_latency_count\{/m);
    expect(total(samples(text, 'persona_step_duration_seconds_count', { activityType: 'extractContent', outcome: 'completed' }))).toBeGreaterThanOrEqual(1);
    expect(total(samples(text, 'persona_step_duration_seconds_count', { activityType: 'validateSite' }))).toBeGreaterThanOrEqual(1);
    // A fresh site: every page it read came from the site, none from the cache.
    expect(total(samples(text, 'persona_pages_fetched_total'))).toBe(analysis.content_ids.length);
    expect(total(samples(text, 'persona_page_cache_hits_total'))).toBe(0);
    const models = [...new Set(rows.map((r) => r.model))];
    for (const model of models) expect(total(samples(text, 'persona_model_calls_total', { model }))).toBe(rows.filter((r) => r.model === model).length);
    expect(total(samples(text, 'persona_model_tokens_total', { kind: 'input' }))).toBe(total(rows.map((r) => r.prompt_tokens)));
    expect(total(samples(text, 'persona_model_tokens_total', { kind: 'output' }))).toBe(total(rows.map((r) => r.completion_tokens)));
    const cost = total(rows.map((r) => Number(r.cost_usd)));
    expect(cost).toBeGreaterThan(0);
    expect(total(samples(text, 'persona_model_cost_usd_sum'))).toBeCloseTo(cost, 9);
  });

  it('traces: the API request, the workflow and its activities share one trace; log lines carry it', async () => {
    const startSpan = await until('the API request span', () =>
      collector.spans.find((s) => s.name === 'POST /api/v2/analysis/start'),
    );
    const traceId = startSpan.traceId;
    const inTrace = () => collector.spans.filter((s) => s.traceId === traceId);
    const activities = ['validateSite', 'extractContent', 'processContent'];
    await until('workflow and activity spans in the same trace', () =>
      inTrace().some((s) => s.name === 'RunWorkflow:AnalysisWorkflow') && activities.every((a) => inTrace().some((s) => s.name === `RunActivity:${a}`)) ? true : undefined,
    );
    const byId = new Map(inTrace().map((s) => [s.spanId, s]));
    const ancestry = (span: Span) => {
      const names: string[] = [];
      for (let s: Span | undefined = span; s; s = s.parentSpanId ? byId.get(s.parentSpanId) : undefined) names.push(s.name);
      return names;
    };
    // Each activity hangs under the workflow run, which hangs under the client start, under the request.
    const activity = inTrace().find((s) => s.name === 'RunActivity:extractContent')!;
    expect(ancestry(activity)).toEqual(
      expect.arrayContaining(['RunActivity:extractContent', 'RunWorkflow:AnalysisWorkflow', 'StartWorkflow:AnalysisWorkflow', 'POST /api/v2/analysis/start']),
    );
    expect(ancestry(activity).at(-1)).toBe('POST /api/v2/analysis/start');
    // No other trace holds this analysis's activities.
    expect(collector.spans.filter((s) => s.name === 'RunActivity:extractContent' && s.traceId !== traceId && s.attributes.some((a) => a.value.stringValue?.includes(analysisId)))).toEqual([]);

    // The request's own log line and an activity's line name the same trace.
    const requestLine = lines.find((l) => l.message === 'request' && l.method === 'POST' && l.path === '/api/v2/analysis/start');
    expect(requestLine?.traceId).toBe(traceId);
    const activityLine = lines.find((l) => l.message === 'site crawled' && l.traceId);
    expect(activityLine?.traceId).toBe(traceId);
    // Lines outside any request or activity carry none.
    expect(lines.some((l) => !('traceId' in l))).toBe(true);
  });
});
