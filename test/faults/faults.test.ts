import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACME_PAGES } from '../support/acme-site.js';
import { brokenPromises, bundleOnce, startFaultStack, type FaultStack, type FaultStackOptions } from '../support/fault-stack.js';
import type { Route } from '../support/sites.js';
import { modelEndpointOutage } from './model-outage.js';

/*
 * Issue 13, point 8: faults injected into the real stack (worker and API as child processes, Temporal
 * dev server, PostgreSQL, the model endpoint behind a fault proxy), each followed by the same check of
 * the promises (brokenPromises). Scenarios run concurrently, each on its own task queue, site and
 * model endpoint; those that stop Temporal or PostgreSQL get their own. Waits poll for conditions;
 * the only fixed sleeps are the lengths of the faults themselves.
 */

const stacks: FaultStack[] = [];
let bundle: Awaited<ReturnType<typeof bundleOnce>>;

beforeAll(async () => {
  bundle = await bundleOnce();
}, 120_000);

afterAll(async () => {
  await Promise.all(stacks.map((s) => s.stop()));
  await bundle?.remove();
});

async function stack(opts: Omit<FaultStackOptions, 'workflowBundle'>): Promise<FaultStack> {
  const s = await startFaultStack({ ...opts, workflowBundle: bundle.path });
  stacks.push(s);
  return s;
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting ${timeoutMs / 1000} s for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startOne(s: FaultStack, options?: Record<string, unknown>): Promise<string> {
  const res = await s.start({ options });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.analysisId!;
}

describe.concurrent('faults survived on purpose', () => {
  it('worker SIGKILLed in the middle of the crawl, then restarted', async () => {
    // A slow site: every page but the home page and robots.txt takes 2.5 s.
    const routes: Record<string, Route> = Object.fromEntries(
      Object.entries(ACME_PAGES).map(([p, body]) => [p, p === '/' || p === '/robots.txt' ? body : { body, delayMs: 2_500 }]),
    );
    const s = await stack({ name: 'kill-crawl', routes });
    const id = await startOne(s, { maxPages: 5 });
    await until('the crawl to be under way', () => (s.site.hits.get('/') ?? 0) >= 1 && [...s.site.hits.keys()].some((p) => p !== '/' && p !== '/robots.txt'));
    expect(s.proxy.counts().received).toBe(0);
    await s.worker.stop('SIGKILL');
    await s.worker.start();
    const final = await s.waitForEnd(id);
    expect(final.status, JSON.stringify(final.error)).toBe('completed');
    expect(await brokenPromises(s)).toEqual([]);
  });

  it('worker SIGKILLed in the middle of the model calls, then restarted', async () => {
    const s = await stack({ name: 'kill-model' });
    // A model that takes 6 s per answer: the kill lands while calls are in flight.
    s.proxy.setDelay(6_000);
    const id = await startOne(s);
    await until('model calls in flight', () => s.proxy.inFlight() >= 2);
    const inFlight = s.proxy.inFlight();
    await s.worker.stop('SIGKILL');
    s.proxy.setDelay(500);
    await s.worker.start();
    const final = await s.waitForEnd(id);
    expect(final.status, JSON.stringify(final.error)).toBe('completed');
    expect(await brokenPromises(s, { answersLostToKills: inFlight })).toEqual([]);
  });

  it('Temporal dev server down for 30 s while model calls finish (its file kept), then restarted', async () => {
    const s = await stack({ name: 'temporal-down', ownTemporal: true });
    s.proxy.setDelay(5_000);
    const id = await startOne(s);
    await until('model calls in flight', () => s.proxy.inFlight() >= 1);
    const before = s.proxy.counts().delivered;
    await s.stopTemporal();
    await sleep(30_000);
    // The scenario is what it says only if answers came back while Temporal was away.
    const duringOutage = s.proxy.counts().delivered - before;
    await s.startTemporal();
    expect(duringOutage, 'model answers delivered while Temporal was down').toBeGreaterThan(0);
    const final = await s.waitForEnd(id);
    expect(final.status, JSON.stringify(final.error)).toBe('completed');
    expect(await brokenPromises(s)).toEqual([]);
  });

  it('PostgreSQL stopped for 20 s while a report is written, then started', async () => {
    const s = await stack({ name: 'postgres-down', ownPostgres: true });
    // Slow answers keep the synthesis (report_generation) in progress long enough to stop the database under it.
    s.proxy.setDelay(3_000);
    const id = await startOne(s);
    await s.waitForStatus(id, (st) => st.currentStep === 'report_generation');
    const before = s.proxy.counts().delivered - s.proxy.inFlight();
    await s.stopPostgres();
    await sleep(20_000);
    await s.startPostgres();
    // An answer that arrives while the database is down cannot be stored (so it is not "already stored"):
    // such answers may be asked again, and are reported here.
    const unstorable = s.proxy.counts().delivered - before;
    console.log(`[faults:postgres-down] model answers delivered around the outage (storable or not): ${unstorable}`);
    const final = await s.waitForEnd(id);
    expect(final.status, JSON.stringify(final.error)).toBe('completed');
    expect(await brokenPromises(s, { answersLostToKills: unstorable })).toEqual([]);
  });

  it('model endpoint answering 500s, hanging past AI_TIMEOUT_SECONDS, sending malformed JSON, each then recovering; a bad key fails at once', async () => {
    const s = await stack({ name: 'model-faults', env: { AI_TIMEOUT_SECONDS: '3' } });
    // Each phase: the fault until it was met this many times, then the endpoint recovers.
    const phases = [
      { mode: 'error', counter: 'errors', n: 8 },
      { mode: 'hang', counter: 'abandoned', n: 6 },
      { mode: 'malformed-body', counter: 'malformed', n: 6 },
      { mode: 'malformed-content', counter: 'delivered', n: 6 },
    ] as const;
    for (const phase of phases) {
      const before = s.proxy.counts();
      await s.proxy.setMode(phase.mode, { status: 500 });
      const id = await startOne(s);
      await until(`${phase.mode}: ${phase.n} more ${phase.counter}`, () => s.proxy.counts()[phase.counter] >= before[phase.counter] + phase.n);
      await s.proxy.setMode('pass');
      const final = await s.waitForEnd(id);
      expect(final.status, `${phase.mode}: ${JSON.stringify(final.error)}`).toBe('completed');
    }
    // A permanent fault (the endpoint refuses the key) fails the analysis with a reason, without hours of retries.
    await s.proxy.setMode('error', { status: 401 });
    const refused = await startOne(s);
    const failed = await s.waitForEnd(refused);
    await s.proxy.setMode('pass');
    expect(failed.status).toBe('failed');
    expect(failed.error.message).toMatch(/key|401|unauthori[sz]ed|authenticat/i);
    expect(await brokenPromises(s, { expectFailed: [refused] })).toEqual([]);
  });

  it('API SIGKILLed between accepting starts and answering, restarted; clients retry with the same Idempotency-Key', async () => {
    // Info logs: the API's "analysis started" line tells when starts are being accepted.
    const s = await stack({ name: 'kill-api', env: { LOG_LEVEL: 'info' } });
    const keys = Array.from({ length: 10 }, () => `fault-${randomUUID()}`);
    const outcomes = new Map<string, string>();
    // A stream of keyed starts, 40 ms apart; the API dies after it has accepted the third.
    const first = keys.map(async (key, i) => {
      await sleep(i * 40);
      try {
        const res = await s.start({ key, options: { maxPages: 2 } });
        outcomes.set(key, `answered ${res.status}`);
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
        outcomes.set(key, `no answer (${cause})`);
      }
    });
    await until('three starts accepted', () => s.api.output.filter((l) => l.includes('analysis started')).length >= 3, 60_000);
    await s.api.stop('SIGKILL');
    await Promise.all(first);
    const cut = [...outcomes.values()].filter((o) => o.startsWith('no answer') && !o.includes('ECONNREFUSED')).length;
    console.log(`[faults:kill-api] before the kill: ${JSON.stringify(Object.fromEntries(outcomes))}; cut in flight: ${cut}`);
    await s.api.start();

    // Every client retries (twice, as a client unsure of the first retry would) and gets one analysis per key.
    const ids = new Map<string, string>();
    for (const key of keys) {
      for (let retry = 0; retry < 2; retry++) {
        const res = await s.start({ key, options: { maxPages: 2 } });
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        if (ids.has(key)) expect(res.analysisId).toBe(ids.get(key));
        ids.set(key, res.analysisId!);
      }
    }
    const rows = await s.db.selectFrom('analyses').select(['id', 'idempotency_key']).where('idempotency_key', 'in', keys).execute();
    expect(rows).toHaveLength(keys.length);
    for (const row of rows) expect(row.id).toBe(ids.get(row.idempotency_key!));
    for (const id of ids.values()) {
      const final = await s.waitForEnd(id);
      expect(final.status, JSON.stringify(final.error)).toBe('completed');
    }
    expect(await brokenPromises(s)).toEqual([]);
    // Starts cut off after Temporal accepted them but before their row committed leave workflows with no row;
    // brokenPromises waited for each of them to end. How many there were says whether the kill hit that window.
    const workflows = await s.withTemporal(async (client) => {
      let n = 0;
      for await (const _ of client.workflow.list({ query: `TaskQueue = '${s.taskQueue}'` })) n++;
      return n;
    });
    console.log(`[faults:kill-api] ${workflows} workflows for ${rows.length} analyses: ${workflows - rows.length} from rolled-back starts, all closed`);
  });

  it('model endpoint down for a minute (the ten-minute outage is `npm run test:faults-long`), then back', async () => {
    const s = await stack({ name: 'model-down' });
    await modelEndpointOutage(s, 60_000);
  });
});
