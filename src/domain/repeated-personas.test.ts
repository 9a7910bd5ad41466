import { describe, expect, it } from 'vitest';
import { GOOD_ANSWERS } from '../../test/support/good-answers.js';
import { CLAIM_FIELDS, type Claim, type Persona } from './report.js';
import { repeatedPersonas } from './repeated-personas.js';

const claim = (text: string): Claim => ({ text, evidence: [], inferred: true });
function persona(name: string, fields: Partial<Record<(typeof CLAIM_FIELDS)[number], string[]>>): Persona {
  return {
    name,
    role: `${name} role`,
    summary: `${name} summary`,
    goals: (fields.goals ?? []).map(claim),
    painPoints: (fields.painPoints ?? []).map(claim),
    objections: (fields.objections ?? []).map(claim),
    buyingTriggers: (fields.buyingTriggers ?? []).map(claim),
    channels: [],
    messaging: [],
    evidence: [],
    support: 'unsupported',
  };
}

const agencyOwner = persona('Agency owner', {
  goals: ['Bill every client for the hours the team tracked', 'Get paid within a week of delivering the work'],
  painPoints: ['Chasing late payments from clients takes a day each month', 'Time tracked in spreadsheets never matches the invoices'],
  objections: ['Moving years of client records from another invoicing tool'],
  buyingTriggers: ['A new retainer client who pays monthly'],
});

describe('repeatedPersonas', () => {
  it('finds a persona that copies an earlier one under another name, the later one named', () => {
    const copy = { ...agencyOwner, name: 'Studio lead', role: 'Runs a design studio' };
    expect(repeatedPersonas([agencyOwner, copy])).toEqual([{ index: 1, of: 0, repeated: 6, claims: 6 }]);
  });

  it('finds one whose claims are reworded a word or two, or their stems changed', () => {
    const reworded = persona('Studio lead', {
      goals: ['Bill each client for the hours the team tracked', 'Get paid within a week of delivering work'],
      painPoints: ['Chasing late payment from customers takes a whole day every month', 'Tracking time in spreadsheets never matches invoices'],
      objections: ['Moving client records from another tool'],
      buyingTriggers: ['Landing a big client'],
    });
    expect(repeatedPersonas([agencyOwner, reworded])).toEqual([{ index: 1, of: 0, repeated: 5, claims: 6 }]);
  });

  it('does not take personas with one claim in common, or the same words in other fields, for repeats', () => {
    const freelancer = persona('Freelance photographer', {
      goals: ['Send a professional invoice from the phone after a shoot', 'Get paid within a week of delivering the work'],
      painPoints: ['Writing invoices by hand after a long day of shooting'],
      objections: ['Paying a monthly fee for a handful of invoices'],
      buyingTriggers: ['Chasing late payments from clients takes a day each month', 'Time tracked in spreadsheets never matches the invoices'],
    });
    expect(repeatedPersonas([agencyOwner, freelancer])).toEqual([]);
  });

  it('needs three repeated claims: two short personas that share two are told apart by the rest of the report', () => {
    const short = persona('Studio lead', { goals: ['Bill every client for the hours the team tracked'], painPoints: ['Chasing late payments from clients takes a day each month'] });
    expect(repeatedPersonas([agencyOwner, short])).toEqual([]);
  });

  it('finds no repeats among the personas written by hand for saved pages', () => {
    for (const answer of GOOD_ANSWERS) {
      const personas = answer.personas.map((p) =>
        persona(p.name, Object.fromEntries(CLAIM_FIELDS.map((f) => [f, p[f].map((c) => c.text)]))),
      );
      expect(repeatedPersonas(personas), answer.fixture).toEqual([]);
    }
  });
});
