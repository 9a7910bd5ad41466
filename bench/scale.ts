import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { sql } from 'kysely';
import { STAND_IN_MODEL, startStandInAi } from '../src/dev/stand-in-ai.js';
import { ORCHESTRATION, timedAnalysis } from './orchestration.js';
import { childPid, pidListeningOn, sampleRss, treeCpuSeconds } from './process-cpu.js';
import { startServiceProcesses } from './processes.js';
import { serve, type SiteSpec } from './sites.js';
import type { BenchStack } from './stack.js';
import { median, quantile, round, row, type Row } from './table.js';

/**
 * Issue 15, scale and cost rows: SCALE.batch analyses started at once on ONE worker, beside one
 * analysis alone measured in the same run (before and after the batch, median). The worker and the
 * API run as processes of their own (as in production), so their memory and CPU can be read from
 * /proc; Temporal and PostgreSQL are the bench stack's servers, found by their ports.
 */
export const SCALE = {
  batch: 100,
  /** Analyses alone before the batch and again after it (after one uncounted warm-up). */
  aloneRuns: 3,
  /** The model stand-in's fixed latency per request, as in the orchestration rows. */
  modelLatencyMs: 300,
  options: ORCHESTRATION.options,
  /** How often the end of the batch is looked for in PostgreSQL (bounds how late it is seen). */
  pollMs: 100,
  batchTimeoutMs: 4 * 60_000,
  rssEveryMs: 200,
} as const;

/** From ActivityTaskStarted's lastFailure / ActivityTaskTimedOut's failure: TimeoutType.HEARTBEAT. */
const HEARTBEAT = 4;

const tsMs = (t: any) => Number(t?.seconds ?? 0) * 1000 + Number(t?.nanos ?? 0) / 1e6;
const isHeartbeatTimeout = (failure: any) => Number(failure?.timeoutFailureInfo?.timeoutType) === HEARTBEAT;

/** p50, p99 and the largest of some waits, in ms. */
function spread(ms: readonly number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: quantile(sorted, 1) };
}

/** What the batch's histories say about waiting: timeouts, retries, and how long tasks sat in their queue. */
async function historyFacts(client: Client, workflowIds: readonly string[]) {
  let heartbeatTimeouts = 0;
  let otherActivityTimeouts = 0;
  let activityRetries = 0;
  let workflowTaskTimeouts = 0;
  const activityToStart: number[] = [];
  const workflowTaskToStart: number[] = [];
  // Temporal's work per analysis, free of the machine's noise: what it stored and the tasks it handed out.
  let historyEvents = 0;
  let workflowTasks = 0;
  for (const id of workflowIds) {
    const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
    historyEvents += events.length;
    workflowTasks += events.filter((e) => e.workflowTaskCompletedEventAttributes).length;
    const scheduledAt = new Map<string, number>();
    for (const e of events) {
      const at = tsMs(e.eventTime);
      if (e.activityTaskScheduledEventAttributes || e.workflowTaskScheduledEventAttributes) scheduledAt.set(String(e.eventId), at);
      const started = e.activityTaskStartedEventAttributes;
      if (started) {
        const from = scheduledAt.get(String(started.scheduledEventId));
        if (from !== undefined) activityToStart.push(at - from);
        // Retries leave one Started event: the last attempt's, carrying the failure before it.
        if ((started.attempt ?? 1) > 1) activityRetries += started.attempt! - 1;
        if (isHeartbeatTimeout(started.lastFailure)) heartbeatTimeouts++;
      }
      const wtStarted = e.workflowTaskStartedEventAttributes;
      if (wtStarted) {
        const from = scheduledAt.get(String(wtStarted.scheduledEventId));
        if (from !== undefined) workflowTaskToStart.push(at - from);
      }
      const timedOut = e.activityTaskTimedOutEventAttributes;
      if (timedOut) {
        if (isHeartbeatTimeout(timedOut.failure) || isHeartbeatTimeout(timedOut.failure?.cause)) heartbeatTimeouts++;
        else otherActivityTimeouts++;
      }
      if (e.workflowTaskTimedOutEventAttributes) workflowTaskTimeouts++;
    }
  }
  return {
    heartbeatTimeouts,
    otherActivityTimeouts,
    activityRetries,
    workflowTaskTimeouts,
    activityScheduleToStartMs: spread(activityToStart),
    workflowTaskScheduleToStartMs: spread(workflowTaskToStart),
    historyEventsPerAnalysis: round(historyEvents / Math.max(workflowIds.length, 1), 1),
    workflowTasksPerAnalysis: round(workflowTasks / Math.max(workflowIds.length, 1), 1),
  };
}

/**
 * Transactions PostgreSQL has ended in the product's database so far: a statement outside an explicit
 * transaction is one, so this counts round trips of the API and the worker (and this bench's polls
 * for the end of the batch, 10 a second).
 */
async function transactions(stack: BenchStack): Promise<number> {
  const { rows } = await sql<{ n: string }>`select xact_commit + xact_rollback as n from pg_stat_database where datname = current_database()`.execute(stack.db);
  return Number(rows[0]?.n ?? 0);
}

/** The four parts of the machinery and their CPU-seconds so far. */
async function cpuNow(pids: Record<string, number>): Promise<Record<string, number>> {
  const entries = await Promise.all(Object.entries(pids).map(async ([name, pid]) => [name, await treeCpuSeconds(pid)] as const));
  return Object.fromEntries(entries);
}

export async function runScale(opts: { stack: BenchStack; site: SiteSpec; log: (msg: string) => void; onStop: (what: string, stop: () => Promise<void>) => void }): Promise<Row[]> {
  const { stack, log } = opts;
  const ai = await startStandInAi();
  opts.onStop('the scale stand-in', ai.stop);
  ai.setLatency(SCALE.modelLatencyMs);

  const service = await startServiceProcesses({
    stack,
    name: 'scale',
    onStop: opts.onStop,
    env: {
      OPENAI_BASE_URL: ai.baseUrl,
      OPENAI_MODEL: STAND_IN_MODEL,
      // The stand-in answers any number of requests at its fixed latency: the worker's own limit on
      // requests in flight (4, sized for a real endpoint) would measure the model, not the machinery.
      AI_MAX_CONCURRENCY: '1000',
    },
  });
  const { apiUrl } = service;
  log('scale: worker and API processes ready');
  const marker = `TEMPORAL_TASK_QUEUE=${service.taskQueue}`;
  const pids = {
    api: await childPid(marker, 'processes/api.js'),
    worker: await childPid(marker, 'processes/worker.js'),
    temporal: await pidListeningOn(Number(stack.temporalAddress.split(':').at(-1))),
    postgres: await pidListeningOn(Number(new URL(stack.databaseUrl).port)),
  };
  const rss = sampleRss(pids.worker, SCALE.rssEveryMs);
  opts.onStop('the scale RSS sampler', async () => rss.stop());

  const connection = await Connection.connect({ address: stack.temporalAddress });
  opts.onStop('the scale Temporal client', () => connection.close());
  const client = new Client({ connection });

  // ---- one alone ---------------------------------------------------------------------------------
  // CPU of the machinery over the analyses run alone (not the warm-up): what one costs when the
  // two cores are not shared by a hundred, beside the batch's figure.
  const aloneCpu: Record<string, number> = {};
  let aloneCounted = 0;
  const alone = async (label: string, runs: number, counted = true) => {
    const ms: number[] = [];
    const cpu0 = counted ? await cpuNow(pids) : undefined;
    for (let i = 0; i < runs; i++) {
      // A fresh site server per analysis: its own origin, so no page comes from the page cache.
      const site = await serve(opts.site);
      try {
        ms.push((await timedAnalysis(apiUrl, stack, client, site.url, SCALE.options)).endToEndMs);
      } finally {
        await site.close();
      }
    }
    if (cpu0) {
      const cpu1 = await cpuNow(pids);
      for (const k of Object.keys(pids)) aloneCpu[k] = (aloneCpu[k] ?? 0) + cpu1[k]! - cpu0[k]!;
      aloneCounted += runs;
    }
    log(`scale: alone ${label}: ${ms.map(Math.round).join(', ')} ms`);
    return ms;
  };
  await alone('warm-up', 1, false);
  const before = await alone('before the batch', SCALE.aloneRuns);

  // ---- the batch ---------------------------------------------------------------------------------
  const sites = await Promise.all(Array.from({ length: SCALE.batch }, () => serve(opts.site)));
  opts.onStop('the scale sites', async () => void (await Promise.all(sites.map((s) => s.close()))));
  log(`scale: ${SCALE.batch} analyses at once on one worker, model stand-in at ${SCALE.modelLatencyMs} ms`);
  const rssBeforeMb = rss.read().lastMb;
  rss.reset();
  const cpuBefore = await cpuNow(pids);
  const transactionsBefore = await transactions(stack);
  const t0 = performance.now();
  const starts = await Promise.all(
    sites.map(async (site) => {
      const res = await fetch(`${apiUrl}/api/v2/analysis/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: site.url, options: SCALE.options }) });
      const body = (await res.json().catch(() => null)) as { data?: { analysisId: string } } | null;
      if (res.status !== 202 || !body?.data) throw new Error(`scale: start refused: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
      return body.data.analysisId;
    }),
  );
  const startedMs = performance.now() - t0;
  let ended = { n: 0, statuses: {} as Record<string, number> };
  while (performance.now() - t0 < SCALE.batchTimeoutMs) {
    const rows = await stack.db.selectFrom('analyses').select(['status']).select(sql<number>`count(*)::int`.as('n')).where('id', 'in', starts).groupBy('status').execute();
    ended = { n: rows.filter((r) => ['completed', 'failed', 'cancelled'].includes(r.status)).reduce((s, r) => s + r.n, 0), statuses: Object.fromEntries(rows.map((r) => [r.status, r.n])) };
    if (ended.n === starts.length) break;
    await new Promise((r) => setTimeout(r, SCALE.pollMs));
  }
  const batchMs = performance.now() - t0;
  const cpuAfter = await cpuNow(pids);
  const rssBatch = rss.read();
  // Backends report their counts to pg_stat_database within a second of going idle.
  await new Promise((r) => setTimeout(r, 1_500));
  const batchTransactions = (await transactions(stack)) - transactionsBefore;
  log(`scale: ${ended.n} of ${starts.length} ended in ${Math.round(batchMs)} ms (${JSON.stringify(ended.statuses)}); worker RSS ${rssBeforeMb} MB before, peak ${rssBatch.peakMb} MB, at the end ${rssBatch.lastMb} MB`);
  await Promise.all(sites.splice(0).map((s) => s.close()));
  if (ended.n < starts.length) log(`scale: ${starts.length - ended.n} analyses did not end within ${SCALE.batchTimeoutMs / 1000} s`);

  const after = await alone('after the batch', SCALE.aloneRuns);
  const rssAfter = rss.read();
  rss.stop();
  const workflowIds = (await stack.db.selectFrom('analyses').select('workflow_id').where('id', 'in', starts).execute()).map((r) => r.workflow_id);
  const facts = await historyFacts(client, workflowIds);
  log(`scale: histories: ${JSON.stringify(facts)}`);
  await service.stop();
  log(`cost: CPU-seconds over the batch: ${JSON.stringify(Object.fromEntries(Object.keys(pids).map((k) => [k, Math.round((cpuAfter[k]! - cpuBefore[k]!) * 100) / 100])))}`);

  // ---- rows --------------------------------------------------------------------------------------
  const aloneMs = median([...before, ...after])!;
  const completed = ended.statuses.completed ?? 0;
  const cpu = Object.fromEntries(Object.keys(pids).map((k) => [k, round(cpuAfter[k]! - cpuBefore[k]!, 2)]));
  const cpuTotal = Object.values(cpu).reduce((s, x) => s + x, 0);
  const perAnalysis = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, round(v / SCALE.batch, 3)]));
  const alonePerAnalysis = Object.fromEntries(Object.entries(aloneCpu).map(([k, v]) => [k, round(v / aloneCounted, 3)]));
  const aloneTotal = Object.values(aloneCpu).reduce((s, x) => s + x, 0) / aloneCounted;
  const setting = `${SCALE.batch} at once, ACME ${JSON.stringify(SCALE.options)}, model stand-in at ${SCALE.modelLatencyMs} ms`;
  const scaleRaw = {
    batchMs: Math.round(batchMs),
    startsAnsweredMs: Math.round(startedMs),
    aloneMs: Math.round(aloneMs),
    aloneBeforeMs: before.map(Math.round),
    aloneAfterMs: after.map(Math.round),
    ended: ended.n,
    statuses: ended.statuses,
    ...facts,
  };
  const ratio = ended.n === starts.length ? round(batchMs / aloneMs, 2) : null;
  // The least time the batch could take: its own CPU-seconds spread over every core, nothing waiting.
  const cores = availableParallelism();
  const cpuFloorMs = (cpuTotal / cores) * 1000;
  return [
    row('scale.ratio_to_alone', ratio, 'x one alone', scaleRaw, { target: 3, atMost: true, note: `time until the last of ${setting} ends / one alone (median of ${before.length} before and ${after.length} after)` }),
    row('scale.batch_over_cpu_floor', ended.n === starts.length ? round(batchMs / cpuFloorMs, 2) : null, 'x CPU floor', { batchMs: Math.round(batchMs), cpuFloorMs: Math.round(cpuFloorMs), cores, cpuSeconds: round(cpuTotal, 2), aloneMs: Math.round(aloneMs) }, {
      note: `the batch's time over its CPU floor, the CPU-seconds it took (API, worker, Temporal, PostgreSQL) spread over ${cores} cores: near 1, the batch is bound by CPU, not by waiting; the floor alone is ${round(cpuFloorMs / aloneMs, 1)}x one alone`,
    }),
    row('scale.analyses_per_minute', round((completed / batchMs) * 60_000, 1), 'analyses/min', scaleRaw, { note: `completed analyses of the batch per minute of it, ${setting}` }),
    row('scale.heartbeat_timeout_retries', facts.heartbeatTimeouts, 'activities', scaleRaw, { target: 0, atMost: true, note: 'activities retried only after their heartbeat timeout (histories: ActivityTaskTimedOut, or a retry whose last failure was one)' }),
    row('scale.worker_peak_rss_mb', rssBatch.peakMb, 'MB', { ...rssBatch, beforeBatchMb: rssBeforeMb, everyMs: SCALE.rssEveryMs }, { target: 500, atMost: true, note: 'worker process VmRSS during the batch, sampled every 200 ms' }),
    row('scale.worker_rss_after_mb', rssAfter.lastMb, 'MB', { beforeBatchMb: rssBeforeMb, atBatchEndMb: rssBatch.lastMb, afterAloneRunsMb: rssAfter.lastMb }, { note: `worker VmRSS once the batch and the ${after.length} analyses after it had ended` }),
    row('cost.cpu_s_per_analysis', round(cpuTotal / SCALE.batch, 3), 'CPU-s', { perAnalysis, cpuSeconds: cpu, analyses: SCALE.batch, batchMs: Math.round(batchMs), method: 'utime+stime (+ reaped children) from /proc over the batch; PostgreSQL as its whole process tree' }, {
      target: 0.3,
      atMost: true,
      note: `API + worker + Temporal + PostgreSQL CPU over the batch / analyses: ${Object.entries(perAnalysis).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    }),
    row('cost.history_events_per_analysis', facts.historyEventsPerAnalysis, 'events', scaleRaw, {
      note: `Temporal's stored work per analysis of the batch (its history up to the wait for a regenerate), ${facts.workflowTasksPerAnalysis} workflow tasks among them; the CPU figures vary with the machine, this does not`,
    }),
    row('cost.pg_transactions_per_analysis', round(batchTransactions / SCALE.batch, 1), 'transactions', { transactions: batchTransactions, analyses: SCALE.batch, method: 'pg_stat_database xact_commit + xact_rollback over the batch, this bench\'s polls included' }, {
      note: 'transactions PostgreSQL ended over the batch / analyses: nearly every statement is one (a round trip each); machine-independent like the row above',
    }),
    row('cost.cpu_s_per_analysis_alone', round(aloneTotal, 3), 'CPU-s', { perAnalysis: alonePerAnalysis, analyses: aloneCounted, method: 'the same sum over the analyses run one at a time before and after the batch (idle time between them included)' }, {
      note: `the same sum over the ${aloneCounted} analyses run one at a time: ${Object.entries(alonePerAnalysis).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    }),
  ];
}
