import { describe, expect, it } from 'vitest';
import type { LocatablePassage } from './passages.js';
import { assembleOffering, assemblePersona } from './report-assembly.js';
import type { ModelPersona } from './report.js';

const passages: LocatablePassage[] = [
  { id: 'p1.1', url: 'https://acme.test/', text: 'Acme sends invoices for freelancers and small agencies.' },
  { id: 'p1.2', url: 'https://acme.test/', text: 'Clients pay by card or bank transfer within days.' },
];

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
      passages,
    );
    expect(value.goals.map((g) => g.text)).toEqual(['Get paid within days.', 'Send invoices in minutes.']);
    expect(value.goals[0]!.evidence.map((e) => e.passageId)).toEqual(['p1.2', 'p1.1']);
    expect(value.goals[0]!.inferred).toBe(false);
    expect(value.channels).toEqual(['LinkedIn', 'Design forums']);
  });

  it('keeps different items, and a repeated claim without evidence stays inferred', () => {
    const { value } = assemblePersona(persona({ painPoints: [{ text: 'Chasing late payments.', evidence: [] }, { text: 'Chasing late payments', evidence: [] }, { text: 'Chasing late payments by phone.', evidence: [] }] }), 0, passages);
    expect(value.painPoints.map((p) => [p.text, p.inferred])).toEqual([
      ['Chasing late payments.', true],
      ['Chasing late payments by phone.', true],
    ]);
  });
});

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
