import { describe, expect, it } from 'vitest';
import { checkReportQuality, citationKey, failingSections, findPlaceholder } from './quality.js';
import { dedupeKey } from './site-links.js';
import { normalizeUrl } from './url.js';
import { SAMPLE_PAGES, samplePersona, sampleReport } from '../../test/support/sample-report.js';

const pages = SAMPLE_PAGES;
const persona = samplePersona;
const report = sampleReport;

describe('checkReportQuality', () => {
  it('passes a complete report whose quotes appear on the cited pages', () => {
    expect(checkReportQuality(report(), pages)).toEqual({ passed: true, issues: [] });
  });

  it('matches quotes after whitespace normalization, with the URL spelled differently', () => {
    const r = report({
      personas: [
        persona({ evidence: [{ quote: 'We help municipal engineers\n plan safer bridges', sourceUrl: 'https://ACME.test/#top' }] }),
      ],
    });
    expect(checkReportQuality(r, pages).passed).toBe(true);
  });

  it('flags a fabricated quote on the persona that cites it, and only there', () => {
    const r = report();
    r.personas[1]!.evidence = [{ quote: 'Acme is loved by every engineer in Europe.', sourceUrl: 'https://acme.test/' }];
    const result = checkReportQuality(r, pages);
    expect(result.passed).toBe(false);
    expect(result.issues).toEqual([
      expect.objectContaining({ section: 'personas[1]', rule: 'evidence_not_found' }),
    ]);
  });

  it('is case-sensitive and requires the quote on the page it cites', () => {
    const r = report();
    r.personas[0]!.evidence = [
      { quote: 'we help municipal engineers plan safer bridges', sourceUrl: 'https://acme.test/' },
      { quote: 'Plans start at 99 euros per month', sourceUrl: 'https://acme.test/' },
      { quote: 'Plans start at 99 euros per month', sourceUrl: 'https://other.test/' },
    ];
    const issues = checkReportQuality(r, pages).issues;
    expect(issues.map((i) => i.rule)).toEqual(['evidence_not_found', 'evidence_not_found', 'evidence_not_found']);
    expect(issues[2]!.message).toContain('not one of the analysed pages');
  });

  it('rejects quotes too short to mean anything', () => {
    const r = report();
    r.offering.evidence = [{ quote: 'Acme', sourceUrl: 'https://acme.test/' }];
    expect(checkReportQuality(r, pages).issues).toEqual([
      expect.objectContaining({ section: 'offering', rule: 'evidence_not_found', message: expect.stringContaining('too short') }),
    ]);
  });

  it('requires every section and persona field', () => {
    const r = report({ summary: '  ' });
    r.offering.products = [];
    r.personas[0]!.goals = [];
    r.personas[1]!.evidence = [];
    r.personas[1]!.role = '';
    const issues = checkReportQuality(r, pages).issues;
    expect(issues.filter((i) => i.rule === 'required_section').map((i) => i.section)).toEqual([
      'summary',
      'offering',
      'personas[0]',
      'personas[1]',
      'personas[1]',
    ]);
  });

  it('flags a report without personas', () => {
    expect(checkReportQuality(report({ personas: [] }), pages).issues).toEqual([
      expect.objectContaining({ section: 'personas', rule: 'required_section' }),
    ]);
  });

  it('flags placeholder text and generic persona names', () => {
    const r = report({ summary: 'TODO: write the summary' });
    r.offering.valuePropositions = ['[Insert value proposition]'];
    r.personas[0]!.name = 'Persona 1';
    r.personas[1]!.channels = ['N/A'];
    r.personas[1]!.messaging = ['Visit www.example.com for details'];
    const issues = checkReportQuality(r, pages).issues.filter((i) => i.rule === 'placeholder');
    expect(issues.map((i) => i.section)).toEqual(['summary', 'offering', 'personas[0]', 'personas[1]', 'personas[1]']);
  });

  it('allows example.com when the analysed site is example.com', () => {
    const r = report({ site: { url: 'https://www.example.com/', domain: 'www.example.com', title: 'Example' } });
    r.personas[1]!.messaging = ['Visit example.com for details'];
    expect(checkReportQuality(r, pages).passed).toBe(true);
  });

  it('flags the later of two personas with the same name or role', () => {
    const r = report();
    r.personas.push(persona({ name: ' maria, the  MUNICIPAL engineer', role: 'Procurement officer' }));
    r.personas.push(persona({ name: 'Ahmed', role: 'Owner of a small engineering office' }));
    const issues = checkReportQuality(r, pages).issues;
    expect(issues).toEqual([
      expect.objectContaining({ section: 'personas[2]', rule: 'distinct_personas', message: expect.stringContaining('name') }),
      expect.objectContaining({ section: 'personas[3]', rule: 'distinct_personas', message: expect.stringContaining('role') }),
    ]);
  });
});

describe('helpers', () => {
  it('finds placeholders but not ordinary words', () => {
    expect(findPlaceholder('Lorem ipsum dolor')).toBe('lorem ipsum');
    expect(findPlaceholder('Price: TBD')).toBe('TBD');
    expect(findPlaceholder('n/a')).toBe('N/A');
    expect(findPlaceholder('Todos los clientes')).toBeNull();
    expect(findPlaceholder('Input/Output and N/Architecture')).toBeNull();
    expect(findPlaceholder('Prices are {{price}} per month')).toBe('template variable');
  });

  it('normalizes URLs for comparison', () => {
    expect(citationKey('https://Acme.test/about/#team')).toBe('https://acme.test/about');
    expect(citationKey('https://acme.test')).toBe('https://acme.test/');
    expect(citationKey(' not a url ')).toBe('not a url');
  });

  it('matches cited URLs by the crawl\'s own page identity', () => {
    expect(citationKey('https://acme.test/pricing/?utm_source=mail')).toBe(citationKey('https://acme.test/pricing'));
    for (const url of ['https://Acme.test/a/b/', 'https://acme.test/?q=1#x', 'http://acme.test:8080/x']) {
      expect(citationKey(url)).toBe(dedupeKey(normalizeUrl(url)));
    }
  });

  it('lists failing sections once, in report order', () => {
    const issue = (section: string) => ({ section, rule: 'placeholder' as const, message: '' });
    expect(failingSections([issue('personas[2]'), issue('offering'), issue('personas[0]'), issue('summary'), issue('personas[2]')])).toEqual([
      'summary',
      'offering',
      'personas[0]',
      'personas[2]',
    ]);
  });
});
