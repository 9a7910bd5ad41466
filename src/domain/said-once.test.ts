import { describe, expect, it } from 'vitest';
import { claim, samplePersona, sampleReport } from '../../test/support/sample-report.js';
import { sayClaimsOnce } from './said-once.js';

describe('sayClaimsOnce', () => {
  it('leaves a claim said in an earlier list out of a later one, its evidence joined to the first', () => {
    const report = sampleReport();
    report.personas = [
      samplePersona({
        goals: [claim('Get paid within days.'), claim('Send invoices in minutes.', 'p1.1')],
        painPoints: [claim('Chasing late payments.'), claim('get paid within days', 'p2.1')],
        objections: [claim('Send invoices in minutes.', 'p2.1'), claim('Chasing late payments.')],
        buyingTriggers: [claim('A client who pays three months late.')],
      }),
    ];
    const [p] = sayClaimsOnce(report).personas;
    expect(p!.goals.map((c) => [c.text, c.evidence.map((e) => e.passageId), c.inferred])).toEqual([
      ['Get paid within days.', ['p2.1'], false],
      ['Send invoices in minutes.', ['p1.1'], false],
    ]);
    expect(p!.painPoints.map((c) => c.text)).toEqual(['Chasing late payments.']);
    // Both objections were said before: the first stays, with its own evidence, rather than none.
    expect(p!.objections.map((c) => c.text)).toEqual(['Send invoices in minutes.']);
    expect(p!.buyingTriggers.map((c) => c.text)).toEqual(['A client who pays three months late.']);
    // What it was handed is unchanged, and a second pass changes nothing.
    expect(report.personas[0]!.painPoints).toHaveLength(2);
    expect(report.personas[0]!.goals[0]!.evidence).toEqual([]);
    expect(sayClaimsOnce(sayClaimsOnce(report))).toEqual(sayClaimsOnce(report));
  });

  it('compares a persona with itself only, and changes a report without repeats in nothing', () => {
    const report = sampleReport();
    report.personas = [samplePersona({ goals: [claim('Plan faster.')] }), samplePersona({ name: 'Tom', painPoints: [claim('Plan faster.')] })];
    expect(sayClaimsOnce(report)).toEqual(report);
  });
});
