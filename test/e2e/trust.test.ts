import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/database.js';
import { INVENTED_FIGURES, INVENTED_NAMES, NON_ANSWERS, startMisbehavingAi, type Behaviour, type MisbehavingAi } from '../../src/dev/misbehaving-ai.js';
import { ACME_PAGES } from '../support/acme-site.js';
import { api, pollStatus } from '../support/api.js';
import { readFixture } from '../support/fixtures.js';
import { startTestService, type TestService } from '../support/service.js';
import { serveSite, type TestSite } from '../support/sites.js';
import { storedPages } from '../support/stored-pages.js';
import { claimsRepeatedBesideOthers, judgeReport, productsNotOnSite, promptSentences, promptsOf, repeatedPersonaShare, textFields } from '../support/trust-oracle.js';

/**
 * Trust, end to end: the real workflow and activities, driven over HTTP, with a STAND-IN model
 * that makes on purpose the mistakes real models make (src/dev/misbehaving-ai.ts). Whatever it
 * does, the delivered report (JSON, Markdown, HTML; every version) shows no quote that is not on
 * the page it cites and no prompt text, and a degraded report says why. The judge
 * (test/support/trust-oracle.ts) knows none of the product's rules.
 */

let service: TestService;
let ai: MisbehavingAi;
let db: Db;
let acme: TestSite;
let saved: TestSite;
let german: TestSite;

beforeAll(async () => {
  ai = await startMisbehavingAi();
  service = await startTestService({ aiBaseUrl: ai.baseUrl });
  db = service.db;
  acme = await serveSite(ACME_PAGES);
  // Real saved company pages, linked from a home page of their own.
  saved = await serveSite({
    '/': `<!doctype html><html lang="en"><head><title>Caktus Group</title></head><body><main>${readFixture('caktusgroup.com.django.html').replace(/^[\s\S]*?<body[^>]*>|<\/body>[\s\S]*$/g, '')}<a href="/node">Node course</a></main></body></html>`,
    '/node': readFixture('learnnode.com.html'),
  });
  german = await serveSite({ '/': readFixture('viehbacher.com.steuerrecht.html') });
});

afterAll(async () => {
  await service?.stop();
  await ai?.stop();
  await acme?.close();
  await saved?.close();
  await german?.close();
});

async function analyse(siteUrl: string, options: object = { maxPages: 6, personaCount: 2 }): Promise<string> {
  const start = await api(service.apiUrl, '/analysis/start', { method: 'POST', json: { url: siteUrl, options } });
  expect(start.status).toBe(202);
  const id: string = start.body.data.analysisId;
  const { final } = await pollStatus(service.apiUrl, id, (s) => ['completed', 'failed'].includes(s.status), 240_000);
  expect(final.status, JSON.stringify(final.error)).toBe('completed');
  return id;
}

/** Reads a version in every format and holds it to the judge. */
async function expectTrustworthy(analysisId: string, prompts: string[], version?: number) {
  const q = version ? `?version=${version}&` : '?';
  const json = await api(service.apiUrl, `/analysis/${analysisId}/report${q.slice(0, -1)}`);
  expect(json.status).toBe(200);
  const { report, quality, status } = json.body.data;
  const { pages, siteText } = await storedPages(db, analysisId);
  const verdict = judgeReport(report, pages, prompts, siteText);
  expect(verdict.unverified, 'quotes not on the page they cite').toEqual([]);
  expect(verdict.promptText, `fields holding prompt text: ${JSON.stringify(verdict.promptText)}`).toEqual([]);

  const markdown = await (await fetch(`${service.apiUrl}/api/v2/analysis/${analysisId}/report${q}format=markdown`)).text();
  const html = await (await fetch(`${service.apiUrl}/api/v2/analysis/${analysisId}/report${q}format=html`)).text();
  // The rendered content (not the quality notes, which may name a rule the prompt also named).
  // Line by line: each field is rendered on a line of its own, and words of two adjacent list items
  // (a product "Acme Invoicing", the next "Acme Invoicing About Pricing ...") can together spell a
  // prompt line that neither holds.
  const lines = markdown.split('## Evidence and quality')[0]!.split('\n').filter((l) => !l.startsWith('>'));
  const readable = lines.map((l) => ` ${l.replace(/\\(.)/g, '$1').toLowerCase().split(/[^\p{L}\p{N}']+/u).filter(Boolean).join(' ')} `).join('\n');
  for (const sentence of promptSentences(prompts, siteText).filter((s) => s.split(' ').length >= 5)) {
    expect(readable, 'Markdown holds prompt text').not.toContain(` ${sentence} `);
  }
  for (const rendered of [markdown, html]) expect(rendered).not.toMatch(/\[p\d+\.\d+\]\s|Page \d+: https?:|Page title:/);
  // A goal said again as an objection reads as a contradiction: shown once, unless it is all its later list has.
  expect(claimsRepeatedBesideOthers(report)).toEqual([]);

  if (status === 'degraded') {
    // Degraded says why: the reasons are listed in the JSON and in every rendering.
    expect(quality.issues.length + report.withheld.length).toBeGreaterThan(0);
    expect(markdown).toContain('**Quality: degraded.**');
    expect(html).toContain('Quality: degraded.');
  }
  return { report, quality, status, verdict, markdown, prompts, siteText };
}

/** Every string a reader may see in a report, evidence quotes aside (those are the site's words). */
function shownStrings(value: unknown, key = ''): string[] {
  if (typeof value === 'string') return key === 'quote' ? [] : [value];
  if (Array.isArray(value)) return value.flatMap((v) => shownStrings(v, key));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => shownStrings(v, k));
  return [];
}

/** A persona's portrait (name, role, summary, channels) imagines a customer and may name their world; product names are labels. */
const PORTRAIT_OR_LABEL = /^personas\[\d+\]\.(name|role|summary|channels\[\d+\])$|^offering\.products\[/;

/** What speaks for the company or makes a claim: the summary, the offering, persona claims and messaging. */
function claimStrings(report: unknown): string[] {
  return [...textFields(report)].filter(([path, text]) => typeof text === 'string' && !PORTRAIT_OR_LABEL.test(path)).map(([, text]) => text);
}

/**
 * The stand-in's made-up social proof standing as a sentence of its own in a persona's summary
 * (alone, or after a sentence's end): a sentence about no one, which the names rule holds.
 */
function inventedInSummaries(report: unknown): string[] {
  const summaries = [...textFields(report)].filter(([path, text]) => typeof text === 'string' && /^personas\[\d+\]\.summary$/.test(path)).map(([, text]) => text as string);
  // Found where it stands rather than by cutting the summary at full stops, which would cut "e.g. Pipedrive." apart.
  return summaries.filter((text) => INVENTED_NAMES.some((n) => text === n || text.startsWith(`${n} `) || [...text.matchAll(/[.!?\u2026]\s+/gu)].some((end) => text.startsWith(n, end.index + end[0].length))));
}

function since(before: number): string[] {
  return promptsOf(ai.received().slice(before));
}

describe('a report never shows what it cannot back, whatever the model does', () => {
  const cases: Array<[string, Behaviour[], number | undefined, (r: Awaited<ReturnType<typeof expectTrustworthy>>) => void]> = [
    ['paraphrased quotes', ['paraphrased_quotes'], undefined, ({ quality }) => expect(JSON.stringify(quality.droppedEvidence)).toContain('not_found')],
    ['merged quotes', ['merged_quotes'], undefined, ({ verdict }) => expect(verdict.quotes).toBeGreaterThan(0)],
    ['curly quotes, dashes and case', ['typographic_quotes'], undefined, ({ verdict }) => expect(verdict.verifiedQuotes).toBeGreaterThan(0)],
    ['quotes cited to the wrong page', ['wrong_page'], undefined, ({ verdict }) => expect(verdict.verifiedQuotes).toBeGreaterThan(0)],
    ['www. and fragment variants of URLs', ['url_variants'], undefined, ({ verdict }) => expect(verdict.verifiedQuotes).toBeGreaterThan(0)],
    ['invented URLs and quotes', ['invented_urls'], undefined, ({ quality }) => expect(JSON.stringify(quality.droppedEvidence)).toContain('not_found')],
    ['passage IDs that do not exist', ['unknown_ids'], undefined, ({ quality }) => expect(JSON.stringify(quality.droppedEvidence)).toContain('unknown_id')],
    ['instruction text copied into fields', ['instruction_text'], undefined, ({ quality }) => expect(quality.fields.rejected).toBeGreaterThan(0)],
    ['placeholder text', ['placeholders'], undefined, ({ quality }) => expect(quality.fields.rejected).toBeGreaterThan(0)],
    [
      'non-answers and talk about the model\'s input',
      ['non_answers'],
      undefined,
      ({ report, quality, markdown }) => {
        expect(quality.fields.rejected).toBeGreaterThan(0);
        // What the stand-in wrote is shown nowhere: neither a whole non-answer nor an answer behind its opening.
        const whole = new Set([...NON_ANSWERS.label, ...NON_ANSWERS.sentence]);
        for (const text of shownStrings(report)) {
          expect(whole.has(text), text).toBe(false);
          expect(NON_ANSWERS.openings.some((o) => text.startsWith(o)), text).toBe(false);
        }
        for (const o of NON_ANSWERS.openings) expect(markdown).not.toContain(o.trim());
      },
    ],
    [
      'invented statistics',
      ['invented_figures'],
      undefined,
      ({ report, quality, markdown }) => {
        expect(quality.fields.rejected).toBeGreaterThan(0);
        // None of the stand-in's made-up figures is shown, alone or after an answer.
        for (const text of shownStrings(report)) expect(INVENTED_FIGURES.some((f) => text.includes(f)), text).toBe(false);
        for (const f of INVENTED_FIGURES) expect(markdown).not.toContain(f);
      },
    ],
    [
      'invented customers, integrations and press',
      ['invented_names'],
      undefined,
      ({ report, quality }) => {
        expect(quality.fields.rejected).toBeGreaterThan(0);
        // None of the stand-in's made-up names is shown where the report speaks for the company or makes a
        // claim, nor as a sentence of its own in a persona's summary.
        for (const text of claimStrings(report)) expect(INVENTED_NAMES.some((n) => text.includes(n)), text).toBe(false);
        expect(inventedInSummaries(report)).toEqual([]);
      },
    ],
    [
      'stock product names from memory',
      ['generic_labels'],
      undefined,
      ({ report, prompts, siteText }) => {
        // The rule fired: a repair was asked for the products (which the repair may have fixed,
        // when the stand-in had run out of stock labels and took the site's words).
        expect(prompts.some((p) => /^- products item \d+ /m.test(p))).toBe(true);
        expect(productsNotOnSite(report, siteText)).toEqual([]);
      },
    ],
    ['duplicate personas', ['duplicate_personas'], undefined, ({ report }) => expect(new Set(report.personas.map((p: any) => p.name.toLowerCase())).size).toBe(report.personas.length)],
    [
      'renamed duplicate personas',
      ['renamed_duplicates'],
      undefined,
      ({ report, prompts }) => {
        // The copy was found and asked for again; what is delivered are personas of their own.
        expect(prompts.some((p) => p.includes('the part repeats another persona'))).toBe(true);
        expect(repeatedPersonaShare(report)).toBeLessThan(2 / 3);
      },
    ],
    ['truncated JSON (three answers)', ['truncated_json'], 3, ({ status }) => expect(['passed', 'degraded']).toContain(status)],
    ['prose around the JSON', ['prose_around_json'], undefined, ({ verdict }) => expect(verdict.fields).toBeGreaterThan(5)],
    ['a refusal (two answers)', ['refusal'], 2, ({ status }) => expect(['passed', 'degraded']).toContain(status)],
    ['an endpoint without json_schema', ['no_json_schema'], undefined, ({ verdict }) => expect(verdict.fields).toBeGreaterThan(5)],
  ];

  it.each(cases)('%s', async (_name, behaviours, times, specific) => {
    ai.use(behaviours, times ? { times } : undefined);
    const before = ai.received().length;
    const id = await analyse(acme.url);
    specific(await expectTrustworthy(id, since(before)));
  }, 300_000);

  it('ends degraded, saying why and showing less, when the model answers with any sentence of its prompt, on real saved pages', async () => {
    ai.use(['any_prompt_sentence']);
    const before = ai.received().length;
    const id = await analyse(saved.url);
    const { status, report, quality, markdown } = await expectTrustworthy(id, since(before));
    expect(status).toBe('degraded');
    expect(quality.fields.rejected).toBeGreaterThan(0);
    expect(report.withheld.length).toBeGreaterThan(0);
    expect(markdown).toMatch(/withheld/i);
  }, 300_000);

  it('says so, after asking again, when the model writes in another language than the one asked for', async () => {
    // The stand-in copies the English site's sentences whatever language the prompt asks for, as
    // small models answer in English.
    ai.use([]);
    const before = ai.received().length;
    const id = await analyse(acme.url, { maxPages: 6, personaCount: 2, language: 'de' });
    const { status, report, quality, markdown } = await expectTrustworthy(id, since(before));
    const wrong = quality.issues.filter((i: any) => i.rule === 'wrong_language');
    expect(wrong.length).toBeGreaterThan(0);
    expect(status).toBe('degraded');
    // The repairs said what was wrong.
    expect(since(before).some((p) => p.includes('is not written in the language this task asks for'))).toBe(true);
    // Shown, with the reason: the text may be right, only not in German. (The stand-in's personas
    // may not survive its repairs, which pick other labels; its offering does.)
    expect(report.offering).not.toBeNull();
    expect(wrong.some((i: any) => i.part.kind === 'offering')).toBe(true);
    expect(markdown).toContain("Offering is written in English, not in German, the report's language");
  }, 300_000);

  it('shows no invented names in a report asked in another language than the site\'s, on a real saved German page', async () => {
    // The stand-in copies the German site's sentences into an English report and adds its names:
    // parts in either language are held to the names rule.
    ai.use(['invented_names']);
    const before = ai.received().length;
    const id = await analyse(german.url, { maxPages: 2, personaCount: 2, language: 'en' });
    const { report, quality } = await expectTrustworthy(id, since(before));
    expect(quality.fields.rejected).toBeGreaterThan(0);
    for (const text of claimStrings(report)) expect(INVENTED_NAMES.some((n) => text.includes(n)), text).toBe(false);
    expect(inventedInSummaries(report)).toEqual([]);
    ai.use([]);
  }, 300_000);

  it('drops citations chosen without reading the claim, on real saved pages', async () => {
    ai.use(['careless_citations']);
    const before = ai.received().length;
    const id = await analyse(saved.url);
    const { report, quality } = await expectTrustworthy(id, since(before));
    ai.use([]);
    // The stand-in's claims are sentences of passages, so a claim shown as backed should cite the
    // passage it came from; one citing only others was cited carelessly (line breaks inside a
    // passage are shown as " / ": compared without either).
    const flat = (t: string) => t.replace(/\s*\/\s*|\s+/g, ' ');
    const backed = report.personas.flatMap((p: any) => [...p.goals, ...p.painPoints, ...p.objections, ...p.buyingTriggers]).filter((c: any) => c.evidence.length > 0);
    const elsewhere = backed.filter((c: any) => !c.evidence.some((e: any) => flat(e.quote).includes(flat(c.text))));
    const unrelated = Object.values(quality.droppedEvidence as Record<string, { reasons: Record<string, number> }>).reduce((n, t) => n + (t.reasons.unrelated ?? 0), 0);
    // Most careless citations are dropped; any left share two words with their claim by chance
    // (measured in two runs on 2026-12-01: 28 dropped and 1 left, 29 and 0; with the passed-over
    // condition, 30 and 1, 29 and 1).
    expect(unrelated).toBeGreaterThan(3 * elsewhere.length);
  }, 300_000);

  it('ends degraded on junk (identifiers, punctuation, markup), and a personas-only regeneration under junk is held to the same rules', async () => {
    ai.use(['junk', 'unknown_ids']);
    const before = ai.received().length;
    const id = await analyse(acme.url);
    const v1 = await expectTrustworthy(id, since(before), 1);
    expect(v1.status).toBe('degraded');

    const regen = await api(service.apiUrl, `/analysis/${id}/regenerate`, { method: 'POST', json: { sections: ['personas'] } });
    expect(regen.status).toBe(202);
    await pollStatus(service.apiUrl, id, (s) => s.latestReportVersion === 2 && s.status === 'completed', 240_000);
    const v2 = await expectTrustworthy(id, since(before), 2);
    // The parts it did not ask for carried over unchanged.
    expect(v2.report.summary).toEqual(v1.report.summary);
    expect(v2.report.offering).toEqual(v1.report.offering);
    expect(v2.report.basedOn).toEqual({ version: 1, carriedOver: ['summary', 'offering'] });
    ai.use([]);
  }, 400_000);
});
