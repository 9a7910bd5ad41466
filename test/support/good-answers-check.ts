import { CORPUS_TOKEN_BUDGET } from '../../activities/processing.js';
import { cleanPage } from '../../src/domain/clean-page.js';
import { corpusPassages, pageContextTexts, withPassages } from '../../src/domain/corpus.js';
import { PROMPT_MARKERS, PROMPT_SCAFFOLDING, PROMPT_TERMS } from '../../src/domain/prompts.js';
import { checkReportQuality } from '../../src/domain/quality.js';
import { siteTopics, unrelatedCitations } from '../../src/domain/relevance.js';
import { assembleOffering, assemblePersona } from '../../src/domain/report-assembly.js';
import { CLAIM_FIELDS, type ModelClaim, type ModelPersona, type ReportContent } from '../../src/domain/report.js';
import { fitTokenBudget } from '../../src/domain/token-budget.js';
import { readFixture } from './fixtures.js';
import type { Cite, GoodAnswer, GoodClaim } from './good-answers.js';

/**
 * The hand-written good answers (good-answers.ts) put through what the product does with a model's
 * answer, for src/domain/quality.good-answers.test.ts and the bench's `trust.good_answers` rows:
 * the page the product's way (cleaner, token budget, numbered passages), the answer through the
 * assembly (citations resolved, careless ones dropped) and the quality rules.
 */
export function checkGoodAnswer(answer: GoodAnswer) {
  const page = cleanPage(readFixture(answer.fixture), answer.url);
  const corpus = withPassages(fitTokenBudget([{ contentId: 'c1', url: answer.url, page }], CORPUS_TOKEN_BUDGET));
  const passages = corpusPassages(corpus);
  const idOf = ({ cite }: Cite): string => {
    const found = passages.filter((p) => p.text.includes(cite));
    if (found.length !== 1) throw new Error(`"${cite}" is in ${found.length} passages of ${answer.fixture}, not one`);
    return found[0]!.id;
  };
  const claims = (list: readonly GoodClaim[]): ModelClaim[] => list.map((c) => ({ text: c.text, evidence: c.evidence.map(idOf) }));
  const offering = assembleOffering({ ...answer.offering, evidence: answer.offering.evidence.map(idOf) }, passages);
  const personas = answer.personas.map((p, i) => {
    const model: ModelPersona = {
      ...p,
      goals: claims(p.goals),
      painPoints: claims(p.painPoints),
      objections: claims(p.objections),
      buyingTriggers: claims(p.buyingTriggers),
      evidence: p.evidence.map(idOf),
    };
    return assemblePersona(model, i, { passages });
  });
  const report: ReportContent = {
    format: 2,
    site: { url: answer.url, domain: new URL(answer.url).hostname, title: page.title },
    language: answer.language,
    summary: answer.summary,
    offering: offering.value,
    personas: personas.map((p) => p.value),
    droppedEvidence: [...offering.dropped, ...personas.flatMap((p) => p.dropped)],
    withheld: [],
    generatedBy: { model: 'written by hand', standIn: false },
    version: 1,
  };
  const quality = checkReportQuality(report, {
    passages,
    pageTexts: new Map([[answer.url, page.text]]),
    siteContext: pageContextTexts(corpus),
    siteLanguage: page.language,
    scaffolding: PROMPT_SCAFFOLDING,
    markers: PROMPT_MARKERS,
    terms: PROMPT_TERMS,
  });
  const cited = [...report.offering!.evidence, ...report.personas.flatMap((p) => [...p.evidence, ...CLAIM_FIELDS.flatMap((f) => p[f].flatMap((c) => c.evidence))])].length;
  return { page, report, quality, passages, cited };
}

/**
 * The same claims with passages drawn at random instead of theirs (a good writer who cites without
 * reading), `draws` times per persona, seeded: how many of those citations the product drops.
 * Claims in the site's language only: a translated report's are not judged.
 */
export function randomCitationDrops(answers: readonly GoodAnswer[], draws: number): { drawn: number; dropped: number } {
  let seed = 7;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * n;
  let drawn = 0;
  let dropped = 0;
  for (const answer of answers.filter((a) => a.language === a.siteLanguage)) {
    const { passages } = checkGoodAnswer(answer);
    const site = siteTopics(passages.map((p) => p.text));
    for (const persona of answer.personas) {
      const claims = CLAIM_FIELDS.flatMap((f) => persona[f]);
      for (let draw = 0; draw < draws; draw++) {
        const cited = claims.map((c) => ({ text: c.text, cited: c.evidence.map(() => passages[Math.floor(random(passages.length))]!.text) }));
        drawn += cited.reduce((n, c) => n + c.cited.length, 0);
        dropped += unrelatedCitations(cited, site).flat().length;
      }
    }
  }
  return { drawn, dropped };
}
