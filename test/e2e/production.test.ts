import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/dev/free-port.js';
import { startStandInAi } from '../../src/dev/stand-in-ai.js';
import { api, pollStatus } from '../support/api.js';
import { ACME_PAGES } from '../support/acme-site.js';
import { NO_RATE_LIMITS } from '../support/service.js';
import { serveSite, type TestSite } from '../support/sites.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const entry = (name: string) => `${root}dist/src/${name}.js`;

interface Proc {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

function startProcess(name: string, env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, [entry(name)], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout!.on('data', (d: Buffer) => output.push(...d.toString().split('\n').filter(Boolean)));
  child.stderr!.on('data', (d: Buffer) => output.push(...d.toString().split('\n').filter(Boolean)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exited };
}

/** The production shape: API and worker as separate processes from the built JavaScript (`npm run build`). */
describe('the built API and worker, as separate processes', () => {
  let standIn: Awaited<ReturnType<typeof startStandInAi>>;
  let site: TestSite;
  let apiUrl: string;
  let apiProc: Proc;
  let workerProc: Proc;
  let metricsPort: number;

  beforeAll(async () => {
    for (const name of ['main-api', 'main-worker']) {
      if (!existsSync(entry(name))) throw new Error(`${entry(name)} is missing: run \`npm run build\` first (npm test does)`);
    }
    standIn = await startStandInAi();
    site = await serveSite(ACME_PAGES);
    const port = await freePort();
    metricsPort = await freePort();
    const env = {
      PATH: process.env.PATH,
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: `prod-${randomUUID()}`,
      OPENAI_BASE_URL: standIn.baseUrl,
      SCRAPE_ALLOW_PRIVATE_NETWORKS: 'true',
      PORT: String(port),
      METRICS_PORT_WORKER: String(metricsPort),
      LOG_LEVEL: 'info',
      // Not a test of the limits: the other suites on the shared database spend 127.0.0.1's allowance.
      ...NO_RATE_LIMITS,
    };
    workerProc = startProcess('main-worker', env);
    apiProc = startProcess('main-api', env);
    apiUrl = `http://127.0.0.1:${port}`;
    // Ready when the API answers and sees the worker polling its task queue.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const health = await api(apiUrl, '/health').catch(() => undefined);
      if (health?.body.data?.checks?.workers?.status === 'ok') break;
      if (Date.now() > deadline) throw new Error(`not ready:\n${[...apiProc.output, ...workerProc.output].slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  afterAll(async () => {
    for (const p of [apiProc, workerProc]) if (p && p.child.exitCode === null) p.child.kill('SIGKILL');
    await site?.close();
    await standIn?.stop();
  });

  it('runs an analysis over real HTTP between processes, logs JSON with request IDs, and stops gracefully', async () => {
    const start = await api(apiUrl, '/analysis/start', {
      method: 'POST',
      json: { url: site.url, options: { maxPages: 3, personaCount: 1 } },
      headers: { 'x-request-id': 'prod-test-request-1' },
    });
    expect(start.status).toBe(202);
    expect(start.headers.get('x-request-id')).toBe('prod-test-request-1');
    const { final } = await pollStatus(apiUrl, start.body.data.analysisId, (s) => ['completed', 'failed'].includes(s.status));
    expect(final.status, JSON.stringify(final.error)).toBe('completed');
    const md = await fetch(`${apiUrl}/api/v2/analysis/${start.body.data.analysisId}/report?format=markdown`);
    expect(await md.text()).toMatch(/^# /);

    const apiLines = apiProc.output.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(apiLines.some((l) => l.requestId === 'prod-test-request-1')).toBe(true);
    const workerLines = workerProc.output.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    // Activity lines carry the analysis and workflow; the SDK's own lines come through the same logger.
    expect(workerLines.some((l) => l.analysisId === start.body.data.analysisId && l.workflowId && l.activity)).toBe(true);
    expect(workerLines.some((l) => l.source === 'temporal-sdk')).toBe(true);
    // The worker's Prometheus endpoint: the SDK's metrics and ours (README "Metrics and traces").
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^temporal_activity_execution_latency_count\{/m);
    expect(metrics).toMatch(/^persona_step_duration_seconds_count\{.*activityType="extractContent"/m);

    workerProc.child.kill('SIGTERM');
    apiProc.child.kill('SIGTERM');
    expect(await workerProc.exited).toBe(0);
    expect(await apiProc.exited).toBe(0);
  });
});
