import type { Claim, EvidenceRef, Persona, ReportContent } from '../../src/domain/report.js';
import type { LocatablePassage } from '../../src/domain/passages.js';

/** The cleaned text of the sample site's pages, by URL. */
export const SAMPLE_PAGES = new Map([
  ['https://acme.test/', 'Acme builds bridges.\nWe help municipal engineers plan safer bridges in half the time.'],
  ['https://acme.test/pricing', 'Plans start at 99 euros per month for small offices. Large firms ask for a quote.'],
]);

/** The sample site's passages, as content_processing numbers them. */
export const SAMPLE_PASSAGES: LocatablePassage[] = [
  { id: 'p1.1', url: 'https://acme.test/', text: 'Acme builds bridges.\nWe help municipal engineers plan safer bridges in half the time.' },
  { id: 'p2.1', url: 'https://acme.test/pricing', text: 'Plans start at 99 euros per month for small offices. Large firms ask for a quote.' },
];

export function ref(id: string): EvidenceRef {
  const p = SAMPLE_PASSAGES.find((x) => x.id === id)!;
  return { passageId: p.id, url: p.url, quote: p.text };
}

export function claim(text: string, ...ids: string[]): Claim {
  return { text, evidence: ids.map(ref), inferred: ids.length === 0 };
}

/** A persona that passes every quality rule against the sample passages. */
export function samplePersona(overrides: Partial<Persona> = {}): Persona {
  return {
    name: 'Maria, the municipal engineer',
    role: 'Lead bridge engineer at a city',
    summary: 'Plans and inspects bridges for a mid-sized city.',
    goals: [claim('Finish bridge plans faster', 'p1.1')],
    painPoints: [claim('Manual load calculations take weeks')],
    objections: [claim('Unsure whether the tool meets public procurement rules')],
    buyingTriggers: [claim('A new bridge project is funded')],
    channels: ['Engineering trade fairs'],
    messaging: ['Plan safer bridges in half the time'],
    evidence: [ref('p1.1')],
    support: 'supported',
    ...overrides,
  };
}

/** Another audience than samplePersona's, with claims of its own, that passes every rule too. */
export function otherPersona(overrides: Partial<Persona> = {}): Persona {
  return samplePersona({
    name: 'Tom, the office owner',
    role: 'Owner of a small engineering office',
    summary: 'Runs an office of four engineers that plans footbridges for towns.',
    goals: [claim('Win tenders with a small team', 'p1.1')],
    painPoints: [claim('Every design change means redoing the calculations by hand')],
    objections: [claim('The licence costs more than a small office can spend')],
    buyingTriggers: [claim('A large contract the team cannot plan alone')],
    evidence: [ref('p2.1')],
    ...overrides,
  });
}

/** A complete two-persona report whose every piece of evidence is a sample passage. */
export function sampleReport(overrides: Partial<ReportContent> = {}): ReportContent {
  return {
    format: 2,
    site: { url: 'https://acme.test/', domain: 'acme.test', title: 'Acme Bridges' },
    language: 'en',
    summary: 'Acme sells bridge planning software to public and private engineers.',
    offering: {
      summary: 'Bridge planning software for engineering offices.',
      products: ['Bridge planner'],
      valuePropositions: ['Half the planning time for every bridge'],
      evidence: [ref('p2.1')],
      support: 'supported',
    },
    personas: [
      samplePersona(),
      otherPersona(),
    ],
    droppedEvidence: [],
    withheld: [],
    generatedBy: { model: 'gpt-4o-mini', standIn: false },
    version: 1,
    ...overrides,
  };
}
