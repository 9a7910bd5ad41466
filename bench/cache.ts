import { STAND_IN_MODEL, startStandInAi } from '../src/dev/stand-in-ai.js';
import { serveSite } from '../test/support/sites.js';
import type { SiteSpec } from './sites.js';
import { startBenchService, type BenchStack } from './stack.js';
import { median, row, type Row } from './table.js';

/**
 * Issue 15, cache rows: the same site analysed twice, its server answering every page in 200 ms;
 * the second analysis's content_extraction (analysis_steps started_at → finished_at) over the
 * first's. Each pair gets a fresh site server (its own origin, so the first is never cached);
 * median over CACHE.pairs pairs.
 */
export const CACHE = { pairs: 3, pageDelayMs: 200, options: { maxPages: 6, personaCount: 1 } } as const;

export async function runCache(opts: { stack: BenchStack; site: SiteSpec; log: (msg: string) => void; onStop: (what: string, stop: () => Promise<void>) => void }): Promise<Row[]> {
  const { stack, log } = opts;
  const ai = await startStandInAi();
  opts.onStop('the cache stand-in', ai.stop);
  const service = await startBenchService(stack, { OPENAI_BASE_URL: ai.baseUrl, OPENAI_MODEL: STAND_IN_MODEL });
  opts.onStop('the cache worker and API', service.stop);
  const api = `${service.apiUrl}/api/v2`;

  const analyse = async (url: string): Promise<{ id: string; extractionMs: number }> => {
    const res = await fetch(`${api}/analysis/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url, options: CACHE.options }) });
    const body = (await res.json()) as { data?: { analysisId: string } };
    if (res.status !== 202 || !body.data) throw new Error(`cache bench: start refused: ${res.status} ${JSON.stringify(body)}`);
    const id = body.data.analysisId;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const a = await stack.db.selectFrom('analyses').select(['status', 'error']).where('id', '=', id).executeTakeFirstOrThrow();
      if (a.status === 'completed') break;
      if (a.status === 'failed' || a.status === 'cancelled' || Date.now() > deadline) throw new Error(`cache bench: analysis ${id} ${a.status}: ${JSON.stringify(a.error).slice(0, 400)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const step = await stack.db.selectFrom('analysis_steps').select(['started_at', 'finished_at']).where('analysis_id', '=', id).where('step', '=', 'content_extraction').where('version', '=', 1).executeTakeFirstOrThrow();
    if (!step.started_at || !step.finished_at) throw new Error(`cache bench: content_extraction of ${id} has no start or finish`);
    return { id, extractionMs: step.finished_at.getTime() - step.started_at.getTime() };
  };

  const pairs: { firstMs: number; secondMs: number; ratio: number }[] = [];
  for (let i = 0; i < CACHE.pairs; i++) {
    const site = await serveSite(Object.fromEntries(Object.entries(opts.site.routes).map(([path, body]) => [path, { body, delayMs: CACHE.pageDelayMs }])));
    try {
      const first = await analyse(site.url);
      const second = await analyse(site.url);
      pairs.push({ firstMs: first.extractionMs, secondMs: second.extractionMs, ratio: second.extractionMs / first.extractionMs });
      log(`cache: pair ${i + 1}: content_extraction ${first.extractionMs} ms, then ${second.extractionMs} ms`);
    } finally {
      await site.close();
    }
  }
  await service.stop();
  const raw = { pairs, pageDelayMs: CACHE.pageDelayMs, options: CACHE.options, medianFirstMs: median(pairs.map((p) => p.firstMs)), medianSecondMs: median(pairs.map((p) => p.secondMs)) };
  const ratio = median(pairs.map((p) => p.ratio));
  return [
    row('cache.extraction_ratio', ratio === null ? null : Math.round(ratio * 1000) / 1000, 'x first', raw, {
      target: 0.1,
      atMost: true,
      note: `content_extraction of a second analysis of the same site / the first's (analysis_steps), pages answered in ${CACHE.pageDelayMs} ms, ACME, median of ${pairs.length} pairs`,
    }),
    row('cache.first_extraction_ms', raw.medianFirstMs, 'ms', raw),
    row('cache.second_extraction_ms', raw.medianSecondMs, 'ms', raw),
  ];
}
