import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createApp } from '../src/api/app.js';
import { startApi } from '../src/api/server.js';
import { loadConfig } from '../src/config.js';
import { createDatabase } from '../src/database.js';
import { createLogger } from '../src/logger.js';
import { connectTemporal } from '../src/temporal.js';
import { serve, type SiteSpec } from './sites.js';
import type { BenchStack } from './stack.js';
import { quantile, row, type Row } from './table.js';

/**
 * Issue 15, start rows: how many `POST /analysis/start` one API process answers per second, and
 * the p99 of one start. The API alone (createApp + startApi in this process) on a task queue no
 * worker polls: the workflows are created in Temporal but not run, so what is measured is the
 * API, PostgreSQL and Temporal's start, not the analyses competing with it. The workflows are
 * terminated afterwards. `START.concurrency` clients send starts back to back.
 */
export const START = { warmUp: 10, starts: 200, concurrency: 10 } as const;

export async function runStart(opts: { stack: BenchStack; site: SiteSpec; log: (msg: string) => void; onStop: (what: string, stop: () => Promise<void>) => void }): Promise<Row[]> {
  const { stack, log } = opts;
  const site = await serve(opts.site);
  opts.onStop('the start site', site.close);
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_TASK_QUEUE: `bench-start-${randomUUID()}`,
    SCRAPE_ALLOW_PRIVATE_NETWORKS: 'true',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_WRITES_PER_MINUTE: '1000000',
    RATE_LIMIT_READS_PER_MINUTE: '1000000',
  });
  const db = createDatabase(stack.databaseUrl);
  opts.onStop('the start API database pool', () => db.destroy());
  const { connection, client } = await connectTemporal(config);
  opts.onStop('the start API Temporal connection', () => connection.close());
  const app = createApp({ db, temporal: client, taskQueue: config.TEMPORAL_TASK_QUEUE, logger: createLogger('warn', { service: 'bench-start-api' }), config });
  const api = await startApi({ app, port: 0, hostname: '127.0.0.1' });
  opts.onStop('the start API', () => api.close());

  const ids: string[] = [];
  const statuses: Record<number, number> = {};
  let firstError: string | undefined;
  const start = async () => {
    const t0 = performance.now();
    const res = await fetch(`${api.url}/api/v2/analysis/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: site.url, options: { maxPages: 3, personaCount: 1 } }) });
    const body = (await res.json().catch(() => null)) as { data?: { analysisId: string } } | null;
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    if (body?.data) ids.push(body.data.analysisId);
    else if (!firstError) firstError = `${res.status} ${JSON.stringify(body).slice(0, 300)}`;
    return { ms: performance.now() - t0, ok: res.status === 202 };
  };
  const burst = async (n: number) => {
    let next = 0;
    const out: { ms: number; ok: boolean }[] = [];
    await Promise.all(Array.from({ length: START.concurrency }, async () => {
      while (next++ < n) out.push(await start());
    }));
    return out;
  };
  await burst(START.warmUp);
  log(`start: ${START.starts} starts, ${START.concurrency} at a time, one API process, no worker`);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const results = await burst(START.starts);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const ok = results.filter((r) => r.ok).map((r) => r.ms).sort((a, b) => a - b);

  if (ids.length === 0) throw new Error(`start: no start accepted: ${firstError}`);
  const workflows = await db.selectFrom('analyses').select('workflow_id').where('id', 'in', ids).execute();
  await Promise.all(workflows.map((w) => client.workflow.getHandle(w.workflow_id).terminate('benchmark: start rows only').catch(() => {})));

  const raw = {
    starts: START.starts,
    accepted: ok.length,
    statuses,
    firstError,
    concurrency: START.concurrency,
    wallMs: Math.round(wallMs),
    cpuMsPerStart: Math.round(((cpu.user + cpu.system) / 1000 / START.starts) * 100) / 100,
    cpu: 'process.cpuUsage of the bench process: the API and the sending client (no worker)',
  };
  return [
    row('start.per_second', Math.round((ok.length / wallMs) * 10_000) / 10, 'starts/s', raw, { note: `one API process, ${START.concurrency} clients back to back, no worker on the task queue` }),
    row('start.p50_ms', quantile(ok, 0.5), 'ms', raw),
    row('start.p99_ms', quantile(ok, 0.99), 'ms', raw),
    row('start.cpu_ms_per_start', raw.cpuMsPerStart, 'CPU-ms', raw, { note: 'API and client in this process' }),
  ];
}
