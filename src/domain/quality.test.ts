import { describe, expect, it } from 'vitest';
import { PROMPT_MARKERS, PROMPT_SCAFFOLDING, PROMPT_TERMS } from './prompts.js';
import { checkReportQuality, failingParts, echoIndex, findPlaceholder, junkReason, promptEcho, type QualityContext } from './quality.js';
import { claim, otherPersona, ref, SAMPLE_PAGES, SAMPLE_PASSAGES, samplePersona, sampleReport } from '../../test/support/sample-report.js';
import type { Persona } from './report.js';

const ctx: QualityContext = { passages: SAMPLE_PASSAGES, pageTexts: SAMPLE_PAGES, siteContext: [], siteLanguage: 'en', scaffolding: PROMPT_SCAFFOLDING, markers: PROMPT_MARKERS, terms: PROMPT_TERMS };
const check = (r = sampleReport()) => checkReportQuality(r, ctx);

describe('checkReportQuality', () => {
  it('passes a complete report whose evidence is stored passages, and states the share of claims with evidence', () => {
    const result = check();
    expect(result.issues).toEqual([]);
    expect(result.passed).toBe(true);
    // Each sample persona: 1 of 4 claims cites a passage.
    expect(result.claims).toEqual({ total: 8, withEvidence: 2, share: 0.25 });
    expect(result.fields.rejected).toBe(0);
    expect(result.droppedEvidence).toEqual({});
  });

  it('re-verifies evidence against the stored passages and pages: a quote that is not the passage fails on its persona only', () => {
    const r = sampleReport();
    r.personas[1]!.evidence = [{ passageId: 'p1.1', url: 'https://acme.test/', quote: 'Acme is loved by every engineer in Europe.' }];
    const result = check(r);
    expect(result.issues).toEqual([expect.objectContaining({ part: { kind: 'persona', index: 1 }, rule: 'evidence_not_found' })]);
    expect(result.droppedEvidence).toEqual({ 'persona 2': { count: 1, reasons: { unverified: 1 } } });
  });

  it('fails evidence cited to another page than the passage is on', () => {
    const r = sampleReport();
    r.offering!.evidence = [{ ...ref('p2.1'), url: 'https://acme.test/' }];
    expect(check(r).issues.map((i) => i.rule)).toEqual(['evidence_not_found']);
  });

  it('rejects the junk weak models write, field by field', () => {
    const r = sampleReport({ summary: '": "' });
    r.personas[0] = samplePersona({ name: '0_3t4z6w6p59l1b281c68a0y', goals: [claim('c'), claim('d')], painPoints: [claim('<div class="card"><p>Pain</p></div>')] });
    const issues = check(r).issues;
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ part: { kind: 'summary' }, rule: 'junk' }),
        expect.objectContaining({ part: { kind: 'persona', index: 0 }, field: 'name', rule: 'junk' }),
        expect.objectContaining({ field: 'goals', item: 0, rule: 'junk' }),
        expect.objectContaining({ field: 'goals', item: 1, rule: 'junk' }),
        expect.objectContaining({ field: 'painPoints', item: 0, rule: 'junk' }),
      ]),
    );
    expect(check(r).fields.rejected).toBe(5);
  });

  it('rejects fields that repeat the prompt: markers, page headers, instruction sentences, the person\'s own instructions', () => {
    const r = sampleReport({ instructions: 'Focus on large construction companies in Bavaria please' });
    r.personas[0] = samplePersona({
      name: 'Page 2: https://acme.test/pricing',
      role: 'B2B marketing analyst',
      summary: 'Base every statement on the website text and never invent anything.',
      goals: [claim('[p1.1] Acme builds bridges.'), claim('Focus on large construction companies in Bavaria please')],
    });
    const issues = check(r).issues.filter((i) => i.rule === 'prompt_echo');
    expect(issues.map((i) => `${i.field}${i.item ?? ''}`)).toEqual(['name', 'role', 'summary', 'goals0', 'goals1']);
  });

  it('catches short prompt lines strung together and lines whose numbers differ from the template', () => {
    const index = echoIndex(ctx, 'Acme builds bridges. Plans start at 12 EUR per month.');
    // Problem lines of a repair request, each under six words, as one field.
    expect(promptEcho('- goals is empty - goals item 2 is empty', index)).toBe('repeats the instructions');
    // Filled-in numbers: "item 7", "persona 3 of 4", "exactly 4".
    expect(promptEcho('painPoints item 7 is placeholder text, a non-answer (leave out what the site does not say)', index)).toBe('repeats the instructions');
    expect(promptEcho('objections item 3 is empty', index)).toBe('repeats the instructions');
    expect(promptEcho('Rewrite persona 3 of 4 of a customer persona report.', index)).toBe('repeats the instructions');
    expect(promptEcho('exactly 4 distinct customer persona(s)', index)).toBe('repeats the instructions');
    // What the model was told about its last answer.
    expect(promptEcho('The answer was cut off at the token limit.', index)).toBe('repeats the instructions');
  });

  it('does not call a sentence an echo for a few prompt words here and there, nor numbers the site gives', () => {
    const index = echoIndex(ctx, 'Acme builds bridges. Plans start at 12 EUR per month.');
    // "the website text" and "customer persona report" are prompt runs, but not six words in a row.
    expect(promptEcho('Keeps the website text current while the team writes a customer persona report each quarter.', index)).toBeNull();
    expect(promptEcho('Plans start at 15 EUR per month for small studios.', index)).toBeNull();
    expect(promptEcho('Two engineers review each of the 3 bridge designs per week.', index)).toBeNull();
  });

  it('knows the person\'s instructions with the label they were sent under', () => {
    const r = sampleReport({ instructions: 'Focus on small agencies.' });
    r.personas[0] = samplePersona({ goals: [claim('the rules above): Focus on small agencies.')] });
    const issues = check(r).issues;
    expect(issues).toEqual([expect.objectContaining({ field: 'goals', item: 0, rule: 'prompt_echo' })]);
  });

  it('catches a field that talks about the prompt, unless the site uses the same words', () => {
    const said = 'As the numbered passages show, the company serves many customers.';
    expect(promptEcho(said, echoIndex(ctx, 'Acme builds bridges.'))).toBe('talks about the prompt instead of the company');
    expect(promptEcho('Research notes', echoIndex(ctx, 'Acme builds bridges.'))).toBe('talks about the prompt instead of the company');
    // A developer tool's own words.
    expect(promptEcho('Validates every request against its JSON Schema.', echoIndex(ctx, 'Acme validates every request against its JSON Schema.'))).toBeNull();
  });

  it('does not call site text an echo even when the prompt says the same', () => {
    const site = 'We are a B2B marketing analyst team for bridge builders.';
    expect(promptEcho('B2B marketing analyst', echoIndex({ scaffolding: PROMPT_SCAFFOLDING, markers: PROMPT_MARKERS, terms: PROMPT_TERMS }, site))).toBeNull();
    expect(promptEcho('B2B marketing analyst', echoIndex({ scaffolding: PROMPT_SCAFFOLDING, markers: PROMPT_MARKERS, terms: PROMPT_TERMS }, 'Bridges.'))).not.toBeNull();
  });

  it('does not take the company or a product for a persona', () => {
    const r = sampleReport();
    r.site = { ...r.site, domain: 'www.acme-invoicing.test', title: 'Acme Invoicing | Invoices for freelancers' };
    r.offering!.products = ['Acme Pay'];
    const named = (name: string) => {
      r.personas[0] = samplePersona({ name });
      return check(r).issues.filter((i) => i.field === 'name').map((i) => i.message);
    };
    for (const name of ['Acme Invoicing', 'acme-invoicing', 'Acme Pay', 'Invoices for freelancers']) {
      expect(named(name)).toEqual(["name is the name of the site, the company or a product, not of a customer"]);
    }
    expect(named('Maria Acme')).toEqual([]);
    // A word of the company's name that the domain is made of names the company alone, too.
    for (const name of ['Acme', 'ACME', 'Invoicing']) expect(named(name), name).toEqual(["name is the name of the site, the company or a product, not of a customer"]);
    // A word of the title the domain does not carry is free: the persona may share it.
    expect(named('Freelancers')).toEqual([]);
    r.site = { ...r.site, domain: 'studio-k.de', title: 'Maria Keller | Design studio' };
    r.offering!.products = [];
    expect(named('Maria')).toEqual([]);
    expect(named('Maria Keller')).toEqual(["name is the name of the site, the company or a product, not of a customer"]);
  });

  it('rejects non-answers and talk about the model\'s sources, each with its reason; source talk the site says itself passes', () => {
    const r = sampleReport();
    r.personas[0] = samplePersona({
      painPoints: [claim('The text does not mention any pain points.')],
      channels: ['Not specified'],
    });
    r.offering!.valuePropositions = ['Based on the provided text, bridges that last.'];
    expect(check(r).issues.map((i) => [i.field, i.rule, i.message])).toEqual([
      ['valuePropositions', 'prompt_echo', 'valuePropositions[0] talks about its sources instead of the company'],
      ['painPoints', 'prompt_echo', 'painPoints[0] talks about its sources instead of the company'],
      ['channels', 'placeholder', 'channels[0] says only that the site does not tell'],
    ]);
    const site = { ...ctx, passages: [...SAMPLE_PASSAGES, { ...SAMPLE_PASSAGES[0]!, id: 'p9.1', text: 'Based on the provided text, our engineers check every weld.' }] };
    r.offering!.valuePropositions = ['Based on the provided text, our engineers check every weld.'];
    expect(checkReportQuality(r, site).issues.filter((i) => i.part.kind === 'offering')).toEqual([]);
  });

  it('rejects a figure the site does not give where the report speaks for the company or makes a claim, and a statistic in a persona\'s portrait', () => {
    const r = sampleReport();
    r.offering!.valuePropositions = ['Plans from 99 euros a month', 'Trusted by over 10,000 engineering firms'];
    r.personas[0] = samplePersona({
      summary: 'Maria, 44, has planned bridges for 20 years.',
      goals: [claim('Cut planning time by 40%', 'p1.1')],
    });
    expect(check(r).issues.map((i) => [i.part.kind, i.field, i.item, i.rule, i.message])).toEqual([
      ['offering', 'valuePropositions', 1, 'unstated_figure', 'valuePropositions[1] gives a number the site does not state'],
      ['persona', 'goals', 0, 'unstated_figure', 'goals[0] gives a number the site does not state'],
    ]);
    // A figure the prompt showed beside the passages (here a page's structured data) is the site's.
    expect(checkReportQuality(r, { ...ctx, siteContext: ['Over 10,000 engineering firms plan with Acme', 'Planning time: -40%'] }).issues).toEqual([]);
    // A portrait may give an age, not the company's statistics.
    r.personas[1] = otherPersona({ summary: 'Tom saves his office 11.6 hours every week.' });
    expect(check(r).issues.filter((i) => i.part.kind === 'persona' && i.part.index === 1).map((i) => [i.field, i.rule])).toEqual([['summary', 'unstated_figure']]);
  });

  it('rejects customers, partners or press the site does not name where the report speaks for the company or makes a claim', () => {
    const r = sampleReport({ summary: 'Acme sells bridge planning software, trusted by Siemens and Arup.' });
    r.offering!.valuePropositions = ['Half the planning time for every bridge', 'Integrates with Autodesk Revit'];
    r.personas[0] = samplePersona({
      summary: 'Maria plans bridges for the City of Bern and reads Bauwelt.',
      objections: [claim('Maria already uses Excel for load tables')],
      channels: ['LinkedIn groups'],
      messaging: ['Show Maria on LinkedIn how Acme plans safer bridges'],
    });
    expect(check(r).issues.map((i) => [i.part.kind, i.field, i.item, i.rule, i.message])).toEqual([
      ['summary', 'summary', undefined, 'unstated_name', 'summary names companies, products or people the site does not mention'],
      ['offering', 'valuePropositions', 1, 'unstated_name', 'valuePropositions[1] names companies, products or people the site does not mention'],
      ['persona', 'objections', 0, 'unstated_name', 'objections[0] names a company, product or person the site does not mention'],
    ]);
    // Names the site gives, in what the prompt showed beside its passages, pass.
    const site = { ...ctx, siteContext: ['Customers: Siemens, Arup', 'Works with Autodesk Revit and Excel'] };
    expect(checkReportQuality(r, site).issues).toEqual([]);
    // A report in another language than the site's invents no names either ...
    expect(checkReportQuality(r, { ...ctx, siteLanguage: 'de' }).issues.map((i) => i.rule)).toEqual(['unstated_name', 'unstated_name', 'unstated_name']);
    // ... but may name the site's places and languages in its own words; in the site's language it uses the site's.
    const placed = sampleReport({ summary: 'Acme sells bridge planning software to cities in Germany and Austria, from its office in Munich, in German and Italian.' });
    expect(checkReportQuality(placed, { ...ctx, siteLanguage: 'de' }).issues).toEqual([]);
    expect(check(placed).issues.map((i) => i.rule)).toEqual(['unstated_name']);
    // A capitalised word the report writes in small letters elsewhere is an ordinary word, not a name.
    const titled = sampleReport({ summary: 'Acme plans bridges with its Structural Review team.' });
    expect(checkReportQuality(titled, { ...ctx, siteLanguage: 'de' }).issues.map((i) => i.rule)).toEqual(['unstated_name']);
    titled.offering!.valuePropositions = ['A structural review of every bridge'];
    expect(checkReportQuality(titled, { ...ctx, siteLanguage: 'de' }).issues).toEqual([]);
    // A name the requester asked about may be named.
    r.summary = 'Acme sells bridge planning software.';
    r.offering!.valuePropositions = ['Half the planning time for every bridge'];
    expect(check({ ...r, instructions: 'Focus on engineers who use Excel' }).issues).toEqual([]);
  });

  it("lets a persona's labels license names in its own sentences, not in the company's", () => {
    // SmolLM2 named a persona "Elon-Chrome"; the report's summary then spoke of "the new E-Chrome product".
    const r = sampleReport({ summary: 'The new E-Chrome product plans bridges.' });
    r.personas[0] = samplePersona({ name: 'Elon-Chrome', channels: ['Chrome Web Store'], messaging: ['Show Elon-Chrome how Acme plans safer bridges'] });
    expect(check(r).issues.map((i) => [i.part.kind, i.field, i.rule])).toEqual([['summary', 'summary', 'unstated_name']]);
    // A product the site offers licenses its name in the offering and summary; one it does not, nothing.
    r.summary = 'Acme sells Bridge Planner to cities.';
    r.offering!.products = ['Bridge Planner'];
    expect(check(r).issues).toEqual([]);
    r.summary = 'Acme sells Chrome Planner to cities.';
    r.offering!.products = ['Chrome Planner'];
    expect(check(r).issues.map((i) => [i.part.kind, i.field, i.rule])).toEqual([
      ['summary', 'summary', 'unstated_name'],
      ['offering', 'products', 'unstated_name'],
    ]);
  });

  it("holds a sentence of a persona's summary that speaks of no one to the names rule", () => {
    const r = sampleReport();
    const summaryIssues = (summary: string, persona: Partial<Persona> = {}) =>
      check({ ...r, personas: [samplePersona({ ...persona, summary })] }).issues.map((i) => [i.field, i.rule]);
    // Social proof added after the portrait, or alone, speaks for the company.
    expect(summaryIssues('Maria plans bridges for the City of Bern. Trusted by teams at Shopify, Airbnb and Deloitte.')).toEqual([['summary', 'unstated_name']]);
    expect(summaryIssues('Recommended by analysts at Gartner.')).toEqual([['summary', 'unstated_name']]);
    // A sentence about the customer, by name or pronoun, may name their world; a fragment with neither is held to the rule.
    expect(summaryIssues('Maria plans bridges for the City of Bern. She reads Bauwelt and Structure.')).toEqual([]);
    expect(summaryIssues('Lead engineer of the City of Bern, reading Bauwelt.')).toEqual([['summary', 'unstated_name']]);
    expect(summaryIssues('Tom leitet das Bauamt. Er liest Bauwelt und Detail.', { name: 'Tom' })).toEqual([]);
    // The polite German "Sie" inside a sentence is the company speaking to its reader, not a customer.
    expect(summaryIssues('Schreiben Sie Ihre Meinung an HubSpot.', { name: 'Tom', role: 'Kunde' })).toEqual([['summary', 'unstated_name']]);
  });

  it('flags a sentence cut off at its field\'s length limit', () => {
    // The stand-in copied a 300-character passage sentence into a claim and cut it to fit the schema.
    const long = 'Das sehr breite Themenspektrum (von Regionalwährungen, über Crowdfunding, Gemeinschaftsgarten und IT) veranlasste uns im Sommer 2015 zu einer Zellteilung, sodass wir die Geschäftsfelder Cloud und Informatik wieder in den PUBLIC VOICE Lab';
    const r = sampleReport();
    r.personas[0] = samplePersona({ goals: [claim(long, 'p1.1'), claim(`${long.slice(0, 200)}.`, 'p1.1')] });
    expect(check(r).issues.filter((i) => i.rule === 'junk').map((i) => [i.field, i.item, i.message])).toEqual([['goals', 0, 'goals[0] stops mid-sentence at the length limit']]);
    // A summary has a longer limit: the same words end it well short of that.
    r.personas[0] = samplePersona({ summary: long });
    expect(check(r).issues.filter((i) => i.rule === 'junk')).toEqual([]);
  });

  it('flags a role that repeats the persona\'s name', () => {
    const r = sampleReport();
    r.personas[0] = samplePersona({ name: 'Stein', role: 'stein' });
    expect(check(r).issues.map((i) => [i.field, i.rule, i.message])).toEqual([['role', 'placeholder', "role repeats the persona's name; give the persona a real role"]]);
    expect(check(r).fields.rejected).toBe(1);
  });

  it('flags a name or role that is a word and a number', () => {
    const r = sampleReport();
    r.personas[0] = samplePersona({ name: 'Agent 7', role: 'Premise 1' });
    expect(check(r).issues.map((i) => i.message)).toEqual(['name is generic; give the persona a real name', 'role is generic; give the persona a real role']);
    r.personas[0] = samplePersona({ role: 'Web3 founder' });
    expect(check(r).issues).toEqual([]);
  });

  it('flags placeholders and generic names', () => {
    const r = sampleReport();
    r.personas[0] = samplePersona({ name: 'Persona 1', messaging: ['[insert company name] helps you'] });
    expect(check(r).issues.map((i) => [i.field, i.rule])).toEqual([
      ['name', 'placeholder'],
      ['messaging', 'placeholder'],
    ]);
  });

  it("withholds a product the site does not offer, where the offering is in the site's language", () => {
    const r = sampleReport();
    r.offering!.products = ['Bridge planner', 'Tunnel boring machines', 'Payroll services'];
    expect(check(r).issues.map((i) => [i.field, i.item, i.rule, i.message])).toEqual([
      ['products', 1, 'unstated_name', 'products[1] names a product the site does not mention'],
      ['products', 2, 'unstated_name', 'products[2] names a product the site does not mention'],
    ]);
    // An offering in another language than the site's names things in other words: not judged.
    r.offering!.summary = 'Acme verkauft eine Software, mit der Ingenieurbüros und Städte ihre Brücken in der halben Zeit planen und sicherer bauen können.';
    r.offering!.valuePropositions = ['Die halbe Planungszeit für jede Brücke, von der ersten Skizze bis zur Genehmigung durch die Behörde'];
    expect(check(r).issues.filter((i) => i.field === 'products')).toEqual([]);
  });

  it('withholds a product named by short and common words only, in any language', () => {
    const r = sampleReport();
    r.offering!.products = ['Bridge planner', 'Was I', 'Go', 'Plan A'];
    expect(check(r).issues.map((i) => [i.field, i.item, i.rule, i.message])).toEqual([
      ['products', 1, 'junk', 'products[1] is only short or common words, no name'],
      ['products', 2, 'junk', 'products[2] is only short or common words, no name'],
    ]);
  });

  it('marks a part without any evidence unsupported', () => {
    const r = sampleReport();
    r.offering = { ...r.offering!, evidence: [], support: 'unsupported' };
    r.personas[1] = otherPersona({ evidence: [], goals: [claim('Win more tenders')] });
    const issues = check(r).issues;
    expect(issues.map((i) => [i.part.kind, i.rule])).toEqual([
      ['offering', 'unsupported'],
      ['persona', 'unsupported'],
    ]);
  });

  it('tallies dropped evidence per part and reason', () => {
    const r = sampleReport({
      droppedEvidence: [
        { part: { kind: 'offering' }, reason: 'unknown_id', cited: 'p9.9' },
        { part: { kind: 'offering' }, reason: 'not_found', cited: 'Acme is the best' },
        { part: { kind: 'persona', index: 0 }, reason: 'unknown_id', cited: 'p7.1' },
      ],
    });
    expect(check(r).droppedEvidence).toEqual({
      offering: { count: 2, reasons: { unknown_id: 1, not_found: 1 } },
      'persona 1': { count: 1, reasons: { unknown_id: 1 } },
    });
  });

  it('asks for the later of two personas with the same name or role to be redone', () => {
    const r = sampleReport();
    r.personas[1] = samplePersona({ name: 'maria, the municipal engineer' });
    const issues = check(r).issues;
    expect(issues).toEqual([
      expect.objectContaining({ part: { kind: 'persona', index: 1 }, field: 'name', rule: 'distinct_personas' }),
      expect.objectContaining({ part: { kind: 'persona', index: 1 }, field: 'role', rule: 'distinct_personas' }),
    ]);
  });

  it('lists failing parts once each, in report order', () => {
    const r = sampleReport({ summary: 'TODO' });
    r.personas[1] = samplePersona({ name: 'x', role: 'y' });
    expect(failingParts(check(r).issues)).toEqual([{ kind: 'summary' }, { kind: 'persona', index: 1 }]);
  });
});

describe('junkReason', () => {
  it.each([
    ['": "', 'has no words'],
    ['c', 'has no words'],
    ['ok: 12-34/56-78', 'is mostly punctuation or digits'],
    ['<p>Pain</p>', 'contains markup'],
    ['{"goals": ["x"]', 'contains a JSON fragment'],
    ['0_3t4z6w6p59l1b281c68a0y', 'is an identifier, not words'],
    ['evidence:Stein', 'is an identifier, not words'],
    ['Pricing | The Solo | The Studio', 'is a list (of headings, names or a page title), not a label'],
    ['Acme · Invoicing · Freelancers', 'is a list (of headings, names or a page title), not a label'],
    // The repair prompt's "Names already taken: ..." line, its list copied as a name.
    ['Dana Ruiz; Marco Lee', 'is a list (of headings, names or a page title), not a label'],
    // Fragments of headings a weak model (and the stand-in) cuts labels from.
    ['Acme Invoicing Acme Invoicing', 'says the same words twice'],
    ['About Acme We', 'stops mid-phrase'],
    ['Invoices for', 'stops mid-phrase'],
    ['Leiter der', 'stops mid-phrase'],
    ['Schreiben Sie Ihre', 'stops mid-phrase'],
    ['Découvrez nos', 'stops mid-phrase'],
    // A preposition: a role the cooperative stand-in cut from "We started Acme after years of ...".
    ['Acme after', 'stops mid-phrase'],
    ['Beratung über', 'stops mid-phrase'],
    // A key of the JSON a weak model (SmolLM2) wrote as a product.
    ['pricesList:', 'stops mid-phrase'],
    // A decoding loop, as SmolLM2 wrote it.
    ['Acme offers a wide range of products and services, including a range of products, including a range of products, including a range of items', 'says the same words over and over'],
    // The same loop with the commas where SmolLM2 put them: "products," is "products".
    ['Acme offers a range of products and services, including a range of products, including a range of products,', 'says the same words over and over'],
  ])('%s: %s', (text, reason) => {
    expect(junkReason(text, 'label')).toBe(reason);
  });

  it('accepts real words, short labels and product names', () => {
    for (const ok of ['Plan A', 'Head of Growth', 'Word of mouth', 'Sales Sales Manager', 'Maria', 'CFO', 'Web3 agencies', 'Plan safer bridges in half the time', 'Acme Invoicing', 'Founder · CEO', 'R&D lead (hardware/software)', 'https://www.linkedin.com', 'Webinars: monthly']) expect(junkReason(ok, 'label')).toBeNull();
    // A sentence may say "A | B" in passing; only labels must not be lists.
    expect(junkReason('Teams compare plans on the Pricing | Plans page before they buy.', 'sentence')).toBeNull();
    expect(junkReason('Growth', 'sentence')).toBe('is too short to say anything');
  });
});

describe('findPlaceholder', () => {
  it('finds template leftovers', () => {
    expect(findPlaceholder('TODO: fill in')).toBe('TODO');
    expect(findPlaceholder('Contact us at info@example.com')).toBe('example.com');
    expect(findPlaceholder('Contact us at info@example.com', { allowExampleDomain: true })).toBeNull();
    expect(findPlaceholder('Bridges for cities')).toBeNull();
  });
});

describe('the report language', () => {
  const english = samplePersona({
    summary: 'Maria plans and inspects the bridges of a mid-sized city and answers to its council for every one of them.',
    goals: [claim('Finish every bridge plan in half the time it takes her team today', 'p1.1')],
    painPoints: [claim('Manual load calculations take weeks and hold up the approval of each project')],
  });
  const german = samplePersona({
    summary: 'Maria plant und prüft die Brücken einer mittelgroßen Stadt und ist dem Gemeinderat für jede einzelne verantwortlich.',
    goals: [claim('Jeden Brückenplan in der Hälfte der Zeit fertigstellen, die ihr Team heute dafür braucht', 'p1.1')],
    painPoints: [claim('Statische Berechnungen von Hand dauern Wochen und halten die Genehmigung jedes Projekts auf')],
    messaging: ['Sicherere Brücken in der halben Zeit planen'],
  });
  const languageIssues = (r: ReturnType<typeof sampleReport>) => check(r).issues.filter((i) => i.rule === 'wrong_language').map((i) => [i.part, i.message]);

  it('flags a part written in another language than the report\'s, and not one in it', () => {
    expect(languageIssues(sampleReport({ language: 'de', personas: [english, german] }))).toEqual([
      [{ kind: 'persona', index: 0 }, "persona 1 is written in English, not in German, the report's language"],
    ]);
    expect(languageIssues(sampleReport({ language: 'en', personas: [english, samplePersona({ name: 'Tom', role: 'Office owner' })] }))).toEqual([]);
  });

  it('allows a part in another language than the site\'s its own names for the site\'s places, and no invented names', () => {
    // A German site's report asked in German: the model answered one persona in English.
    const site = { ...ctx, siteLanguage: 'de' };
    const rule = (r: ReturnType<typeof sampleReport>) => checkReportQuality(r, site).issues.filter((i) => i.rule === 'unstated_name').map((i) => [i.part, i.field, i.item]);
    const inEnglish = (pain: string) => samplePersona({ ...english, painPoints: [claim(pain)] });
    const inGerman = samplePersona({ ...german, painPoints: [claim('Statische Berechnungen dauern in Deutschland Wochen, auch mit HubSpot, und halten jede Genehmigung auf')] });
    // "Germany" in English is the site's "Deutschland" in its own words; "HubSpot" is a name the site never gives, in either language.
    expect(rule(sampleReport({ language: 'de', personas: [inEnglish('Manual load calculations take weeks in Germany and hold up the approval of each project'), inGerman] }))).toEqual([
      [{ kind: 'persona', index: 1 }, 'painPoints', 0],
    ]);
    expect(rule(sampleReport({ language: 'de', personas: [inEnglish('Manual load calculations in HubSpot take weeks and hold up the approval of each project')] }))).toEqual([
      [{ kind: 'persona', index: 0 }, 'painPoints', 0],
    ]);
  });

  it('names the personas whose citations cannot be judged, written in another language than the site', () => {
    expect(checkReportQuality(sampleReport({ language: 'de', personas: [english, german] }), { ...ctx, siteLanguage: 'de' }).citationsNotJudged).toEqual(['persona 1']);
    expect(checkReportQuality(sampleReport({ language: 'de', personas: [english, german] }), { ...ctx, siteLanguage: 'en' }).citationsNotJudged).toEqual(['persona 2']);
  });

  it('does not judge a part too short to tell', () => {
    // The sample's summary and offering are one short English sentence each.
    expect(languageIssues(sampleReport({ language: 'de', personas: [german] }))).toEqual([]);
  });
});
