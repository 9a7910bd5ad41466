import { Marked } from 'marked';
import type { QualityIssue } from '../../activities/types.js';
import type { Evidence, Persona, ReportContent, ReportStatus } from './report.js';

/**
 * Markdown and HTML renderings of a stored report. Everything in a report came from a model or a
 * scraped page, so all of it is untrusted: every string is escaped for Markdown before it lands in
 * the document, which also keeps raw HTML, links and images out of the HTML rendering.
 */

export interface RenderMeta {
  version: number;
  status: ReportStatus;
  qualityIssues: readonly QualityIssue[];
  createdAt: Date | string;
}

export const STAND_IN_NOTICE =
  'Written by a local stand-in, not a real AI model. The text below was assembled mechanically from the ' +
  'site for development and testing; do not use it as an analysis of the company.';

/**
 * Escapes untrusted text for inline Markdown. Whitespace collapses to single spaces, so the text
 * cannot start a new block of its own; the characters that carry inline meaning are backslash-escaped
 * (CommonMark reads a backslash-escaped punctuation character as a literal), so `<script>` renders as
 * text and `[x](javascript:...)` never becomes a link; a leading list, heading or quote marker is
 * escaped too. Characters that only matter elsewhere (`.`, `-`, `(`) stay readable in the Markdown.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\\`*_[\]<>&|~#!]/g, (c) => `\\${c}`)
    .replace(/^([-+=>])/, '\\$1')
    .replace(/^(\d+)([.)])/, '$1\\$2');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Only http(s) URLs become links; anything else is shown as text. */
function safeHref(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

function link(url: string): string {
  const href = safeHref(url);
  // An angle-bracket destination takes any character except < > and newlines; URL serialization
  // percent-encodes those.
  return href ? `[${escapeMarkdown(url)}](<${href}>)` : escapeMarkdown(url);
}

function list(items: readonly string[]): string[] {
  return items.map((item) => `- ${escapeMarkdown(item)}`);
}

function evidenceLines(evidence: readonly Evidence[]): string[] {
  return evidence.map((e) => `- “${escapeMarkdown(e.quote)}” (${link(e.sourceUrl)})`);
}

function isoDate(value: Date | string): string {
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString();
}

function statusLines(meta: RenderMeta): string[] {
  if (meta.status === 'degraded') {
    return [
      '> **Quality: degraded.** This report did not pass every quality check, so parts of it may be',
      '> unsupported by the site. Reasons:',
      '>',
      ...meta.qualityIssues.map((i) => `> - ${escapeMarkdown(i.section)}: ${escapeMarkdown(i.message)}`),
      '',
    ];
  }
  if (meta.status === 'draft') {
    return ['> **Draft.** This report has not passed its quality check yet.', ''];
  }
  return [];
}

function personaLines(persona: Persona, index: number): string[] {
  const part = (title: string, items: readonly string[]) => [`**${title}**`, '', ...list(items), ''];
  return [
    `### ${index + 1}\\. ${escapeMarkdown(persona.name)}`,
    '',
    `*${escapeMarkdown(persona.role)}*`,
    '',
    escapeMarkdown(persona.summary),
    '',
    ...part('Goals', persona.goals),
    ...part('Pain points', persona.painPoints),
    ...part('Objections', persona.objections),
    ...part('Buying triggers', persona.buyingTriggers),
    ...part('Channels', persona.channels),
    ...part('Messaging that resonates', persona.messaging),
    '**Evidence from the site**',
    '',
    ...evidenceLines(persona.evidence),
    '',
  ];
}

export function renderMarkdown(report: ReportContent, meta: RenderMeta): string {
  const siteName = report.site.title.trim() || report.site.domain;
  const lines = [
    `# Customer personas: ${escapeMarkdown(siteName)}`,
    '',
    ...(report.generatedBy.standIn ? [`> **Stand-in report.** ${STAND_IN_NOTICE}`, ''] : []),
    ...statusLines(meta),
    `Site: ${link(report.site.url)}  `,
    `Version ${meta.version} · status ${meta.status} · created ${isoDate(meta.createdAt)}  `,
    `Written by ${escapeMarkdown(report.generatedBy.model)}${report.generatedBy.standIn ? ' (local stand-in, not a real AI model)' : ''} · language ${escapeMarkdown(report.language)}`,
    '',
    ...(report.instructions ? [`Instructions for this version: ${escapeMarkdown(report.instructions)}`, ''] : []),
    '## Summary',
    '',
    escapeMarkdown(report.summary),
    '',
    '## Offering',
    '',
    escapeMarkdown(report.offering.summary),
    '',
    '**Products and services**',
    '',
    ...list(report.offering.products),
    '',
    '**Value propositions**',
    '',
    ...list(report.offering.valuePropositions),
    '',
    '**Evidence from the site**',
    '',
    ...evidenceLines(report.offering.evidence),
    '',
    '## Personas',
    '',
    ...report.personas.flatMap(personaLines),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}

const STYLE = `
body { font: 16px/1.55 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #1d1d1f; }
h1 { font-size: 1.8rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; } h3 { margin-top: 1.8rem; }
blockquote { margin: 1rem 0; padding: .6rem 1rem; background: #fff4d6; border-left: 4px solid #e0a800; }
a { color: #0b5cad; word-break: break-all; }
`;

/** Sent as a header with the page and repeated inside it, so a saved copy keeps it. */
export const REPORT_HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'";

export function renderHtml(report: ReportContent, meta: RenderMeta): string {
  const body = new Marked({ gfm: true, async: false }).parse(renderMarkdown(report, meta)) as string;
  const title = `Customer personas: ${report.site.title.trim() || report.site.domain} (v${meta.version})`;
  // The CSP is a second line of defence: even if escaping missed something, no script runs.
  return `<!doctype html>
<html lang="${escapeHtml(/^[a-z]{2,3}$/.test(report.language) ? report.language : 'en')}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${REPORT_HTML_CSP}">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}</main>
</body>
</html>
`;
}
