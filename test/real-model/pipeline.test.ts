/**
 * The whole pipeline on a REAL small instruct model, with no network: the local model server
 * (SmolLM2-135M-Instruct on node-llama-cpp, src/dev/local-model) behind the real service (API and
 * worker on the test run's Temporal server and PostgreSQL), analysing a small site of our own
 * served on 127.0.0.1. Not part of `npm test`: run it with `npm run test:real-model` (an analysis
 * took 4.5 to 8 minutes on the 2-core dev machine, 11 to 14 model calls; the first run installs
 * the model into .dev/).
 *
 * A 135M model writes poor content, so the test asserts only what must hold whatever it writes:
 * the analysis completes; every quote is on the page it cites; no field repeats the prompt; the
 * renderings carry no passage tags or page headers; a degraded report says why. The judge
 * (test/support/trust-oracle.ts) knows none of the product's rules, and reads the prompts the
 * model really received, recorded by a small proxy in this file. It prints what it measured.
 *
 * LOCAL_MODEL_THREADS=2 runs the model on two threads instead of the server's default (1): on two
 * cores shared with the worker, Temporal and PostgreSQL it was slower (generation fell to 3-6
 * tok/s at times and the analysis did not finish in 12 minutes). LOCAL_MODEL_TEMPERATURE: below.
 */
import { storedPages } from '../support/stored-pages.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLocalModel } from '../../src/dev/local-model/install.js';
import { startLocalModelServer, type LocalModelServer } from '../../src/dev/local-model/server.js';
import { ACME_PAGES } from '../support/acme-site.js';
import { api } from '../support/api.js';
import { startTestService, type TestService } from '../support/service.js';
import { serveSite, type TestSite } from '../support/sites.js';
import { judgeReport, promptsOf } from '../support/trust-oracle.js';

const devDir = path.resolve(import.meta.dirname, '../../.dev');
const say = (line: string) => console.log(`[real-model pipeline] ${line}`);
const threads = process.env.LOCAL_MODEL_THREADS ? Number(process.env.LOCAL_MODEL_THREADS) : undefined;
const ANALYSIS_TIMEOUT_MS = 20 * 60_000;
/**
 * The product names no temperature on a first answer, so the endpoint picks one: OpenAI samples at
 * 1, llama.cpp's server and Ollama at 0.8, the local model server at 0 (greedy). Greedy, the 135M
 * model repeats itself; the product bounds strings and lists in its strict schemas and asks a
 * repair or a retried attempt to sample (temperature 0.8), so it completes on the server's own
 * default. LOCAL_MODEL_TEMPERATURE=<number> makes the proxy below set a temperature on requests
 * that name none (to compare); the default, `server`, leaves every request as the product sent it.
 */
const temperatureSetting = process.env.LOCAL_MODEL_TEMPERATURE ?? 'server';
const endpointDefaults: Record<string, unknown> = temperatureSetting === 'server' ? {} : { temperature: Number(temperatureSetting) };

let model: LocalModelServer;
let recorder: RecordingProxy;
let service: TestService;
let site: TestSite;

beforeAll(async () => {
  const files = await ensureLocalModel({ devDir, log: say });
  model = await startLocalModelServer({ ...files, ...(threads ? { threads } : {}), log: (line) => console.log(line) });
  say(
    `model ${model.modelName} loaded in ${model.loadMs} ms; context ${model.contextSize} tokens; ${threads ?? 'default (1)'} thread(s); ` +
      `temperature ${endpointDefaults.temperature ?? "the server's default (0, greedy)"} when a request names none`,
  );
  recorder = await startRecordingProxy(model.baseUrl, endpointDefaults, (status, body) => {
    let line = body;
    try {
      const c = JSON.parse(body);
      line = c.choices ? `${c.choices[0].finish_reason}: ${c.choices[0].message.content}` : JSON.stringify(c.error ?? c);
    } catch {}
    line = line.replace(/\s+/g, ' ');
    say(`answer ${status} ${line.length > 400 ? `${line.slice(0, 250)} … ${line.slice(-150)}` : line}`);
  });
  service = await startTestService({
    aiBaseUrl: recorder.baseUrl,
    env: {
      OPENAI_MODEL: model.modelName,
      // One slot: calls queue, and must not time out while queued.
      AI_MAX_CONCURRENCY: '1',
      AI_TIMEOUT_SECONDS: '600',
      // The model has an 8k context.
      AI_PROMPT_TOKENS: '1500',
      OPENAI_STRUCTURED_OUTPUT: 'json_schema',
    },
  });
  site = await serveSite(ACME_PAGES);
}, 20 * 60_000);

afterAll(async () => {
  await service?.stop();
  await site?.close();
  await recorder?.close();
  await model?.stop();
});

/** What the model answered and what the product made of it, for a failure message. */
async function modelOutputs(analysisId: string): Promise<string> {
  const rows = await service.db
    .selectFrom('ai_responses')
    .select(['kind', 'attempt', 'version', 'raw_output', 'parsed', 'output_mode', 'completion_tokens'])
    .where('analysis_id', '=', analysisId)
    .orderBy('created_at')
    .execute();
  return rows
    .map((r) => `--- ${r.kind} v${r.version} attempt ${r.attempt} (${r.output_mode}, ${r.completion_tokens} tok)\nraw: ${r.raw_output}\nparsed: ${JSON.stringify(r.parsed)}`)
    .join('\n');
}

/** Polls the status route every 2 s, logging each step change, until the analysis completed or failed. */
async function waitForEnd(analysisId: string): Promise<any> {
  const deadline = Date.now() + ANALYSIS_TIMEOUT_MS;
  const started = Date.now();
  let last = '';
  for (;;) {
    const { status, body } = await api(service.apiUrl, `/analysis/${analysisId}`);
    expect(status).toBe(200);
    const s = body.data;
    const line = `${s.status} ${s.percent}% ${s.currentStep ?? '-'} ` + s.steps.map((st: any) => `${st.name}:${st.state}${st.attempts > 1 ? `x${st.attempts}` : ''}`).join(' ');
    if (line !== last) {
      say(`${((Date.now() - started) / 1000).toFixed(0)} s: ${line}; model queue ${model.stats().queued}`);
      last = line;
    }
    if (s.status === 'completed' || s.status === 'failed') return s;
    // Returned, not thrown: the caller prints what the model answered before failing.
    if (Date.now() > deadline) return { ...s, timedOut: `did not end in ${ANALYSIS_TIMEOUT_MS / 1000} s` };
    await new Promise((r) => setTimeout(r, 2000));
  }
}

describe('the whole pipeline on a real small model', () => {
  it('completes an analysis whose report shows only what it can back', async () => {
    const started = Date.now();
    const statsBefore = model.stats();
    const start = await api(service.apiUrl, '/analysis/start', { method: 'POST', json: { url: site.url, options: { maxPages: 4, personaCount: 1 } } });
    expect(start.status, JSON.stringify(start.body)).toBe(202);
    const id: string = start.body.data.analysisId;

    const final = await waitForEnd(id);
    const seconds = (Date.now() - started) / 1000;
    if (final.status !== 'completed') {
      const failedSteps = final.steps.filter((s: any) => s.lastError).map((s: any) => `${s.name} (${s.attempts} attempts): ${JSON.stringify(s.lastError)}`);
      say(`analysis ${id} ${final.status}${final.timedOut ? `, ${final.timedOut}` : ''}: ${final.error ? JSON.stringify(final.error) : 'no error yet'}\n${failedSteps.join('\n')}\nai_responses:\n${await modelOutputs(id)}`);
    }
    expect(final.status, final.timedOut ?? JSON.stringify(final.error)).toBe('completed');

    // The report, judged against the stored pages and every prompt the model received.
    const json = await api(service.apiUrl, `/analysis/${id}/report`);
    expect(json.status).toBe(200);
    const { report, quality, status } = json.body.data;
    const { pages, siteText } = await storedPages(service.db, id);
    const verdict = judgeReport(report, pages, promptsOf(recorder.requests), siteText);
    const markdown = await (await fetch(`${service.apiUrl}/api/v2/analysis/${id}/report?format=markdown`)).text();
    const html = await (await fetch(`${service.apiUrl}/api/v2/analysis/${id}/report?format=html`)).text();

    // The figures, before the assertions, so a failing run still shows them.
    const s = model.stats();
    const requests = s.requests - statsBefore.requests;
    const promptTokens = s.promptTokens - statsBefore.promptTokens;
    const promptEvalTokens = s.promptEvalTokens - statsBefore.promptEvalTokens;
    const promptEvalMs = s.promptEvalMs - statsBefore.promptEvalMs;
    const completionTokens = s.completionTokens - statsBefore.completionTokens;
    const generationMs = s.generationMs - statsBefore.generationMs;
    const tps = (tokens: number, ms: number) => ((tokens * 1000) / Math.max(ms, 1)).toFixed(1);
    const refused = s.recent.filter((r) => r.status !== 200).map((r) => `${r.id} ${r.status}`);
    say(`analysis ${id}: ${final.status} in ${seconds.toFixed(1)} s end to end (${threads ?? 1} thread(s))`);
    say(
      `model: ${requests} requests answered (${recorder.requests.length} chat requests through the proxy${refused.length ? `; not 200: ${refused.join(', ')}` : ''}); ` +
        `prompt ${promptTokens} tok, ${promptEvalTokens} evaluated in ${(promptEvalMs / 1000).toFixed(1)} s (${tps(promptEvalTokens, promptEvalMs)} tok/s); ` +
        `generated ${completionTokens} tok in ${(generationMs / 1000).toFixed(1)} s (${tps(completionTokens, generationMs)} tok/s)`,
    );
    say(`report: ${status}; quality.fields ${JSON.stringify(quality.fields)}; quality.claims ${JSON.stringify(quality.claims)}; issues ${quality.issues.length}; withheld ${report.withheld.length}`);
    say(`droppedEvidence: ${JSON.stringify(quality.droppedEvidence)}`);
    say(`usage: ${JSON.stringify(report.usage)}`);
    say(`judge: ${verdict.quotes} quotes (${verdict.verifiedQuotes} verified), ${verdict.claims} claims (${verdict.claimsWithEvidence} with evidence), ${verdict.fields} fields`);
    say(`personas: ${JSON.stringify(report.personas.map((p: any) => ({ name: p.name, role: p.role })))}; summary: ${JSON.stringify(report.summary)}`);
    if (status === 'degraded') say(`degraded because: ${JSON.stringify(quality.issues.map((i: any) => `${i.rule}: ${i.message}`))}; withheld: ${JSON.stringify(report.withheld)}`);

    expect(['passed', 'degraded']).toContain(status);
    expect(verdict.unverified, 'quotes not on the page they cite').toEqual([]);
    expect(verdict.promptText, 'fields holding prompt text').toEqual([]);
    // Every piece of evidence names its passage and a page of the site.
    const evidence = [...evidenceOf(report)];
    for (const e of evidence) {
      expect(typeof e.passageId === 'string' && e.passageId !== '', JSON.stringify(e)).toBe(true);
      expect(String(e.url).startsWith(site.url), JSON.stringify(e)).toBe(true);
    }
    // Prompt tags are `[p1.2] text` and page headers `Page 1: <url>`; a Markdown link `[p1.2](<url>)` is the report's own citation.
    for (const rendered of [markdown, html]) expect(rendered).not.toMatch(/\[p\d+\.\d+\]\s|Page \d+: https?:|Page title:/);
    if (status === 'degraded') {
      expect(quality.issues.length + report.withheld.length).toBeGreaterThan(0);
      expect(markdown).toContain('Quality: degraded');
      expect(html).toContain('Quality: degraded');
    }
    // The model really wrote it: its requests reached the server and are counted in the report.
    expect(requests).toBeGreaterThan(0);
    expect(report.generatedBy).toMatchObject({ model: model.modelName, standIn: false });
    expect(report.usage.calls).toBeGreaterThan(0);
  }, ANALYSIS_TIMEOUT_MS + 60_000);
});

function* evidenceOf(value: unknown): Generator<{ passageId?: unknown; url?: unknown; quote?: unknown }> {
  if (!value || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const v of value) yield* evidenceOf(v);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (k === 'evidence' && Array.isArray(v)) yield* v;
    else yield* evidenceOf(v);
  }
}

// ---------------------------------------------------------------------------------------------
// A recording proxy: the server's stats keep timings and token counts, not what was said, so the
// chat requests (their messages) are recorded here on their way to it. Plain node:http, no
// product code. A client that leaves (a request timeout) is passed on, so the server drops it.

interface RecordingProxy {
  baseUrl: string;
  /** The chat completion request bodies, in arrival order. */
  requests: { messages?: { content: unknown }[] }[];
  close(): Promise<void>;
}

async function startRecordingProxy(
  targetBaseUrl: string,
  endpointDefaults: Record<string, unknown>,
  onAnswer: (status: number, body: string) => void,
): Promise<RecordingProxy> {
  const target = new URL(targetBaseUrl);
  const requests: RecordingProxy['requests'] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    let body = Buffer.concat(chunks);
    const isChat = req.method === 'POST' && !!req.url?.endsWith('/chat/completions');
    if (isChat) {
      try {
        const sent = JSON.parse(body.toString('utf8'));
        requests.push(sent);
        // What the request leaves to the endpoint, filled in as the endpoint would choose it.
        const filled = { ...sent };
        for (const [k, v] of Object.entries(endpointDefaults)) if (filled[k] === undefined || filled[k] === null) filled[k] = v;
        body = Buffer.from(JSON.stringify(filled));
      } catch {
        requests.push({});
      }
    }
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host, 'content-length': String(body.length) } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        if (isChat) {
          // What the model said, in one line: a small model's failure modes show here first.
          const answer: Buffer[] = [];
          up.on('data', (c: Buffer) => answer.push(c));
          up.on('end', () => onAnswer(up.statusCode ?? 0, Buffer.concat(answer).toString('utf8')));
        }
      },
    );
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `proxy: ${err.message}`, type: 'server_error' } }));
      else res.destroy();
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(body);
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}${target.pathname.replace(/\/$/, '')}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
