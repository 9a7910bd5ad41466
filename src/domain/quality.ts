import type { QualityIssue, QualityResult } from '../../activities/types.js';
import type { Evidence, Persona, ReportContent } from './report.js';
import { dedupeKey } from './site-links.js';
import { normalizeUrl } from './url.js';

/**
 * The report's quality rules. Pure: the caller loads the cleaned pages. Each issue names the
 * section it belongs to ('summary', 'offering', 'personas[i]', or 'personas' when there are none)
 * so the repair step re-asks the model for that part only.
 */

export function normalizeWhitespace(text: string): string {
  return text.normalize('NFC').replace(/\s+/g, ' ').trim();
}

const PLACEHOLDERS: readonly { pattern: RegExp; label: string }[] = [
  { pattern: /\bTODO\b/, label: 'TODO' },
  { pattern: /\bTBD\b/, label: 'TBD' },
  { pattern: /\bFIXME\b/, label: 'FIXME' },
  { pattern: /lorem ipsum/i, label: 'lorem ipsum' },
  { pattern: /\[\s*(insert|your|add|company|product|name|placeholder)\b/i, label: '[insert …]' },
  { pattern: /\{\{[^}]*\}\}|<[A-Z_ ]{3,}>/, label: 'template variable' },
  { pattern: /(^|[\s(])N\/A([\s).,;:]|$)/i, label: 'N/A' },
  { pattern: /\bexample\.(com|org|net)\b/i, label: 'example.com' },
  { pattern: /\b(xxx+|yyy+)\b/i, label: 'xxx' },
];

/** "Persona 1", "Customer A", "User #2": a name the model left generic. */
const GENERIC_NAME = /^(persona|customer|user|buyer|segment|profile|person)\s*#?\s*(\d+|[A-Z])\b/i;

/** The first placeholder found in `text`, as a short label, or null. */
export function findPlaceholder(text: string, opts: { allowExampleDomain?: boolean } = {}): string | null {
  for (const { pattern, label } of PLACEHOLDERS) {
    if (label === 'example.com' && opts.allowExampleDomain) continue;
    if (pattern.test(text)) return label;
  }
  return null;
}

/**
 * The key a cited URL and a page URL are matched by: the crawl's own page identity (url.ts's
 * normalizeUrl, then site-links' dedupeKey), so the variations a model tends to make (fragment,
 * host case, tracking parameters, trailing slash) still find the page. Something that is not a
 * URL is its own key and matches nothing.
 */
export function citationKey(url: string): string {
  try {
    return dedupeKey(normalizeUrl(url));
  } catch {
    return url.trim();
  }
}

const MIN_QUOTE_WORDS = 3;
const QUOTE_MARKS = /^["'“”„«»‚‘’]+|["'“”„«»‚‘’]+$/g;

function preview(text: string, max = 80): string {
  const flat = normalizeWhitespace(text);
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

class IssueCollector {
  readonly issues: QualityIssue[] = [];
  constructor(
    private readonly pages: Map<string, string>,
    private readonly allowExampleDomain: boolean,
  ) {}

  add(section: string, rule: QualityIssue['rule'], message: string): void {
    this.issues.push({ section, rule, message });
  }

  text(section: string, field: string, value: string): void {
    if (!value || !value.trim()) {
      this.add(section, 'required_section', `${field} is empty`);
      return;
    }
    const placeholder = findPlaceholder(value, { allowExampleDomain: this.allowExampleDomain });
    if (placeholder) this.add(section, 'placeholder', `${field} contains placeholder text (${placeholder}): "${preview(value)}"`);
  }

  list(section: string, field: string, values: readonly string[]): void {
    if (values.length === 0 || values.every((v) => !v.trim())) {
      this.add(section, 'required_section', `${field} has no entries`);
      return;
    }
    values.forEach((v, i) => this.text(section, `${field}[${i}]`, v));
  }

  evidence(section: string, evidence: readonly Evidence[]): void {
    if (evidence.length === 0) {
      this.add(section, 'required_section', 'evidence has no quotes');
      return;
    }
    for (const e of evidence) {
      const quote = normalizeWhitespace(e.quote);
      const page = this.pages.get(citationKey(e.sourceUrl));
      if (page === undefined) {
        this.add(section, 'evidence_not_found', `quote "${preview(quote)}" cites ${e.sourceUrl}, which is not one of the analysed pages`);
      } else if (quote.replace(QUOTE_MARKS, '').split(' ').filter(Boolean).length < MIN_QUOTE_WORDS) {
        this.add(section, 'evidence_not_found', `quote "${preview(quote)}" is too short to count as evidence`);
      } else if (!page.includes(quote) && !page.includes(quote.replace(QUOTE_MARKS, ''))) {
        this.add(section, 'evidence_not_found', `quote "${preview(quote)}" does not appear verbatim on ${e.sourceUrl}`);
      }
    }
  }
}

function checkPersona(c: IssueCollector, persona: Persona, index: number): void {
  const section = `personas[${index}]`;
  c.text(section, 'name', persona.name);
  if (GENERIC_NAME.test(persona.name.trim())) {
    c.add(section, 'placeholder', `name "${preview(persona.name)}" is generic; give the persona a real name`);
  }
  c.text(section, 'role', persona.role);
  c.text(section, 'summary', persona.summary);
  c.list(section, 'goals', persona.goals);
  c.list(section, 'painPoints', persona.painPoints);
  c.list(section, 'objections', persona.objections);
  c.list(section, 'buyingTriggers', persona.buyingTriggers);
  c.list(section, 'channels', persona.channels);
  c.list(section, 'messaging', persona.messaging);
  c.evidence(section, persona.evidence);
}

function checkDistinct(c: IssueCollector, personas: readonly Persona[]): void {
  const key = (s: string) => normalizeWhitespace(s).toLowerCase();
  for (const field of ['name', 'role'] as const) {
    const seen = new Map<string, number>();
    personas.forEach((p, i) => {
      const k = key(p[field]);
      if (!k) return;
      const first = seen.get(k);
      // The later duplicate is the one to redo; the first keeps its place.
      if (first !== undefined) {
        c.add(`personas[${i}]`, 'distinct_personas', `${field} "${preview(p[field])}" repeats persona ${first + 1}'s ${field}`);
      } else {
        seen.set(k, i);
      }
    });
  }
}

/**
 * @param pages cleaned page text by URL (any URL spelling; normalized here). Quotes must appear in
 *   the text of the page they cite, after whitespace normalization, case-sensitive.
 */
export function checkReportQuality(report: ReportContent, pages: Map<string, string>): QualityResult {
  const normalizedPages = new Map([...pages].map(([url, text]) => [citationKey(url), normalizeWhitespace(text)]));
  const allowExampleDomain = /(^|\.)example\.(com|org|net)$/i.test(report.site.domain);
  const c = new IssueCollector(normalizedPages, allowExampleDomain);

  c.text('summary', 'summary', report.summary);

  c.text('offering', 'offering summary', report.offering.summary);
  c.list('offering', 'products', report.offering.products);
  c.list('offering', 'valuePropositions', report.offering.valuePropositions);
  c.evidence('offering', report.offering.evidence);

  if (report.personas.length === 0) c.add('personas', 'required_section', 'the report has no personas');
  report.personas.forEach((p, i) => checkPersona(c, p, i));
  checkDistinct(c, report.personas);

  return { passed: c.issues.length === 0, issues: c.issues };
}

/** The distinct sections named by a list of issues, in report order. */
export function failingSections(issues: readonly QualityIssue[]): string[] {
  const order = (s: string) => (s === 'summary' ? -3 : s === 'offering' ? -2 : s === 'personas' ? -1 : Number(/\d+/.exec(s)?.[0] ?? 99));
  return [...new Set(issues.map((i) => i.section))].sort((a, b) => order(a) - order(b));
}
