import pLimit from 'p-limit';
import { startMisbehavingAi, type Behaviour } from '../src/dev/misbehaving-ai.js';
import { startStandInAi } from '../src/dev/stand-in-ai.js';
import type { AiRouter } from './ai-router.js';
import { analyse, type AnalysisOutcome } from './analysis.js';
import { serve, type SiteSpec } from './sites.js';
import { percent, row, type Row } from './table.js';

/**
 * Behaviour mixes of the misbehaving stand-in, one per site in turn (site i gets MIXES[i % n]).
 * A string behaviour spoils every text field it reaches, and the quote behaviours act together on
 * every evidence item, so a mix pairs at most one of each with mistakes of other kinds: each
 * mistake stays visible in the counts. Together they cover every behaviour but `no_json_schema`:
 * that one makes the product's model client switch its output mode for the whole worker process
 * (it remembers per model what worked), which would change what every analysis running beside it
 * is asked. `times`: the mix applies to that many requests, then `standing` (so such runs complete).
 */
export const MIXES: readonly { behaviours: Behaviour[]; times?: number; standing?: Behaviour[] }[] = [
  { behaviours: ['any_prompt_sentence'] },
  { behaviours: ['junk', 'unknown_ids'] },
  { behaviours: ['paraphrased_quotes', 'prose_around_json', 'generic_labels'] },
  { behaviours: ['wrong_page', 'duplicate_personas', 'invented_figures'] },
  { behaviours: ['merged_quotes', 'typographic_quotes', 'invented_names'] },
  { behaviours: ['url_variants', 'quotes_not_ids', 'unknown_ids', 'careless_citations'] },
  { behaviours: ['invented_urls', 'non_answers', 'renamed_duplicates'] },
  { behaviours: ['truncated_json'], times: 3, standing: ['instruction_text'] },
  { behaviours: ['refusal'], times: 2, standing: ['placeholders'] },
];

export function describeMix(mix: (typeof MIXES)[number]): string {
  return mix.times ? `${mix.behaviours.join('+')} x${mix.times}, then ${(mix.standing ?? []).join('+') || 'cooperative'}` : mix.behaviours.join('+');
}

export interface TrustRun {
  outcome: AnalysisOutcome;
  behaviours?: string;
}

/** One analysis of one site, with a stand-in endpoint of its own behind the router. */
async function runOne(opts: {
  kind: 'misbehaving' | 'stand_in';
  spec: SiteSpec;
  index: number;
  router: AiRouter;
  apiUrl: string;
  db: Parameters<typeof analyse>[0]['db'];
  log: (msg: string) => void;
}): Promise<TrustRun> {
  const site = await serve(opts.spec);
  const mix = MIXES[opts.index % MIXES.length]!;
  const ai =
    opts.kind === 'misbehaving'
      ? await startMisbehavingAi().then((m) => {
          if (mix.times) {
            m.use(mix.standing ?? []);
            m.use(mix.behaviours, { times: mix.times });
          } else m.use(mix.behaviours);
          return m;
        })
      : await startStandInAi();
  try {
    opts.router.route(site.port, { baseUrl: ai.baseUrl });
    const outcome = await analyse({
      apiUrl: opts.apiUrl,
      db: opts.db,
      site: opts.spec.name,
      url: site.url,
      options: { maxPages: 6, personaCount: 2 },
      prompts: () => ai.received(),
      timeoutMs: 240_000,
    });
    const behaviours = opts.kind === 'misbehaving' ? describeMix(mix) : undefined;
    opts.log(
      `${opts.kind} ${opts.spec.name}${behaviours ? ` [${behaviours}]` : ''}: ${outcome.final}${outcome.reportStatus ? ` (${outcome.reportStatus})` : ''} in ${outcome.seconds} s` +
        (outcome.error ? ` — ${outcome.error}` : ''),
    );
    return { outcome, behaviours };
  } finally {
    await ai.stop();
    await site.close();
  }
}

/** Every site once under each of the given stand-ins, `concurrency` analyses at a time. */
export async function runTrust(opts: {
  kinds: ('misbehaving' | 'stand_in')[];
  sites: SiteSpec[];
  router: AiRouter;
  apiUrl: string;
  db: Parameters<typeof analyse>[0]['db'];
  concurrency: number;
  log: (msg: string) => void;
}): Promise<Map<'misbehaving' | 'stand_in', TrustRun[]>> {
  const limit = pLimit(opts.concurrency);
  const jobs = opts.kinds.flatMap((kind) =>
    opts.sites.map((spec, index) => ({ kind, promise: limit(() => runOne({ ...opts, kind, spec, index })) })),
  );
  const runs = await Promise.all(jobs.map((j) => j.promise));
  const results = new Map<'misbehaving' | 'stand_in', TrustRun[]>();
  for (const [i, job] of jobs.entries()) results.set(job.kind, [...(results.get(job.kind) ?? []), runs[i]!]);
  return results;
}

/** The rows of one model (prefix `trust.misbehaving`, `trust.stand_in`, `real_model`) from its runs. */
export function trustRows(prefix: string, runs: readonly TrustRun[], opts: { passedTarget?: number } = {}): Row[] {
  const judged = runs.filter((r) => r.outcome.verdict);
  const sum = (f: (r: TrustRun) => number) => judged.reduce((n, r) => n + f(r), 0);
  const quotes = sum((r) => r.outcome.verdict!.quotes);
  const verified = sum((r) => r.outcome.verdict!.verifiedQuotes);
  const claims = sum((r) => r.outcome.verdict!.claims);
  const withEvidence = sum((r) => r.outcome.verdict!.claimsWithEvidence);
  const checked = sum((r) => r.outcome.fields?.checked ?? 0);
  const rejected = sum((r) => r.outcome.fields?.rejected ?? 0);
  const completed = runs.filter((r) => r.outcome.final === 'completed').length;
  const passed = judged.filter((r) => r.outcome.reportStatus === 'passed').length;
  // Two-thirds of a persona's claims said by an earlier one: a renamed copy (the oracle's measure).
  const repeating = judged.filter((r) => r.outcome.verdict!.repeatedPersonaShare >= 2 / 3).map((r) => r.outcome.site);
  const offSite = judged.flatMap((r) => r.outcome.verdict!.productsNotOnSite.map((p) => `${r.outcome.site}: ${p}`));
  const invented = judged.flatMap((r) => r.outcome.verdict!.inventedNames.map((f) => `${r.outcome.site}: ${f}`));
  const saidTwice = judged.map((r) => ({ site: r.outcome.site, claims: r.outcome.verdict!.claimsSaidTwice })).filter((s) => s.claims > 0);
  const promptText = judged.flatMap((r) => r.outcome.verdict!.promptText.map((p) => `${r.outcome.site}: ${p}`));
  const unverified = judged.flatMap((r) => r.outcome.verdict!.unverified.map((u) => `${r.outcome.site}: ${u}`));
  const failures = runs.filter((r) => r.outcome.final !== 'completed' || r.outcome.error);
  const noReports = judged.length === 0 ? 'no report to judge' : undefined;
  const sites = runs.map((r) => ({
    site: r.outcome.site,
    ...(r.behaviours ? { behaviours: r.behaviours } : {}),
    final: r.outcome.final,
    reportStatus: r.outcome.reportStatus,
    seconds: r.outcome.seconds,
    modelRequests: r.outcome.modelRequests,
    quotes: r.outcome.verdict?.quotes,
    verified: r.outcome.verdict?.verifiedQuotes,
    promptText: r.outcome.verdict?.promptText.length,
    fields: r.outcome.fields,
    ...(r.outcome.error ? { error: r.outcome.error } : {}),
  }));
  const failureNote = failures.length
    ? `${failures.length} not completed: ${failures.map((f) => `${f.outcome.site} ${f.outcome.final}`).join(', ')}`
    : undefined;
  return [
    row(`${prefix}.quotes_verified`, percent(verified, quotes), '%', { verified, total: quotes, unverified: unverified.slice(0, 20) }, { target: 100, note: noReports ?? (quotes === 0 ? 'no quotes in the reports' : undefined) }),
    row(`${prefix}.prompt_text_fields`, judged.length ? promptText.length : null, 'fields', { fields: sum((r) => r.outcome.verdict!.fields), promptText: promptText.slice(0, 20) }, { target: 0, atMost: true, note: noReports }),
    row(`${prefix}.repeated_personas`, judged.length ? repeating.length : null, 'reports', { reports: judged.length, repeating }, { target: 0, atMost: true, note: noReports }),
    row(`${prefix}.products_not_on_site`, judged.length ? offSite.length : null, 'products', { products: offSite.slice(0, 20) }, { target: 0, atMost: true, note: noReports }),
    row(`${prefix}.invented_names_shown`, judged.length ? invented.length : null, 'fields', { fields: invented.slice(0, 20) }, { target: 0, atMost: true, note: noReports }),
    row(`${prefix}.claims_said_twice`, judged.length ? sum((r) => r.outcome.verdict!.claimsSaidTwice) : null, 'claims', { claims, sites: saidTwice }, { note: noReports ?? 'a claim a persona says again in a later list of its own; kept only where that list has nothing else' }),
    row(`${prefix}.claims_with_evidence`, percent(withEvidence, claims), '%', { withEvidence, total: claims }),
    row(`${prefix}.fields_rejected`, percent(rejected, checked), '%', { rejected, checked }),
    row(`${prefix}.analyses_completed`, percent(completed, runs.length), '%', { completed, started: runs.length, sites }, { target: 100, note: failureNote }),
    row(`${prefix}.reports_passed`, percent(passed, judged.length), '%', { passed, total: judged.length }, opts.passedTarget !== undefined ? { target: opts.passedTarget } : {}),
  ];
}
