import { describe, expect, it } from 'vitest';
import { PROMPT_MARKERS, PROMPT_SCAFFOLDING, PROMPT_TERMS } from './prompts.js';
import { checkReportQuality, type QualityContext } from './quality.js';
import { withholdFailing } from './withhold.js';
import { claim, otherPersona, SAMPLE_PAGES, SAMPLE_PASSAGES, samplePersona, sampleReport } from '../../test/support/sample-report.js';

const ctx: QualityContext = { passages: SAMPLE_PASSAGES, pageTexts: SAMPLE_PAGES, siteContext: [], siteLanguage: 'en', scaffolding: PROMPT_SCAFFOLDING, markers: PROMPT_MARKERS, terms: PROMPT_TERMS };
const final = (r: ReturnType<typeof sampleReport>) => withholdFailing(r, checkReportQuality(r, ctx).issues);

describe('withholdFailing', () => {
  it('leaves a passing report as it is', () => {
    const r = sampleReport();
    expect(final(r)).toBe(r);
  });

  it('takes out failing list items and keeps the rest of the persona', () => {
    const r = sampleReport();
    r.personas[0] = samplePersona({ goals: [claim('c'), claim('Finish bridge plans faster', 'p1.1')], channels: ['<li>', 'Trade fairs'] });
    const out = final(r);
    expect(out.personas[0]!.goals.map((g) => g.text)).toEqual(['Finish bridge plans faster']);
    expect(out.personas[0]!.channels).toEqual(['Trade fairs']);
    expect(out.withheld.map((w) => w.field)).toEqual(['goals', 'channels']);
    // Which item, and the rule it broke, so the notes can say several items' reason once.
    expect(out.withheld.map((w) => [w.item, w.rule])).toEqual([[0, 'junk'], [0, 'junk']]);
  });

  it('takes out a claim and a value proposition with a figure the site does not give', () => {
    const r = sampleReport();
    r.offering!.valuePropositions = ['Plans from 99 euros a month', 'Saves engineers 12 hours a week'];
    r.personas[0] = samplePersona({ goals: [claim('Finish bridge plans faster', 'p1.1'), claim('Cut costs by 30%')] });
    const out = final(r);
    expect(out.offering!.valuePropositions).toEqual(['Plans from 99 euros a month']);
    expect(out.personas[0]!.goals.map((g) => g.text)).toEqual(['Finish bridge plans faster']);
    expect(out.withheld.map((w) => w.reason)).toEqual(['valuePropositions[1] gives a number the site does not state', 'goals[1] gives a number the site does not state']);
  });

  it('takes out a persona whose name is junk or prompt text, and a duplicate persona, saying why', () => {
    const r = sampleReport();
    r.personas = [
      samplePersona({ name: 'Page 1: https://acme.test/' }),
      otherPersona({ name: 'Tom, the owner', role: 'Office owner' }),
      otherPersona({ name: 'tom, the owner', role: 'Owner' }),
      // Persona 1's claims under another name.
      samplePersona({ name: 'Eva, the planner', role: 'Planner at a state agency' }),
    ];
    const out = final(r);
    expect(out.personas.map((p) => p.name)).toEqual(['Tom, the owner']);
    expect(out.withheld.map((w) => w.reason)).toEqual([
      expect.stringMatching(/^persona 1 withheld: name holds a line of the prompt format/),
      expect.stringMatching(/^persona 3 withheld: name repeats persona 2/),
      "persona 4 withheld: 4 of its 4 goals, pain points, objections and buying triggers say what persona 1's do",
    ]);
  });

  it('withholds an unusable summary and offering, and removes evidence that does not verify', () => {
    const r = sampleReport({ summary: 'TODO' });
    r.offering = { ...r.offering!, summary: '{"summary": "' };
    r.personas[1] = otherPersona({ evidence: [{ passageId: 'p1.1', url: 'https://acme.test/', quote: 'Invented.' }], goals: [claim('Win tenders')] });
    const out = final(r);
    expect(out.summary).toBeNull();
    expect(out.offering).toBeNull();
    expect(out.personas[1]!.evidence).toEqual([]);
    expect(out.personas[1]!.support).toBe('unsupported');
    // Nothing left fails a rule that disqualifies a field.
    const again = checkReportQuality(out, ctx).issues.filter((i) => !['unsupported', 'required_section'].includes(i.rule));
    expect(again).toEqual([]);
  });
});
