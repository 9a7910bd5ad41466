import { describe, expect, it } from 'vitest';
import type { LocatablePassage } from './passages.js';
import { assembleOffering, assemblePersona } from './report-assembly.js';
import type { ModelPersona, Persona } from './report.js';

const passages: LocatablePassage[] = [
  { id: 'p1.1', url: 'https://acme.test/', text: 'Acme sends invoices for freelancers and small agencies.' },
  { id: 'p1.2', url: 'https://acme.test/', text: 'Clients pay by card or bank transfer within days.' },
  { id: 'p1.3', url: 'https://acme.test/pricing', text: 'The Solo plan costs 9 euros a month.' },
  { id: 'p1.4', url: 'https://acme.test/about', text: 'Our team of twelve works remotely from Lisbon and Berlin.' },
];
/** The passages, with a report written in the site's language. */
const sources = { passages, language: 'en', corpus: { language: 'en' } };

const persona = (over: Partial<ModelPersona>): ModelPersona => ({
  name: 'Maria, the freelance designer',
  role: 'Freelance designer',
  summary: 'Maria invoices ten clients a month and hates chasing payments.',
  goals: [],
  painPoints: [],
  objections: [],
  buyingTriggers: [],
  channels: [],
  messaging: [],
  evidence: [],
  ...over,
});

describe('assemblePersona', () => {
  it('makes one item of a list item the model repeated, keeping the evidence of every copy', () => {
    const { value } = assemblePersona(
      persona({
        goals: [
          { text: 'Get paid within days.', evidence: [] },
          { text: 'Get  paid within DAYS. ', evidence: ['p1.2'] },
          { text: 'Send invoices in minutes.', evidence: ['p1.1'] },
          { text: 'get paid within days.', evidence: ['p1.2', 'p1.1'] },
        ],
        channels: ['LinkedIn', 'linkedin ', 'Design forums', 'LinkedIn'],
      }),
      0,
      sources,
    );
    expect(value.goals.map((g) => g.text)).toEqual(['Get paid within days.', 'Send invoices in minutes.']);
    expect(value.goals[0]!.evidence.map((e) => e.passageId)).toEqual(['p1.2', 'p1.1']);
    expect(value.goals[0]!.inferred).toBe(false);
    expect(value.channels).toEqual(['LinkedIn', 'Design forums']);
  });

  it('keeps different items, and a repeated claim without evidence stays inferred', () => {
    const { value } = assemblePersona(persona({ painPoints: [{ text: 'Chasing late payments.', evidence: [] }, { text: 'Chasing late payments', evidence: [] }, { text: 'Chasing late payments by phone.', evidence: [] }] }), 0, sources);
    expect(value.painPoints.map((p) => [p.text, p.inferred])).toEqual([
      ['Chasing late payments.', true],
      ['Chasing late payments by phone.', true],
    ]);
  });
});

describe('assemblePersona: citations that do not speak to their claims', () => {
  // A model citing without reading: the team passage for everything, one claim aside.
  const citingAtRandom = persona({
    goals: [
      { text: 'Send invoices from her phone between client meetings.', evidence: ['p1.4'] },
      { text: 'Know which clients pay by card.', evidence: ['p1.4', 'p1.2'] },
    ],
    painPoints: [{ text: 'Spreadsheets full of unpaid invoices.', evidence: ['p1.4'] }],
    objections: [{ text: 'Fears a monthly fee she cannot justify.', evidence: ['p1.4'] }],
    buyingTriggers: [{ text: 'A client who pays three months late.', evidence: ['p1.4'] }],
  });

  it('drops them where most of a persona\'s claims cite passages that share no word with them, and says so', () => {
    const { value, dropped } = assemblePersona(citingAtRandom, 0, sources);
    expect(value.goals.map((g) => g.evidence.map((e) => e.passageId))).toEqual([[], ['p1.2']]);
    expect(value.goals.map((g) => g.inferred)).toEqual([true, false]);
    expect([value.painPoints, value.objections, value.buyingTriggers].map((l) => l[0]!.inferred)).toEqual([true, true, true]);
    expect(dropped).toEqual(Array(5).fill({ reason: 'unrelated', cited: 'p1.4', part: { kind: 'persona', index: 0 } }));
    // Still supported: one claim cites a passage that speaks to it.
    expect(value.support).toBe('supported');
  });

  it('then drops the passages it cites as a whole that speak to none of its claims, and keeps one that does', () => {
    const { value, dropped } = assemblePersona({ ...citingAtRandom, evidence: ['p1.4', 'p1.2', 'p1.3'] }, 0, sources);
    // p1.2 ("pay by card") backs a goal; the team's office and the plan's price back nothing it says.
    expect(value.evidence.map((e) => e.passageId)).toEqual(['p1.2']);
    expect(dropped.slice(5)).toEqual([
      { reason: 'unrelated', cited: 'p1.4', part: { kind: 'persona', index: 0 } },
      { reason: 'unrelated', cited: 'p1.3', part: { kind: 'persona', index: 0 } },
    ]);
  });

  // A model citing by reading: most claims share words with their passages.
  const citingByReading = persona({
    goals: [{ text: 'Send invoices in minutes.', evidence: ['p1.1'] }, { text: 'Get paid by card.', evidence: ['p1.2'] }],
    painPoints: [{ text: 'Clients who transfer money weeks late.', evidence: ['p1.2'] }],
    objections: [{ text: 'Fears a monthly fee she cannot justify.', evidence: ['p1.3'] }],
    // No word of this one is in its passage: one of five, a paraphrase a good model writes.
    buyingTriggers: [{ text: 'Landing a bigger contract.', evidence: ['p1.1'] }],
  });

  it('keeps a citation in other words where most of the persona\'s claims cite passages that speak to them', () => {
    const { value, dropped } = assemblePersona(citingByReading, 0, sources);
    expect(dropped).toEqual([]);
    expect(CLAIMS(value).every((c) => c.evidence.length === 1)).toBe(true);
  });

  it('leaves the passages such a persona cites as a whole alone, even one that speaks to none of its claims', () => {
    const { value, dropped } = assemblePersona({ ...citingByReading, evidence: ['p1.1', 'p1.4'] }, 0, sources);
    expect(dropped).toEqual([]);
    expect(value.evidence.map((e) => e.passageId)).toEqual(['p1.1', 'p1.4']);
  });

  it('judges nothing where the claims are in another language than the passages they cite, whatever the report was asked in', () => {
    // A model that answered in German about an English site: no word in common, every citation right.
    const german = persona({
      goals: [
        { text: 'Rechnungen für ihre Kunden in wenigen Minuten verschicken, auch unterwegs zwischen zwei Terminen.', evidence: ['p1.1'] },
        { text: 'Zahlungen per Karte oder Überweisung schon nach wenigen Tagen auf dem Konto sehen.', evidence: ['p1.2'] },
      ],
      painPoints: [{ text: 'Ein Monatsbeitrag, der sich bei wenigen Aufträgen kaum lohnt.', evidence: ['p1.3'] }],
      objections: [{ text: 'Zweifel, ob ein kleines Team aus der Ferne verlässlich hilft.', evidence: ['p1.4'] }],
      buyingTriggers: [{ text: 'Der dritte Kunde in Folge, der erst nach Mahnung zahlt.', evidence: ['p1.2'] }],
    });
    const { value, dropped } = assemblePersona(german, 0, sources);
    expect(dropped).toEqual([]);
    expect(CLAIMS(value).every((c) => c.evidence.length === 1)).toBe(true);
  });

  it('goes by the language the claims are written in, not the one the report was asked in', () => {
    // Asked in German, answered in the site's English: the claims and their passages share a language, and are judged.
    const askedInGerman = { passages, language: 'de', corpus: { language: 'en' } };
    expect(assemblePersona(citingAtRandom, 0, askedInGerman).dropped.length).toBeGreaterThan(0);
  });
});

const CLAIMS = (p: Persona) => [...p.goals, ...p.painPoints, ...p.objections, ...p.buyingTriggers];

describe('assembleOffering', () => {
  it('lists a product or promise the model repeated once', () => {
    const { value } = assembleOffering(
      { summary: 'Invoicing for freelancers.', products: ['Invoicing', 'invoicing', 'Payments'], valuePropositions: ['Paid in days.', 'Paid in days.'], evidence: ['p1.1'] },
      passages,
    );
    expect(value.products).toEqual(['Invoicing', 'Payments']);
    expect(value.valuePropositions).toEqual(['Paid in days.']);
  });
});
