import { describe, expect, it } from 'vitest';
import { samplePersona, sampleReport } from '../../test/support/sample-report.js';
import type { QualityResult } from './quality.js';
import { pagesNotRead, reportView } from './report-view.js';

const quality = (issues: QualityResult['issues']): QualityResult => ({
  passed: false,
  issues,
  droppedEvidence: { 'persona 1': { count: 2, reasons: { unrelated: 2 } }, 'persona 2': { count: 1, reasons: { unknown_id: 1 } } },
  claims: { total: 4, withEvidence: 3, share: 0.75 },
  fields: { checked: 20, rejected: 2 },
});

describe('reportView', () => {
  it('keeps the numbers the notes use, and says nothing but "withheld" of a part withheld whole', () => {
    // Persona 1 was withheld whole: the one shown is persona 2, and so is its note.
    const report = sampleReport({
      personas: [samplePersona({ name: 'Tom, the office owner' })],
      withheld: [
        { part: { kind: 'persona', index: 0 }, reason: 'persona 1 withheld: name is generic' },
        { part: { kind: 'summary' }, field: 'summary', reason: 'summary repeats the instructions' },
      ],
      summary: null,
    });
    const view = reportView(report, quality([
      { part: { kind: 'persona', index: 0 }, rule: 'unsupported', message: 'persona 1 cites no passage of the site' },
      { part: { kind: 'persona', index: 1 }, rule: 'wrong_language', message: 'persona 2 is written in English, not in German' },
      { part: { kind: 'persona', index: 0 }, field: 'name', rule: 'placeholder', message: 'name is generic' },
    ]));
    expect(view.personaNumbers).toEqual([2]);
    expect(view.partsWithheldWhole).toEqual(['summary', 'persona 1']);
    expect(view.withheld).toEqual(['Persona 1 withheld: name is generic', 'Withheld (summary): summary repeats the instructions']);
    expect(view.shownWithANote).toEqual(['Persona 2 is written in English, not in German']);
    expect(view.figures).toEqual({
      claims: 'Persona claims backed by a cited passage: 75% (3 of 4); the others are marked inferred.',
      fields: 'Text fields rejected (junk, placeholders, non-answers, prompt text, figures or names the site does not give): 2 of 20.',
      dropped: ['Evidence dropped in persona 1 (withheld): 2 (2 cited a passage that says nothing of its claim).', 'Evidence dropped in persona 2: 1 (1 named a passage that does not exist).'],
    });
  });

  it('says in one line what several items of a part were withheld for alike', () => {
    const item = (field: string, i: number, rule: 'unstated_name' | 'placeholder', reason: string) => ({ part: { kind: 'persona' as const, index: 0 }, field, item: i, rule, reason: `${field}[${i}] ${reason}` });
    const names = 'names a company, product or person the site does not mention';
    const report = sampleReport({
      withheld: [
        item('goals', 0, 'unstated_name', names),
        item('goals', 2, 'unstated_name', names),
        item('messaging', 1, 'placeholder', 'is placeholder text'),
        item('painPoints', 0, 'unstated_name', names),
        // Stored before the rule was kept: said as it was.
        { part: { kind: 'offering' }, field: 'products', reason: 'products[0] is junk' },
        { part: { kind: 'offering' }, field: 'summary', reason: 'summary says the same words over and over' },
      ],
    });
    expect(reportView(report, null).withheld).toEqual([
      'Withheld (persona 1): 3 items that name companies, products or people the site does not mention (goals 2, pain points 1)',
      'Withheld (persona 1): message 2 is placeholder text',
      'Withheld (offering): product 1 is junk',
      'Withheld (offering): description says the same words over and over',
    ]);
  });

  it('groups junk items only by the same reason, and says it', () => {
    const junk = (field: string, i: number, reason: string) => ({ part: { kind: 'persona' as const, index: 0 }, field, item: i, rule: 'junk' as const, reason: `${field}[${i}] ${reason}` });
    const report = sampleReport({
      withheld: [
        junk('goals', 2, 'stops mid-sentence at the length limit'),
        junk('buyingTriggers', 0, 'stops mid-sentence at the length limit'),
        junk('painPoints', 1, 'says the same words over and over'),
      ],
    });
    expect(reportView(report, null).withheld).toEqual([
      'Withheld (persona 1): 2 items, each of which stops mid-sentence at the length limit (goals 1, buying triggers 1)',
      'Withheld (persona 1): pain point 2 says the same words over and over',
    ]);
  });

  it('says where it could not check that citations speak to their claims', () => {
    const report = sampleReport({ withheld: [{ part: { kind: 'persona', index: 2 }, reason: 'persona 3 withheld: name is generic' }] });
    const view = reportView(report, { ...quality([]), citationsNotJudged: ['persona 1', 'persona 2', 'persona 3'] });
    expect(view.figures?.claims).toBe(
      'Persona claims backed by a cited passage: 75% (3 of 4); the others are marked inferred. Whether each cited passage speaks to its claim was not checked in persona 1 and persona 2: written in another language than the site.',
    );
  });

  it('has no figures for a report checked before they were kept', () => {
    expect(reportView(sampleReport(), null).figures).toBeNull();
    expect(reportView(sampleReport(), { passed: true, issues: [] } as unknown as QualityResult).figures).toBeNull();
  });
});

describe('pagesNotRead', () => {
  it('groups by why in a fixed order, lists ten per reason, and counts links to other sites per host, last', () => {
    const blog = [...Array(12)].map((_, i) => ({ url: `https://acme.test/blog/${i}`, reason: 'page_limit' }));
    const groups = pagesNotRead({
      read: [],
      skipped: [{ url: 'https://x.test/a', reason: 'off_site' }, ...blog, { url: 'https://acme.test/admin', reason: 'robots' }, { url: 'https://y.test/', reason: 'off_site' }, { url: 'https://x.test/b', reason: 'off_site' }],
      moreSkipped: 3,
    });
    expect(groups.map((g) => g.label)).toEqual(["Disallowed by the site's robots.txt (1)", 'Over the page limit (12)', 'Links to other sites (3, not followed)', '3 more for the reasons above, not listed one by one']);
    const limit = groups[1]!;
    expect(limit.kind === 'pages' && [limit.pages.length, limit.more]).toEqual([10, 2]);
    const hosts = groups[2]!;
    expect(hosts.kind === 'hosts' && hosts.hosts).toEqual([{ host: 'x.test', count: 2 }, { host: 'y.test', count: 1 }]);
  });
});
