import { describe, expect, it } from 'vitest';
import { claimsRepeatedBesideOthers, claimsSaidTwice, inventedNamesShown, judgeReport, productsNotOnSite, promptSentences, repeatedPersonaShare } from './trust-oracle.js';

// The judge itself: it must see prompt text, repeats and products not on the site, and only those.

const SITE = 'Acme Invoicing helps freelancers send invoices. The Agency plan adds time tracking.';
const PROMPTS = [
  'Base every statement on the website text and never invent anything.\nNames already taken: Help Desk Software; Maria the freelancer\nRoles already taken: Studio owner',
];

const persona = (name: string, goals: string[]) => ({ name, role: 'Owner', summary: 'Runs a studio.', goals: goals.map((text) => ({ text, evidence: [] })), painPoints: [], objections: [], buyingTriggers: [], channels: [], messaging: [] });

describe('the trust judge', () => {
  it('takes the labels a prompt names as taken for the model\'s, its own words for prompt text', () => {
    const sentences = promptSentences(PROMPTS, SITE);
    expect(sentences).toContain('base every statement on the website text and never invent anything');
    expect(sentences).toContain('names already taken');
    expect(sentences.some((s) => s.includes('help desk software'))).toBe(false);
    const report = { personas: [persona('Help Desk Software', ['Base every statement on the website text']), persona('Names already taken: Studio owner', [])] };
    expect(judgeReport(report, new Map(), PROMPTS, SITE).promptText).toEqual([
      'personas[0].goals[0]: Base every statement on the website text',
      'personas[1].name: Names already taken: Studio owner',
    ]);
  });

  it('measures how much a persona repeats an earlier one, field by field', () => {
    const goals = ['Send invoices from the phone after a shoot', 'Track billable hours for every client'];
    expect(repeatedPersonaShare({ personas: [persona('A', goals), persona('B', goals)] })).toBe(1);
    expect(repeatedPersonaShare({ personas: [persona('A', goals), persona('B', ['Win retainers from agencies', 'Hire a second designer'])] })).toBe(0);
  });

  it('counts the claims a persona says again in a later list of its own', () => {
    const a = { ...persona('A', ['Send invoices fast', 'Track hours']), objections: [{ text: 'send  invoices FAST', evidence: [] }], buyingTriggers: [{ text: 'Track hours.', evidence: [] }, { text: 'A late client', evidence: [] }] };
    // Another persona's goal said again is not its own repeat.
    const b = { ...persona('B', ['Track hours']), painPoints: [{ text: 'A late client', evidence: [] }] };
    expect(claimsSaidTwice({ personas: [a, b] })).toBe(2);
    // The objection is all its list has; the trigger stands beside another claim.
    expect(claimsRepeatedBesideOthers({ personas: [a, b] })).toEqual(['A: buyingTriggers: track hours']);
  });

  it("finds the misbehaving stand-in's made-up social proof wherever a field shows it", () => {
    const p = { ...persona('A', ['Send invoices fast']), summary: 'Schreiben Sie Ihre Meinung Trusted by teams at Shopify, Airbnb and Deloitte.' };
    expect(inventedNamesShown({ summary: 'Acme helps freelancers.', personas: [p] })).toEqual(['personas[0].summary: Schreiben Sie Ihre Meinung Trusted by teams at Shopify, Airbnb and Deloitte.']);
  });

  it('finds products none of whose words the site says', () => {
    expect(productsNotOnSite({ offering: { products: ['Agency plan', 'Payroll services', 'Time tracking'] } }, SITE)).toEqual(['Payroll services']);
    // A product of short words only is judged by those: on the site when the site says them.
    expect(productsNotOnSite({ offering: { products: ['Foo Yea', 'Go Io'] } }, `${SITE} Foo yea!`)).toEqual(['Go Io']);
  });
});
