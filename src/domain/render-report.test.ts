import { describe, expect, it } from 'vitest';
import { escapeMarkdown, renderHtml, renderMarkdown, type RenderMeta } from './render-report.js';
import type { Persona, ReportContent } from './report.js';
import { samplePersona, sampleReport } from '../../test/support/sample-report.js';

const persona = samplePersona({
  evidence: [{ quote: 'We help municipal engineers plan safer bridges.', sourceUrl: 'https://acme.test/' }],
});
/** One persona, version 2: what the rendering tests look at. */
const report = (overrides: Partial<ReportContent> = {}) => sampleReport({ personas: [persona], version: 2, ...overrides });

const passed: RenderMeta = { version: 2, status: 'passed', qualityIssues: [], createdAt: new Date('2026-03-01T10:00:00Z') };

describe('renderMarkdown', () => {
  it('renders every section with version, status and evidence links', () => {
    const md = renderMarkdown(report(), passed);
    expect(md).toMatch(/^# Customer personas: Acme Bridges\n/);
    expect(md).toContain('Version 2 · status passed · created 2026-03-01T10:00:00.000Z');
    for (const heading of ['## Summary', '## Offering', '## Personas', '**Goals**', '**Pain points**', '**Objections**', '**Buying triggers**', '**Channels**', '**Messaging that resonates**']) {
      expect(md).toContain(heading);
    }
    expect(md).toContain('### 1\\. Maria, the municipal engineer');
    expect(md).toContain('“We help municipal engineers plan safer bridges.” ([https://acme.test/](<https://acme.test/>))');
    expect(md).not.toContain('stand-in');
  });

  it('says near the top that a local stand-in wrote a stand-in report', () => {
    const md = renderMarkdown(report({ generatedBy: { model: 'local-stand-in', standIn: true } }), passed);
    const notice = md.indexOf('not a real AI model');
    expect(notice).toBeGreaterThan(0);
    expect(notice).toBeLessThan(md.indexOf('## Summary'));
    expect(md.split('\n').slice(0, 4).join('\n')).toContain('Stand-in report');
  });

  it('lists the reasons of a degraded report', () => {
    const md = renderMarkdown(report(), {
      ...passed,
      status: 'degraded',
      qualityIssues: [{ section: 'personas[0]', rule: 'evidence_not_found', message: 'quote "x" does not appear verbatim on https://acme.test/' }],
    });
    expect(md).toContain('**Quality: degraded.**');
    expect(md).toContain('> - personas\\[0\\]: quote "x" does not appear verbatim on https://acme.test/');
  });

  it('shows the instructions of a regenerated version', () => {
    expect(renderMarkdown(report({ instructions: 'Focus on *public* clients' }), passed)).toContain(
      'Instructions for this version: Focus on \\*public\\* clients',
    );
  });
});

describe('escapeMarkdown', () => {
  it('neutralises HTML, links, emphasis and block markers', () => {
    expect(escapeMarkdown('<b>hi</b>')).toBe('\\<b\\>hi\\</b\\>');
    expect(escapeMarkdown('[x](javascript:alert(1))')).toBe('\\[x\\](javascript:alert(1))');
    expect(escapeMarkdown('# Title')).toBe('\\# Title');
    expect(escapeMarkdown('- item')).toBe('\\- item');
    expect(escapeMarkdown('1. first')).toBe('1\\. first');
    expect(escapeMarkdown('two\n\nlines')).toBe('two lines');
    expect(escapeMarkdown('Smith & Co. – 24/7 (EU)')).toBe('Smith \\& Co. – 24/7 (EU)');
  });
});

describe('renderHtml', () => {
  const xss = '<script>alert("x")</script><img src=x onerror=alert(1)> [click](javascript:alert(2)) &lt;script&gt;';

  it('is a complete page with the report content', () => {
    const html = renderHtml(report(), passed);
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(html).toContain('<title>Customer personas: Acme Bridges (v2)</title>');
    expect(html).toContain('<h2>Personas</h2>');
    expect(html).toContain('<a href="https://acme.test/pricing">');
    expect(html).toContain("Content-Security-Policy");
    expect(html.trimEnd()).toMatch(/<\/html>$/);
  });

  it('escapes a script injection attempt in a persona name and everywhere else', () => {
    const evil: Persona = { ...persona, name: xss, goals: [xss], evidence: [{ quote: xss, sourceUrl: 'javascript:alert(3)' }] };
    const html = renderHtml(report({ personas: [evil], summary: xss, site: { url: 'https://acme.test/', domain: 'acme.test', title: xss } }), passed);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/href="javascript:/i);
    expect(html).not.toMatch(/<a [^>]*>click/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    // An entity in model text stays an entity: it displays as text, it does not become a tag.
    expect(html).toContain('&amp;lt;script&amp;gt;');
  });

  it('says near the top that a local stand-in wrote a stand-in report', () => {
    const html = renderHtml(report({ generatedBy: { model: 'local-stand-in', standIn: true } }), passed);
    const body = html.slice(html.indexOf('<main>'));
    expect(body.indexOf('not a real AI model')).toBeGreaterThan(0);
    expect(body.indexOf('not a real AI model')).toBeLessThan(body.indexOf('<h2>Summary</h2>'));
  });

  it('shows the reasons of a degraded report', () => {
    const html = renderHtml(report(), {
      ...passed,
      status: 'degraded',
      qualityIssues: [{ section: 'offering', rule: 'placeholder', message: 'products[0] contains placeholder text (TBD)' }],
    });
    expect(html).toContain('Quality: degraded.');
    expect(html).toContain('offering: products[0] contains placeholder text (TBD)');
  });
});
