import { performance } from 'node:perf_hooks';
import { STAND_IN_MODEL, startStandInAi } from '../src/dev/stand-in-ai.js';
import { serve, type SiteSpec } from './sites.js';
import { childPid, pidListeningOn, processCpuSeconds, treeCpuSeconds } from './process-cpu.js';
import { startServiceProcesses } from './processes.js';
import type { BenchStack } from './stack.js';
import { median, quantile, round, row, type Row } from './table.js';

/**
 * Issue 15, status rows: `GET /api/v2/analysis/{id}` of running analyses (the model stand-in
 * answers in STATUS.modelLatencyMs, so they wait in ai_analysis) at 100 reads a second, beside a
 * trivial route of the same server (a 404: it passes the same middleware, touches no database and
 * no Temporal) read the same way. The two alternate in one-second slices, 20 s each, so both see
 * the same machine. The API and the worker run as processes of their own, as production runs them
 * (bench/processes.ts): the reads are answered by an event loop that runs nothing else, and this
 * process only sends them. CPU-ms per read: the API process's CPU time (/proc) over each slice /
 * the reads it answered; the 404's figure is the floor of HTTP and middleware inside it.
 */
export const STATUS = {
  analyses: 10,
  rps: 100,
  seconds: 20,
  /**
   * Seconds of each route read first and not counted: a new API process's first reads compile the
   * route and plan each query once per pooled connection (the first three status seconds measured
   * p90 61-203 ms, the later ones 6-35 ms). A service answers from long-lived processes.
   */
  warmupSeconds: 2,
  modelLatencyMs: 90_000,
  trivialPath: '/api/v2/bench-no-such-route',
} as const;

interface Slice {
  route: 'status' | 'trivial';
  /** The API process's CPU time over the slice. */
  cpuMs: number;
  /** PostgreSQL's (every backend's) over the slice: the worker adds little, its analyses wait for the model. */
  pgCpuMs: number;
  reads: number;
  /** Answer times of the slice's reads, sorted. */
  ms: number[];
}


export async function runStatus(opts: { stack: BenchStack; site: SiteSpec; log: (msg: string) => void; onStop: (what: string, stop: () => Promise<void>) => void }): Promise<Row[]> {
  const { stack, log } = opts;
  const ai = await startStandInAi();
  opts.onStop('the status stand-in', ai.stop);
  ai.setLatency(STATUS.modelLatencyMs);
  // In one process with the worker, the stand-in and this client, reads stalled in bursts that hit
  // the 404 as hard as the status route (p99 9-112 ms over twelve runs): the status route's own
  // cost was lost in what the process around it did.
  const service = await startServiceProcesses({ stack, name: 'status', onStop: opts.onStop, env: { OPENAI_BASE_URL: ai.baseUrl, OPENAI_MODEL: STAND_IN_MODEL } });
  const apiPid = await childPid(`TEMPORAL_TASK_QUEUE=${service.taskQueue}`, 'processes/api.js');
  const postgresPid = await pidListeningOn(Number(new URL(stack.databaseUrl).port));
  /** CPU-seconds so far of the API process and of PostgreSQL (its tree: a backend per connection). */
  const cpuNow = async () => ({ api: await processCpuSeconds(apiPid), postgres: await treeCpuSeconds(postgresPid) });
  const api = `${service.apiUrl}/api/v2`;

  const ids: string[] = [];
  for (let i = 0; i < STATUS.analyses; i++) {
    const site = await serve(opts.site);
    opts.onStop('a status site', site.close);
    const res = await fetch(`${api}/analysis/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: site.url, options: { maxPages: 3, personaCount: 1 } }) });
    const body = (await res.json()) as { data?: { analysisId: string } };
    if (res.status !== 202 || !body.data) throw new Error(`status bench: start refused: ${res.status}`);
    ids.push(body.data.analysisId);
  }
  // Running and waiting for the model: past the crawl, in ai_analysis.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const rows = await stack.db.selectFrom('analyses').select(['status', 'current_step']).where('id', 'in', ids).execute();
    if (rows.every((r) => r.status === 'running' && r.current_step === 'ai_analysis')) break;
    if (Date.now() > deadline) throw new Error(`status bench: analyses not waiting in ai_analysis: ${JSON.stringify(rows)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  log(`status: ${ids.length} analyses running; reading status and a 404 at ${STATUS.rps}/s, alternating seconds, ${STATUS.seconds} s each after ${STATUS.warmupSeconds} s each uncounted`);

  const latencies = { status: [] as number[], trivial: [] as number[] };
  const failures: string[] = [];
  const slices: Slice[] = [];
  let errors = 0;
  let n = 0;
  for (let s = -2 * STATUS.warmupSeconds; s < 2 * STATUS.seconds; s++) {
    const counted = s >= 0;
    const route = (s & 1) === 0 ? 'status' : 'trivial';
    const cpu0 = await cpuNow();
    const started = performance.now();
    let sent = 0;
    const sliceReads: Promise<void>[] = [];
    const sliceMs: number[] = [];
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        // Catch up on ticks a busy event loop skipped, so the rate is what was asked.
        const due = Math.min(STATUS.rps, Math.floor(((performance.now() - started) / 1000) * STATUS.rps));
        for (; sent < due; sent++, n++) {
          const path = route === 'status' ? `/analysis/${ids[n % ids.length]}` : STATUS.trivialPath.slice('/api/v2'.length);
          const t0 = performance.now();
          const expect = route === 'status' ? 200 : 404;
          sliceReads.push(
            fetch(`${api}${path}`)
              .then(async (res) => {
                const body = await res.text();
                if (counted) latencies[route].push(performance.now() - t0);
                sliceMs.push(performance.now() - t0);
                const bad = res.status !== expect ? `${route}: HTTP ${res.status}` : route === 'status' && !body.includes('"running"') ? 'status not running' : undefined;
                if (bad && ++errors <= 5) failures.push(`${bad}: ${body.slice(0, 200)}`);
              })
              .catch((err: Error) => void (++errors <= 5 && failures.push(`${route}: ${err.message}`))),
          );
        }
        if (sent >= STATUS.rps) {
          clearInterval(timer);
          resolve();
        }
      }, 2);
    });
    // The slice's reads answered, then its CPU: what the reads cost, not what the next slice does.
    await Promise.all(sliceReads);
    const cpu1 = await cpuNow();
    const [cpuMs, pgCpuMs] = [(cpu1.api - cpu0.api) * 1000, (cpu1.postgres - cpu0.postgres) * 1000];
    if (counted) slices.push({ route, cpuMs, pgCpuMs, reads: sent, ms: sliceMs.sort((a, b) => a - b) });
  }
  const stillRunning = await stack.db.selectFrom('analyses').select(['id']).where('id', 'in', ids).where('status', '=', 'running').execute();
  log('status: reads done; cancelling the analyses and stopping the service');
  for (const id of ids) await fetch(`${api}/analysis/${id}/cancel`, { method: 'POST' }).catch(() => {});
  ai.setLatency(0);
  await service.stop();

  const per = (route: Slice['route']) => {
    const ss = slices.filter((s) => s.route === route);
    const cpuMs = ss.reduce((a, s) => a + s.cpuMs, 0);
    const pgCpuMs = ss.reduce((a, s) => a + s.pgCpuMs, 0);
    const count = ss.reduce((a, s) => a + s.reads, 0);
    const sorted = [...latencies[route]].sort((a, b) => a - b);
    return {
      reads: count,
      answered: sorted.length,
      cpuMs: Math.round(cpuMs),
      cpuMsPerRead: round(cpuMs / count, 2),
      pgCpuMsPerRead: round(pgCpuMs / count, 2),
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
    };
  };
  const status = per('status');
  const trivial = per('trivial');
  // The headline ratios: each status second over the 404 second right after it, median of the pairs.
  const pairs = Array.from({ length: STATUS.seconds }, (_, k) => [slices[2 * k]!, slices[2 * k + 1]!] as const).map(([st, tr]) => {
    const side = (sl: Slice) => ({ cpuMsPerRead: round(sl.cpuMs / sl.reads, 2), p50Ms: quantile(sl.ms, 0.5), p99Ms: quantile(sl.ms, 0.99), maxMs: quantile(sl.ms, 1) });
    const [status, trivial] = [side(st), side(tr)];
    return { status, trivial, cpu: st.cpuMs / st.reads / (tr.cpuMs / tr.reads), p50: (status.p50Ms ?? NaN) / (trivial.p50Ms ?? NaN) };
  });
  const ratios = {
    cpu: round(median(pairs.map((p) => p.cpu)), 2),
    p50: round(median(pairs.filter((p) => Number.isFinite(p.p50)).map((p) => p.p50)), 2),
    pairs: pairs.map((p) => ({ status: p.status, trivial: p.trivial, cpu: round(p.cpu, 2), p50: round(p.p50, 2) })),
  };
  const raw = { status, trivial, ratios, failures, runningAtEnd: stillRunning.length, analyses: ids.length, cpu: 'utime+stime from /proc over each slice (10 ms ticks): the API process, and PostgreSQL as its process tree', trivialPath: STATUS.trivialPath };
  return [
    row('status.running_p50_ms', status.p50, 'ms', raw, { note: `GET /analysis/{id} of ${ids.length} running analyses, ${STATUS.rps}/s for ${STATUS.seconds} s, alternating seconds with a 404` }),
    row('status.running_p99_ms', status.p99, 'ms', raw, { target: 25, atMost: true }),
    row('status.running_cpu_ms_per_read', status.cpuMsPerRead, 'CPU-ms', raw, { note: 'CPU time of the API process (/proc) over the status seconds / their reads' }),
    row('status.running_pg_cpu_ms_per_read', status.pgCpuMsPerRead, 'CPU-ms', raw, { note: `PostgreSQL's CPU time over the status seconds / their reads (the 404's: ${trivial.pgCpuMsPerRead}, its access check)` }),
    row('status.trivial_p50_ms', trivial.p50, 'ms', raw, { note: `GET ${STATUS.trivialPath} (404) on the same server, same rate, interleaved` }),
    row('status.trivial_p99_ms', trivial.p99, 'ms', raw),
    row('status.trivial_cpu_ms_per_read', trivial.cpuMsPerRead, 'CPU-ms', raw),
    row('status.cpu_ratio_to_trivial', ratios.cpu, 'x 404', raw, { note: `CPU-ms per status read / per 404 read, each status second beside the 404 second after it, median of ${pairs.length} pairs` }),
    row('status.p50_ratio_to_trivial', ratios.p50, 'x 404', raw, { note: `p50 of a status second / p50 of the 404 second after it, median of ${pairs.length} pairs` }),
    row('status.read_errors', errors, 'reads', raw, { target: 0, atMost: true, note: failures[0] ?? `analyses still running at the end: ${stillRunning.length} of ${ids.length}` }),
  ];
}
