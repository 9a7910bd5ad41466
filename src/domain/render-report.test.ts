import { Marked } from 'marked';
import { describe, expect, it } from 'vitest';
import { escapeMarkdown, renderHtml, renderMarkdown, type RenderMeta } from './render-report.js';
import type { Persona, ReportContent } from './report.js';
import { claim, ref, samplePersona, sampleReport } from '../../test/support/sample-report.js';

const persona = samplePersona();
/** One persona, version 2: what the rendering tests look at. */
const report = (overrides: Partial<ReportContent> = {}) => sampleReport({ personas: [persona], version: 2, ...overrides });

const passed: RenderMeta = { version: 2, status: 'passed', quality: null, createdAt: new Date('2026-03-01T10:00:00Z') };

describe('renderMarkdown', () => {
  it('renders every section with version, status and evidence links', () => {
    const md = renderMarkdown(report(), passed);
    expect(md).toMatch(/^# Customer personas: Acme Bridges\n/);
    expect(md).toContain('Version 2 · status passed · created 2026-03-01T10:00:00.000Z');
    for (const heading of ['## Summary', '## Offering', '## Personas', '**Goals**', '**Pain points**', '**Objections**', '**Buying triggers**', '**Channels**', '**Messaging that resonates**']) {
      expect(md).toContain(heading);
    }
    expect(md).toContain('### 1. Maria, the municipal engineer');
    // Evidence links jump to the quoted place (a text fragment) and name the passage.
    expect(md).toContain('“Acme builds bridges. We help municipal engineers plan safer bridges in half the time.” ([https://acme.test/](<https://acme.test/#:~:text=Acme%20builds%20bridges.%20We,in%20half%20the%20time.>), passage p1.1)');
    // A claim with evidence links its passages; one without says it is inferred.
    expect(md).toContain('- Finish bridge plans faster ([p1.1](<https://acme.test/#:~:text=');
    expect(md).toContain('- Manual load calculations take weeks *(inferred: no passage backs it)*');
    expect(md).not.toContain('stand-in');
  });

  it('says which shown part is written in another language than the report\'s', () => {
    const md = renderMarkdown(report({ language: 'de' }), {
      ...passed,
      status: 'degraded',
      quality: {
        passed: false,
        issues: [{ part: { kind: 'persona', index: 0 }, rule: 'wrong_language', message: "persona 1 is written in English, not in German, the report's language" }],
        droppedEvidence: {},
        claims: { total: 4, withEvidence: 1, share: 0.25 },
        fields: { checked: 20, rejected: 0 },
      },
    });
    expect(md).toContain("> - Persona 1 is written in English, not in German, the report's language");
    // Shown, not withheld.
    expect(md).toContain('### 1. Maria, the municipal engineer');
  });

  it('numbers each persona as the quality notes do: persona 2 stays 2 when persona 1 was withheld whole', () => {
    const tom = samplePersona({ name: 'Tom, the office owner', role: 'Owner of a small engineering office' });
    const md = renderMarkdown(
      report({
        personas: [tom],
        withheld: [
          { part: { kind: 'persona', index: 0 }, reason: 'persona 1 withheld: name is generic' },
          // A list item withheld from persona 2 leaves persona 2 shown.
          { part: { kind: 'persona', index: 1 }, field: 'goals', reason: 'goals item 2 is junk' },
        ],
      }),
      { ...passed, status: 'degraded' },
    );
    expect(md).toContain('### 2. Tom, the office owner');
    expect(md).not.toContain('### 1.');
  });

  it('says of dropped evidence that its part is withheld whole, as the reader will not find it', () => {
    const md = renderMarkdown(report({ personas: [samplePersona({ name: 'Tom, the office owner' })], withheld: [{ part: { kind: 'persona', index: 0 }, reason: 'persona 1 withheld: name is generic' }] }), {
      ...passed,
      status: 'degraded',
      quality: {
        passed: false,
        issues: [],
        droppedEvidence: { 'persona 1': { count: 3, reasons: { unrelated: 3 } }, 'persona 2': { count: 1, reasons: { unknown_id: 1 } } },
        claims: { total: 4, withEvidence: 1, share: 0.25 },
        fields: { checked: 20, rejected: 3 },
      },
    });
    expect(md).toContain('- Evidence dropped in persona 1 (withheld): 3 (3 cited a passage that says nothing of its claim).');
    expect(md).toContain('- Evidence dropped in persona 2: 1 (1 named a passage that does not exist).');
  });

  it('groups the pages not read by why, and names other sites by host instead of listing every link', () => {
    const offSite = [...Array(30)].map((_, i) => ({ url: `https://social.test/acme/${i}`, reason: 'off_site' }));
    const overLimit = [...Array(12)].map((_, i) => ({ url: `https://acme.test/blog/${i}`, reason: 'page_limit' }));
    const md = renderMarkdown(
      report({
        pages: {
          read: [{ url: 'https://acme.test/', kind: 'home', chars: 900, sentChars: 900, share: 1 }],
          skipped: [...offSite, { url: 'https://acme.test/admin', reason: 'robots' }, ...overLimit, { url: 'https://shop.test/', reason: 'off_site' }, { url: 'https://acme.test/gone', reason: 'http_error', detail: 'HTTP 410' }],
          moreSkipped: 7,
        },
      }),
      passed,
    );
    const section = md.slice(md.indexOf('**Pages not read**'));
    expect(section).toContain("- Disallowed by the site's robots.txt (1):\n  - [https://acme.test/admin](<https://acme.test/admin>)");
    // Ten examples of a reason, then a count of the rest.
    expect(section).toContain('- Over the page limit (12):');
    expect(section).toContain('blog/9>)\n  - and 2 more\n');
    expect(section).not.toContain('blog/10');
    expect(section).toContain('(<https://acme.test/gone>) (HTTP 410)');
    // Other sites last, as hosts by how often they are linked; no link of theirs is shown.
    expect(section).toContain('- Links to other sites (31, not followed): social.test (30), shop.test (1)\n- 7 more for the reasons above, not listed one by one');
    expect(section).not.toContain('social.test/acme');
    expect(section.indexOf('Disallowed')).toBeLessThan(section.indexOf('Over the page limit'));
  });

  it('shows a quote that runs from a heading into its paragraph with the break marked, as the prompt showed it', () => {
    const r = report();
    r.offering!.evidence = [{ passageId: 'p2.1', url: 'https://acme.test/about', quote: 'About Acme\nWe started Acme after years of chasing late payments.' }];
    const md = renderMarkdown(r, passed);
    expect(md).toContain('- “About Acme / We started Acme after years of chasing late payments.” (');
    // The link still finds the words on the page, where no slash is.
    expect(md).toContain('#:~:text=About%20Acme%20We%20started');
  });

  it('marks unsupported parts, says what was withheld, and states the evidence figures', () => {
    const unsupported = samplePersona({ evidence: [], goals: [claim('Finish bridge plans faster')], support: 'unsupported' });
    const md = renderMarkdown(report({ summary: null, personas: [unsupported], withheld: [{ part: { kind: 'persona', index: 1 }, reason: 'persona 2 withheld: name is an identifier, not words' }] }), {
      ...passed,
      status: 'degraded',
      quality: {
        passed: false,
        issues: [
          { part: { kind: 'persona', index: 0 }, rule: 'unsupported', message: 'persona 1 cites no passage of the site' },
          { part: { kind: 'persona', index: 1 }, rule: 'unsupported', message: 'persona 2 cites no passage of the site' },
        ],
        droppedEvidence: { 'persona 1': { count: 2, reasons: { unknown_id: 1, not_found: 1 } } },
        claims: { total: 4, withEvidence: 1, share: 0.25 },
        fields: { checked: 20, rejected: 3 },
      },
    });
    expect(md).toContain('> **Unsupported.** No passage of the site backs this part');
    expect(md).toContain('*Withheld: the model\'s summary did not pass the quality rules.*');
    expect(md).toContain('Persona 2 withheld: name is an identifier, not words');
    // Persona 1 is shown without evidence: said. Persona 2 is not shown at all: its evidence goes unmentioned.
    expect(md).toContain('> - Persona 1 cites no passage of the site');
    expect(md).not.toContain('persona 2 cites no passage');
    expect(md).toContain('Persona claims backed by a cited passage: 25% (1 of 4)');
    expect(md).toContain('Text fields rejected (junk, placeholders, non-answers, prompt text, figures or names the site does not give): 3 of 20.');
    expect(md).toContain('Evidence dropped in persona 1: 2 (1 named a passage that does not exist, 1 quoted text found on no page).');
  });

  it('says plainly when nothing the model wrote was usable', () => {
    const md = renderMarkdown(report({ summary: null, offering: null, personas: [], withheld: [{ part: { kind: 'summary' }, field: 'summary', reason: 'summary repeats the instructions' }] }), {
      ...passed,
      status: 'degraded',
      quality: { passed: false, issues: [], droppedEvidence: {}, claims: { total: 0, withEvidence: 0, share: null }, fields: { checked: 31, rejected: 27 } },
    });
    expect(md).toContain("**The model's output was unusable.**");
    expect(md).toContain('*No persona passed the quality rules.*');
    // The summary's field is the summary itself: named once.
    expect(md).toContain('> - Withheld (summary): summary repeats the instructions');
    expect(md).toContain('- Persona claims backed by a cited passage: none to count, as the report shows no persona claims.');
    expect(md).not.toContain('the others are marked inferred');
  });

  it('speaks of inferred claims only when some are', () => {
    const figures = (withEvidence: number) => ({ ...passed, quality: { passed: true, issues: [], droppedEvidence: {}, claims: { total: 4, withEvidence, share: withEvidence / 4 }, fields: { checked: 30, rejected: 0 } } });
    expect(renderMarkdown(report(), figures(4))).toContain('- Persona claims backed by a cited passage: 100% (4 of 4).\n');
    expect(renderMarkdown(report(), figures(3))).toContain('- Persona claims backed by a cited passage: 75% (3 of 4); the others are marked inferred.');
  });

  it('says near the top that a local stand-in wrote a stand-in report', () => {
    const md = renderMarkdown(report({ generatedBy: { model: 'local-stand-in', standIn: true } }), passed);
    const notice = md.indexOf('not a real AI model');
    expect(notice).toBeGreaterThan(0);
    expect(notice).toBeLessThan(md.indexOf('## Summary'));
    expect(md.split('\n').slice(0, 4).join('\n')).toContain('Stand-in report');
  });

  it('lists the reasons of a degraded report', () => {
    const md = renderMarkdown(report({ withheld: [{ part: { kind: 'offering' }, field: 'products', reason: 'products[0] contains placeholder text (TBD)' }] }), { ...passed, status: 'degraded' });
    expect(md).toContain('**Quality: degraded.**');
    expect(md).toContain('> - Withheld (offering): product 1 contains placeholder text (TBD)');
  });

  it('shows the instructions of a regenerated version', () => {
    expect(renderMarkdown(report({ instructions: 'Focus on *public* clients' }), passed)).toContain(
      'Instructions for this version: Focus on \\*public\\* clients',
    );
  });
});

describe('escapeMarkdown', () => {
  const marked = new Marked({ gfm: true, async: false });
  /** The HTML of `markdown`. (GFM turns bare URLs into links: harmless, so the cases below have none.) */
  const rendered = (markdown: string) => marked.parse(markdown) as string;
  const asText = (text: string) => `<p>${text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)}</p>\n`;

  it('neutralises HTML, links, emphasis and block markers', () => {
    expect(escapeMarkdown('<b>hi</b>')).toBe('\\<b>hi\\</b>');
    expect(escapeMarkdown('[x](javascript:alert(1))')).toBe('[x\\](javascript:alert(1))');
    expect(escapeMarkdown('# Title')).toBe('\\# Title');
    expect(escapeMarkdown('- item')).toBe('\\- item');
    expect(escapeMarkdown('1. first')).toBe('1\\. first');
    expect(escapeMarkdown('two\n\nlines')).toBe('two lines');
    expect(escapeMarkdown('*bold* and _em_ and ~gone~')).toBe('\\*bold\\* and \\_em\\_ and \\~gone\\~');
    expect(escapeMarkdown('&lt;script&gt;')).toBe('\\&lt;script\\&gt;');
  });

  it('leaves ordinary prose as written: no escape where nothing would change', () => {
    for (const prose of [
      'Smith & Co. – 24/7 (EU)',
      'products[0] contains placeholder text (TBD)',
      'Save 20% on plans #1 and #2!',
      'snake_case names, a < b > c, 5 * 3 = 15',
      'Head of IT (CIO/CTO) | EMEA',
      'C:\\Users\\me and 1.5x faster',
      'Wow! See [1] and [note].',
    ]) {
      expect(escapeMarkdown(prose)).toBe(prose);
    }
  });

  it('always renders as the literal text, in a paragraph and as a list item', () => {
    const tricky = [
      '<b>hi</b>', '</script>', '<!-- c -->', '<foo:bar>', '[x](javascript:alert(1))', '[x][y]', '[y]: /evil',
      '![img](/x.png)', '*a*', '**a**', '_a_', '__a__', 'a*b*c', '~~gone~~', '~x~', '`code`', '``a``',
      '&amp;', '&#60;', '&#x3C;', '# h', '###### h', '> q', '- l', '+ l', '* l', '1. o', '2) o', '---', '===', '***', '_ _ _', '* * *',
      'a \\', '\\*', 'x\\_y', 'snake_case', 'a_b_c', '(_x_)', 'end_', '_start',
    ];
    for (const text of tricky) {
      const escaped = escapeMarkdown(text);
      expect(rendered(escaped), `${text} → ${escaped}`).toBe(asText(text));
      expect(rendered(`- ${escaped}`), `list item: ${text} → ${escaped}`).toBe(`<ul>\n<li>${asText(text).slice(3, -5)}</li>\n</ul>\n`);
    }
  });
});

describe('renderHtml', () => {
  const xss = '<script>alert("x")</script><img src=x onerror=alert(1)> [click](javascript:alert(2)) &lt;script&gt;';

  it('is a complete page with the report content', () => {
    const html = renderHtml(report(), passed);
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(html).toContain('<title>Customer personas: Acme Bridges (v2)</title>');
    expect(html).toContain('<h2>Personas</h2>');
    expect(html).toContain('<a href="https://acme.test/pricing#:~:text=');
    expect(html).toContain("Content-Security-Policy");
    expect(html.trimEnd()).toMatch(/<\/html>$/);
  });

  it('escapes a script injection attempt in a persona name and everywhere else', () => {
    const evil: Persona = { ...persona, name: xss, goals: [claim(xss)], evidence: [{ ...ref('p1.1'), quote: xss, url: 'javascript:alert(3)' }] };
    const html = renderHtml(report({ personas: [evil], summary: xss, site: { url: 'https://acme.test/', domain: 'acme.test', title: xss } }), passed);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/href="javascript:/i);
    expect(html).not.toMatch(/<a [^>]*>click/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    // An entity in model text stays an entity: it displays as text, it does not become a tag.
    expect(html).toContain('&amp;lt;script&amp;gt;');
  });

  it('speaks of inferred claims only when some are', () => {
    const figures = (withEvidence: number) => ({ ...passed, quality: { passed: true, issues: [], droppedEvidence: {}, claims: { total: 4, withEvidence, share: withEvidence / 4 }, fields: { checked: 30, rejected: 0 } } });
    expect(renderMarkdown(report(), figures(4))).toContain('- Persona claims backed by a cited passage: 100% (4 of 4).\n');
    expect(renderMarkdown(report(), figures(3))).toContain('- Persona claims backed by a cited passage: 75% (3 of 4); the others are marked inferred.');
  });

  it('says near the top that a local stand-in wrote a stand-in report', () => {
    const html = renderHtml(report({ generatedBy: { model: 'local-stand-in', standIn: true } }), passed);
    const body = html.slice(html.indexOf('<main>'));
    expect(body.indexOf('not a real AI model')).toBeGreaterThan(0);
    expect(body.indexOf('not a real AI model')).toBeLessThan(body.indexOf('<h2>Summary</h2>'));
  });

  it('shows the reasons of a degraded report', () => {
    const html = renderHtml(report({ withheld: [{ part: { kind: 'offering' }, field: 'products', reason: 'products[0] contains placeholder text (TBD)' }] }), { ...passed, status: 'degraded' });
    expect(html).toContain('Quality: degraded.');
    expect(html).toContain('Withheld (offering): product 1 contains placeholder text (TBD)');
  });
});
