import type { Persona, ReportContent } from '../../src/domain/report.js';

/** A persona that passes every quality rule against SAMPLE_PAGES. */
export function samplePersona(overrides: Partial<Persona> = {}): Persona {
  return {
    name: 'Maria, the municipal engineer',
    role: 'Lead bridge engineer at a city',
    summary: 'Plans and inspects bridges for a mid-sized city.',
    goals: ['Finish bridge plans faster'],
    painPoints: ['Manual load calculations take weeks'],
    objections: ['Unsure whether the tool meets public procurement rules'],
    buyingTriggers: ['A new bridge project is funded'],
    channels: ['Engineering trade fairs'],
    messaging: ['Plan safer bridges in half the time'],
    evidence: [{ quote: 'We help municipal engineers plan safer bridges in half the time.', sourceUrl: 'https://acme.test/' }],
    ...overrides,
  };
}

/** A complete two-persona report whose every quote appears in SAMPLE_PAGES. */
export function sampleReport(overrides: Partial<ReportContent> = {}): ReportContent {
  return {
    site: { url: 'https://acme.test/', domain: 'acme.test', title: 'Acme Bridges' },
    language: 'en',
    summary: 'Acme sells bridge planning software to public and private engineers.',
    offering: {
      summary: 'Bridge planning software.',
      products: ['Bridge planner'],
      valuePropositions: ['Half the planning time'],
      evidence: [{ quote: 'Plans start at 99 euros per month for small offices.', sourceUrl: 'https://acme.test/pricing' }],
    },
    personas: [
      samplePersona(),
      samplePersona({
        name: 'Tom, the office owner',
        role: 'Owner of a small engineering office',
        evidence: [{ quote: 'Large firms ask for a quote.', sourceUrl: 'https://acme.test/pricing' }],
      }),
    ],
    generatedBy: { model: 'gpt-4o-mini', standIn: false },
    version: 1,
    ...overrides,
  };
}

/** The cleaned text of the sample site's pages, by URL. */
export const SAMPLE_PAGES = new Map([
  ['https://acme.test/', 'Acme builds bridges.\n\nWe help municipal   engineers plan safer bridges in half the time.'],
  ['https://acme.test/pricing', 'Plans start at 99 euros per month for small offices. Large firms ask for a quote.'],
]);
