import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { createDatabase } from '../src/database.js';
import { STAND_IN_MODEL, startStandInAi } from '../src/dev/stand-in-ai.js';
import { createLogger } from '../src/logger.js';
import { createModelClient } from '../src/model-client.js';
import { testResolver } from '../test/support/test-resolver.js';
import { directRunner } from './direct.js';
import { serve, type SiteSpec } from './sites.js';
import { serverSentEvents } from '../src/dev/follow-analysis.js';
import { startBenchService, type BenchStack } from './stack.js';
import { median, round, row, type Row } from './table.js';

/**
 * Issue 15, orchestration rows: one analysis end to end through the API (start → the final status
 * event of its event stream) beside its own activities' critical path, read from the workflow
 * history. The stand-in model answers at a fixed latency; 300 ms and 0 ms runs are interleaved
 * (the machine is shared and noisy, so each figure is a median of ratios measured in the same run).
 *
 * Critical path = the union of the execution intervals (ActivityTaskStarted → Completed/Failed
 * event times) of every non-local activity. Steps run one after another and a step's parallel
 * activities overlap, so the union is the sum over steps of each step's longest span. Everything
 * else (workflow tasks, local-activity `recordStep`s, queueing, the API, the event stream) is
 * orchestration.
 * Hand-offs = the gaps around and between the union's segments (segments + 1).
 */
export const ORCHESTRATION = {
  runs: 5,
  latenciesMs: [300, 0] as const,
  options: { maxPages: 6, personaCount: 2 },
  timeoutMs: 120_000,
} as const;

export interface RunTiming {
  analysisId: string;
  workflowId: string;
  endToEndMs: number;
  /** Of endToEndMs, until the start request was answered (202). */
  startMs: number;
  criticalPathMs: number;
  handOffs: number;
  activities: number;
  localActivities: number;
  workflowTasks: number;
  /** Activities per non-overlapping segment of the critical path, in order (step by step). */
  segments: { activities: string[]; ms: number }[];
  /**
   * Where the orchestration time goes, in ms (history event times and this process's clock): start
   * request → WorkflowExecutionStarted, → first activity started, each gap between segments, last
   * activity ended → the final status event seen here (the run itself stays open, idle, for
   * regenerations).
   */
  gaps?: { toStarted: number; toFirstActivity: number; between: number[]; toSeen: number };
}

const tsMs = (t: any) => Number(t?.seconds ?? 0) * 1000 + Number(t?.nanos ?? 0) / 1e6;

/**
 * Start → the final `status` event of the analysis's event stream (GET /analysis/{id}/events, as a
 * frontend follows it); the wall time and the workflow's history. Polling the status route instead
 * would add half its interval to every run and, with the API in this process, its reads' CPU to the
 * worker's event loop (measured: ratio_300ms 1.13-1.15 polling every 20 ms).
 */
export async function timedAnalysis(apiUrl: string, stack: BenchStack, client: Client, url: string, options: Record<string, unknown>): Promise<RunTiming> {
  const api = `${apiUrl}/api/v2`;
  const t0 = performance.now();
  const t0Epoch = Date.now();
  const res = await fetch(`${api}/analysis/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url, options }) });
  const body = (await res.json()) as { data?: { analysisId: string } };
  if (res.status !== 202 || !body.data) throw new Error(`start refused: ${res.status} ${JSON.stringify(body)}`);
  const analysisId = body.data.analysisId;
  const startMs = performance.now() - t0;
  const status = await finalStatus(`${api}/analysis/${analysisId}/events`, AbortSignal.timeout(ORCHESTRATION.timeoutMs));
  const endToEndMs = performance.now() - t0;
  const seenEpoch = Date.now();
  if (status.status !== 'completed') throw new Error(`analysis ${analysisId} ended ${JSON.stringify(status).slice(0, 400)}`);
  const { workflow_id: workflowId } = await stack.db.selectFrom('analyses').select('workflow_id').where('id', '=', analysisId).executeTakeFirstOrThrow();
  const path = await criticalPath(client, workflowId);
  const { startedAt, bounds } = path.epochs;
  const gaps = {
    toStarted: Math.round(startedAt - t0Epoch),
    toFirstActivity: Math.round((bounds[0]?.from ?? startedAt) - startedAt),
    between: bounds.slice(1).map((b, k) => Math.round(b.from - bounds[k]!.to)),
    toSeen: Math.round(seenEpoch - (bounds.at(-1)?.to ?? startedAt)),
  };
  const { epochs: _, ...timing } = path;
  return { analysisId, workflowId, endToEndMs, startMs, ...timing, gaps };
}

/** The data of an event stream's final `status` event (the stream ends after it). */
async function finalStatus(eventsUrl: string, signal: AbortSignal): Promise<{ status: string }> {
  const res = await fetch(eventsUrl, { headers: { accept: 'text/event-stream' }, signal });
  if (!res.ok || !res.body) throw new Error(`event stream refused: ${res.status} ${await res.text()}`);
  for await (const message of serverSentEvents(res.body)) {
    if (message.event === 'status') return JSON.parse(message.data) as { status: string };
  }
  throw new Error(`the event stream ${eventsUrl} ended without a status`);
}

export async function criticalPath(
  client: Client,
  workflowId: string,
): Promise<Omit<RunTiming, 'analysisId' | 'workflowId' | 'endToEndMs' | 'startMs' | 'gaps'> & { epochs: { startedAt: number; bounds: { from: number; to: number }[] } }> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = new Map<string, string>();
  const started = new Map<string, { name: string; at: number }>();
  const intervals: { name: string; from: number; to: number }[] = [];
  let localActivities = 0;
  let workflowTasks = 0;
  let startedAt = 0;
  for (const e of history.events ?? []) {
    const id = String(e.eventId);
    if (e.workflowExecutionStartedEventAttributes) startedAt = tsMs(e.eventTime);
    if (e.activityTaskScheduledEventAttributes) scheduled.set(id, e.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
    else if (e.activityTaskStartedEventAttributes) {
      const sid = String(e.activityTaskStartedEventAttributes.scheduledEventId);
      started.set(sid, { name: scheduled.get(sid) ?? '?', at: tsMs(e.eventTime) });
    } else if (e.markerRecordedEventAttributes) localActivities++;
    else if (e.workflowTaskCompletedEventAttributes) workflowTasks++;
    const end = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes;
    if (end) {
      const s = started.get(String(end.scheduledEventId));
      if (s) intervals.push({ name: s.name, from: s.at, to: tsMs(e.eventTime) });
    }
  }
  intervals.sort((a, b) => a.from - b.from);
  const segments: { activities: string[]; from: number; to: number }[] = [];
  for (const i of intervals) {
    const last = segments.at(-1);
    if (last && i.from <= last.to) {
      last.to = Math.max(last.to, i.to);
      last.activities.push(i.name);
    } else segments.push({ activities: [i.name], from: i.from, to: i.to });
  }
  return {
    criticalPathMs: segments.reduce((sum, s) => sum + (s.to - s.from), 0),
    handOffs: segments.length + 1,
    activities: intervals.length,
    localActivities,
    workflowTasks,
    segments: segments.map((s) => ({ activities: s.activities, ms: Math.round(s.to - s.from) })),
    epochs: { startedAt, bounds: segments.map(({ from, to }) => ({ from, to })) },
  };
}

export async function runOrchestration(opts: { stack: BenchStack; site: SiteSpec; log: (msg: string) => void; onStop: (what: string, stop: () => Promise<void>) => void }): Promise<Row[]> {
  const { stack, log } = opts;
  const ai = await startStandInAi();
  opts.onStop('the orchestration stand-in', ai.stop);
  // The worker and the API in this process: as separate processes (bench/processes.ts) the
  // overhead measured 1.12-1.13x, not less, with three processes taking turns on two cores.
  const service = await startBenchService(stack, { OPENAI_BASE_URL: ai.baseUrl, OPENAI_MODEL: STAND_IN_MODEL });
  opts.onStop('the orchestration worker and API', service.stop);
  const { config } = service;
  const connection = await Connection.connect({ address: stack.temporalAddress });
  opts.onStop('the orchestration Temporal client', () => connection.close());
  const client = new Client({ connection });

  // The direct limit (bench/direct.ts): the same activity functions in this process, own pool and model client.
  const directDb = createDatabase(stack.databaseUrl, 10, () => {});
  opts.onStop('the direct runs database pool', () => directDb.destroy());
  const directLogger = createLogger('warn', { service: 'bench-direct' });
  const directAi = createModelClient(config, directLogger);
  opts.onStop('the direct runs model client', async () => directAi.close());
  const direct = directRunner({ db: directDb, logger: directLogger, ai: directAi, config, resolve: testResolver({ localhost: '127.0.0.1' }) });
  let options: object | undefined;

  const byLatency = new Map<number, RunTiming[]>(ORCHESTRATION.latenciesMs.map((l) => [l, []]));
  const directMs = new Map<number, number[]>(ORCHESTRATION.latenciesMs.map((l) => [l, []]));
  // One warm-up analysis (module loading, connection pools, first workflow task) is not counted.
  for (let i = -1; i < ORCHESTRATION.runs; i++) {
    for (const latency of ORCHESTRATION.latenciesMs) {
      ai.setLatency(latency);
      // A fresh site server per analysis: its own origin, so no page comes from the fetch cache.
      const site = await serve(opts.site);
      try {
        const t = await timedAnalysis(service.apiUrl, stack, client, site.url, ORCHESTRATION.options);
        if (i >= 0) byLatency.get(latency)!.push(t);
        log(`orchestration: ${latency} ms model, run ${i < 0 ? 'warm-up' : i + 1}: ${Math.round(t.endToEndMs)} ms end to end, critical path ${Math.round(t.criticalPathMs)} ms, ${t.handOffs} hand-offs (segments ${t.segments.map((x) => x.ms).join(' + ')} ms, gaps ${JSON.stringify(t.gaps)})`);
        options ??= (await stack.db.selectFrom('analyses').select('options').where('id', '=', t.analysisId).executeTakeFirstOrThrow()).options;
      } finally {
        await site.close();
      }
      // Right after, on another fresh site: the same activities without Temporal or the API.
      const directSite = await serve(opts.site);
      try {
        const ms = await direct.run(directSite.url, options!);
        if (i >= 0) directMs.get(latency)!.push(ms);
        log(`direct: ${latency} ms model, run ${i < 0 ? 'warm-up' : i + 1}: ${Math.round(ms)} ms`);
      } finally {
        await directSite.close();
      }
    }
  }
  await service.stop();

  const rows: Row[] = [];
  const sample = (runs: RunTiming[]) => ({
    runs: runs.map((r) => ({ endToEndMs: Math.round(r.endToEndMs), startMs: Math.round(r.startMs), criticalPathMs: Math.round(r.criticalPathMs), handOffs: r.handOffs, activities: r.activities, localActivities: r.localActivities, workflowTasks: r.workflowTasks, gaps: r.gaps })),
    medianEndToEndMs: round(median(runs.map((r) => r.endToEndMs)), 0),
    medianCriticalPathMs: round(median(runs.map((r) => r.criticalPathMs)), 0),
    segmentsOfFirstRun: runs[0]?.segments,
    criticalPath: 'union of non-local activity execution intervals (history: ActivityTaskStarted → Completed event times)',
    completionSeen: 'the final status event of GET /analysis/{id}/events',
  });
  const r300 = byLatency.get(300)!;
  const r0 = byLatency.get(0)!;
  rows.push(
    row('orchestration.ratio_300ms', round(median(r300.map((r) => r.endToEndMs / r.criticalPathMs)), 3), 'x critical path', sample(r300), {
      target: 1.1,
      atMost: true,
      note: `median of ${r300.length}: end to end through the API / the activities' critical path, model stand-in at 300 ms, ACME ${JSON.stringify(ORCHESTRATION.options)}`,
    }),
    row('orchestration.ratio_0ms', round(median(r0.map((r) => r.endToEndMs / r.criticalPathMs)), 3), 'x critical path', sample(r0), { note: 'model stand-in at 0 ms' }),
    row('orchestration.ms_per_hand_off_0ms', round(median(r0.map((r) => (r.endToEndMs - r.criticalPathMs) / r.handOffs)), 1), 'ms', sample(r0), {
      target: 25,
      atMost: true,
      note: `median of (end to end - critical path) / hand-offs (segments of the critical path + 1: ${r0[0]?.handOffs ?? '?'}), model stand-in at 0 ms`,
    }),
  );
  for (const latency of ORCHESTRATION.latenciesMs) {
    const e2e = byLatency.get(latency)!.map((r) => r.endToEndMs);
    const d = directMs.get(latency)!;
    const raw = {
      endToEndMs: e2e.map(Math.round),
      directMs: d.map(Math.round),
      medianEndToEndMs: round(median(e2e), 0),
      medianDirectMs: round(median(d), 0),
      method: 'createActivities + MockActivityEnvironment in the bench process, workflow order and parallelism; no step-tracking interceptor',
    };
    rows.push(
      row(`direct.ms_${latency}ms`, round(median(d), 0), 'ms', raw, { note: `the activity functions called directly, model stand-in at ${latency} ms, median of ${d.length}` }),
      row(`direct.ratio_${latency}ms`, round(median(e2e.map((x, k) => x / d[k]!)), 3), 'x direct', raw, { note: `end to end through the API / the same activities called directly, interleaved, model stand-in at ${latency} ms` }),
    );
  }
  return rows;
}
