import { configSchema } from '../src/config.js';
import { ensureLocalModel } from '../src/dev/local-model/install.js';
import { startLocalModelServer } from '../src/dev/local-model/server.js';
import type { AiRouter } from './ai-router.js';
import { analyse } from './analysis.js';
import { serve, type SiteSpec } from './sites.js';
import { DEV_DIR, startBenchService, type BenchStack } from './stack.js';
import { percent, row, type Row } from './table.js';
import { trustRows, type TrustRun } from './trust.js';

export const REAL_MODEL_ROWS = [
  'real_model.quotes_verified',
  'real_model.prompt_text_fields',
  'real_model.claims_with_evidence',
  'real_model.fields_rejected',
  'real_model.analysis_seconds',
  'real_model.prompt_tokens_per_second',
  'real_model.generation_tokens_per_second',
  'real_model.status',
] as const;

const UNITS: Record<string, string> = {
  quotes_verified: '%', prompt_text_fields: 'fields', claims_with_evidence: '%', fields_rejected: '%',
  analysis_seconds: 's', prompt_tokens_per_second: 'tok/s', generation_tokens_per_second: 'tok/s', status: '',
};

export function notRunRows(note: string): Row[] {
  return REAL_MODEL_ROWS.map((name) => ({ name, value: null, unit: UNITS[name.split('.')[1]!]!, target: name.endsWith('quotes_verified') ? 100 : name.endsWith('prompt_text_fields') ? 0 : null, met: null, raw: {}, note }));
}

/** Sites for the real model: ACME first, then English fixtures before the others. */
function realModelSites(sites: readonly SiteSpec[], count: number): SiteSpec[] {
  const preferred = ['acme', 'kikobeats.com.html', 'caktusgroup.com.django.html', 'learnnode.com.html'];
  const ordered = [...sites].sort((a, b) => rank(a.name) - rank(b.name));
  function rank(name: string): number {
    const i = preferred.indexOf(name);
    return i < 0 ? preferred.length : i;
  }
  return ordered.slice(0, Math.max(1, count));
}

/**
 * SmolLM2-135M-Instruct on node-llama-cpp (src/dev/local-model), one slot, behind the router so its
 * prompts are recorded; a service of its own configured for a small slow model; analyses one at a time.
 */
export async function runRealModel(opts: {
  stack: BenchStack;
  router: AiRouter;
  sites: SiteSpec[];
  siteCount: number;
  /** Per analysis: then it is cancelled and counted as not completed. */
  minutes: number;
  log: (msg: string) => void;
  onStop: (what: string, stop: () => Promise<void>) => void;
}): Promise<Row[]> {
  const files = await ensureLocalModel({ devDir: DEV_DIR, log: opts.log });
  const server = await startLocalModelServer({ ...files, log: (line) => opts.log(line) });
  opts.onStop('the local model server', () => server.stop());
  opts.log(`real model ${server.modelName} loaded in ${server.loadMs} ms (context ${server.contextSize} tokens)`);

  const notes: string[] = [];
  // The product reads AI_PROMPT_TOKENS; when the config schema does not list it yet, loadConfig drops it.
  const acceptsPromptTokens = 'AI_PROMPT_TOKENS' in configSchema.shape;
  if (!acceptsPromptTokens) notes.push('config does not accept AI_PROMPT_TOKENS yet: set on the config object directly');
  const service = await startBenchService(
    opts.stack,
    {
      OPENAI_BASE_URL: opts.router.baseUrl,
      OPENAI_MODEL: server.modelName,
      OPENAI_STRUCTURED_OUTPUT: 'json_schema',
      AI_MAX_CONCURRENCY: '1',
      AI_TIMEOUT_SECONDS: '600',
      AI_PROMPT_TOKENS: '1500',
    },
    acceptsPromptTokens ? {} : { AI_PROMPT_TOKENS: 1500 },
  );
  opts.onStop('the real-model worker and API', service.stop);

  const runs: TrustRun[] = [];
  for (const spec of realModelSites(opts.sites, opts.siteCount)) {
    const site = await serve(spec);
    try {
      opts.router.route(site.port, { baseUrl: server.baseUrl });
      const before = server.stats().requests;
      const outcome = await analyse({
        apiUrl: service.apiUrl,
        db: opts.stack.db,
        site: spec.name,
        url: site.url,
        options: { maxPages: 3, personaCount: 1 },
        prompts: () => opts.router.received(site.port),
        timeoutMs: opts.minutes * 60_000,
        pollMs: 3000,
      });
      opts.log(
        `real model ${spec.name}: ${outcome.final}${outcome.reportStatus ? ` (${outcome.reportStatus})` : ''} in ${outcome.seconds} s, ` +
          `${server.stats().requests - before} model requests` + (outcome.error ? ` — ${outcome.error}` : ''),
      );
      runs.push({ outcome });
    } finally {
      await site.close();
    }
  }

  const stats = server.stats();
  const wanted = new Set<string>(REAL_MODEL_ROWS);
  const note = notes.join('; ') || undefined;
  const trust = trustRows('real_model', runs).filter((r) => wanted.has(r.name));
  const first = runs[0]!.outcome;
  const failures = runs.filter((r) => r.outcome.error).map((r) => `${r.outcome.site}: ${r.outcome.error}`);
  const perSite = runs.map((r) => ({ site: r.outcome.site, final: r.outcome.final, reportStatus: r.outcome.reportStatus, seconds: r.outcome.seconds, error: r.outcome.error }));
  const tps = (tokens: number, ms: number) => (ms > 0 ? Math.round((tokens * 10_000) / ms) / 10 : null);
  return [
    ...trust,
    row('real_model.analysis_seconds', first.seconds, 's', { site: first.site, perSite }, { note: first.final === 'completed' ? `${first.site}, maxPages 3, personaCount 1` : `${first.site}: did not finish (${first.final})` }),
    row('real_model.prompt_tokens_per_second', tps(stats.promptEvalTokens, stats.promptEvalMs), 'tok/s', {
      promptTokens: stats.promptTokens, promptEvalTokens: stats.promptEvalTokens, promptEvalMs: stats.promptEvalMs, requests: stats.requests,
    }),
    row('real_model.generation_tokens_per_second', tps(stats.completionTokens, stats.generationMs), 'tok/s', {
      completionTokens: stats.completionTokens, generationMs: stats.generationMs, requests: stats.requests,
      refused: stats.recent.filter((r) => r.status !== 200).map((r) => r.status),
    }),
    row('real_model.status', runs.map((r) => r.outcome.reportStatus ?? r.outcome.final).join(', '), '', { perSite, passed: percent(runs.filter((r) => r.outcome.reportStatus === 'passed').length, runs.length) }, {
      note: [note, ...failures].filter(Boolean).join('; ').slice(0, 600) || undefined,
    }),
  ];
}
