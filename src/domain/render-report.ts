import { Marked } from 'marked';
import type { QualityResult } from './quality.js';
import { reportView, type NotReadGroup, type ReportView } from './report-view.js';
import { oneLinePassage } from './passages.js';
import { type Claim, type EvidenceRef, type PagesRead, type Persona, type ReportContent, type ReportStatus, type Usage } from './report.js';

/**
 * Markdown and HTML renderings of a stored report. Everything in a report came from a model or a
 * scraped page, so all of it is untrusted: every string is escaped for Markdown before it lands in
 * the document, which also keeps raw HTML, links and images out of the HTML rendering.
 */

export interface RenderMeta {
  version: number;
  status: ReportStatus;
  quality: QualityResult | null;
  createdAt: Date | string;
}

export const STAND_IN_NOTICE =
  'Written by a local stand-in, not a real AI model. The text below was assembled mechanically from the ' +
  'site for development and testing; do not use it as an analysis of the company.';

/**
 * Escapes untrusted text for inline Markdown, escaping only what would otherwise change the meaning,
 * so the Markdown stays readable in a terminal (`Smith & Co.`, `snake_case`, `a < b`, `[1]` stay as
 * written). Whitespace collapses to single spaces, so the text cannot start a new block of its own.
 * A backslash goes before (CommonMark reads a backslash-escaped punctuation character as a literal):
 * - `<` that could open an HTML tag, comment or autolink (`<script>`, `</b`, `<!--`, `<https:`);
 * - `]` right before `(`, `[` or `:` (a link, reference or link definition; without it `[` is text);
 * - `&` that would spell an entity (`&lt;`, `&#60;`);
 * - `*`, `_` and `~` that could open or close emphasis or strikethrough: a `*`/`~` next to a
 *   non-space, an `_` not inside a word (`snake_case` cannot emphasise);
 * - every backtick (code spans pair across the line), a backslash before punctuation or at the end;
 * - a leading block marker: heading `# `, quote `>`, list `- `/`+ `/`* `/`1. `, a line of only
 *   `-`, `=`, `_`, `*` (a rule or heading underline).
 */
export function escapeMarkdown(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  const escaped = oneLine.replace(/[\\`*_~<\]&]/g, (c, i: number, s: string) => {
    const before = s[i - 1] ?? ' ';
    const after = s[i + 1] ?? ' ';
    const space = (ch: string) => /\s/.test(ch);
    const word = (ch: string) => /[\p{L}\p{N}]/u.test(ch);
    switch (c) {
      case '\\':
        return /[!-/:-@[-`{-~]/.test(after) || i === s.length - 1 ? '\\\\' : c;
      case '`':
        return '\\`';
      case '*':
      case '~':
        return space(before) && space(after) ? c : `\\${c}`;
      case '_':
        return (space(before) && space(after)) || (word(before) && word(after)) ? c : '\\_';
      case '<':
        return /[A-Za-z/!?]/.test(after) ? '\\<' : c;
      case ']':
        return /[([:]/.test(after) ? '\\]' : c;
      case '&':
        return /^&#?[A-Za-z0-9]+;/.test(s.slice(i)) ? '\\&' : c;
      default:
        return c;
    }
  });
  // A line of rule or underline characters only: escape each of them.
  if (/^[-=_*+\s\\]+$/.test(escaped) && /[-=_*]/.test(escaped)) return escaped.replace(/\\[^]|[-=_*+]/g, (m) => (m.length === 2 ? m : `\\${m}`));
  return escaped
    .replace(/^(#{1,6})(?= |$)/, '\\$1')
    .replace(/^>/, '\\>')
    .replace(/^([-+*])(?= |$)/, '\\$1')
    .replace(/^(\d{1,9})([.)])(?= |$)/, '$1\\$2');
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

function link(url: string, label = url, fragment = ''): string {
  const href = safeHref(url);
  // An angle-bracket destination takes any character except < > and newlines; URL serialization
  // percent-encodes those.
  // Inside link text every bracket is escaped: one left bare could end the text early.
  const text = escapeMarkdown(label).replace(/\\[^]|[[\]]/g, (m) => (m.length === 2 ? m : `\\${m}`));
  return href ? `[${text}](<${href.replace(/#.*$/, '')}${fragment}>)` : escapeMarkdown(label);
}

/**
 * A text fragment (`#:~:text=start,end`) that scrolls a browser to the quoted passage on its page:
 * the reader jumps to the place the evidence came from.
 */
export function textFragment(quote: string): string {
  const words = quote.replace(/\s+/g, ' ').trim().split(' ');
  const enc = (s: string) => encodeURIComponent(s).replace(/-/g, '%2D').replace(/[()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  if (words.length <= 8) return `#:~:text=${enc(words.join(' '))}`;
  return `#:~:text=${enc(words.slice(0, 4).join(' '))},${enc(words.slice(-4).join(' '))}`;
}

function evidenceLines(evidence: readonly EvidenceRef[]): string[] {
  return evidence.map((e) => `- “${escapeMarkdown(oneLinePassage(e.quote))}” (${link(e.url, e.url, textFragment(e.quote))}, passage ${escapeMarkdown(e.passageId)})`);
}

function list(items: readonly string[]): string[] {
  return items.length ? items.map((item) => `- ${escapeMarkdown(item)}`) : ['- *none usable*'];
}

function claimLines(claims: readonly Claim[]): string[] {
  if (claims.length === 0) return ['- *none usable*'];
  return claims.map((c) => {
    const refs = c.evidence.map((e) => link(e.url, e.passageId, textFragment(e.quote))).join(', ');
    return `- ${escapeMarkdown(c.text)} ${c.inferred ? '*(inferred: no passage backs it)*' : `(${refs})`}`;
  });
}

function isoDate(value: Date | string): string {
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString();
}

const UNSUPPORTED = '> **Unsupported.** No passage of the site backs this part; it is the model\'s inference.';

function statusLines(report: ReportContent, meta: RenderMeta, view: ReportView): string[] {
  const lines: string[] = [];
  if (meta.status === 'degraded') {
    lines.push('> **Quality: degraded.** This report did not pass every quality check after repairs. What failed is', '> not shown, or shown with a note; here is why:', '>');
    for (const note of [...view.withheld, ...view.shownWithANote]) lines.push(`> - ${escapeMarkdown(note)}`);
    lines.push('');
  } else if (meta.status === 'draft') {
    lines.push('> **Draft.** This report has not passed its quality check yet.', '');
  }
  if (report.personas.length === 0 && !report.summary && !report.offering) {
    lines.push('> **The model\'s output was unusable.** Nothing it wrote passed the quality rules, so this report has no content to show. Try another model.', '');
  }
  return lines;
}

function qualityLines(view: ReportView): string[] {
  // Reports checked before these figures were kept have none to show.
  if (!view.figures) return [];
  const { claims, fields, dropped } = view.figures;
  return ['## Evidence and quality', '', ...[claims, fields, ...dropped].map((line) => `- ${escapeMarkdown(line)}`), ''];
}

/** The pages not read, grouped by why (report-view.ts). */
function notReadLines(groups: readonly NotReadGroup[]): string[] {
  return groups.flatMap((g) => {
    if (g.kind === 'hosts') return [`- ${escapeMarkdown(g.label)}: ${g.hosts.map(({ host, count }) => `${escapeMarkdown(host)} (${count})`).join(', ')}`];
    if (g.kind === 'unlisted') return [`- ${escapeMarkdown(g.label)}`];
    return [
      `- ${escapeMarkdown(g.label)}:`,
      ...g.pages.map((p) => `  - ${link(p.url)}${p.detail ? ` (${escapeMarkdown(p.detail)})` : ''}`),
      ...(g.more > 0 ? [`  - and ${g.more} more`] : []),
    ];
  });
}

function pagesLines(pages: PagesRead | undefined, view: ReportView): string[] {
  if (!pages || (pages.read.length === 0 && pages.skipped.length === 0)) return [];
  const percent = (share: number) => `${Math.round(share * 100)}%`;
  const read = pages.read.map(
    (p) => `- ${link(p.url)}${p.kind ? ` (${escapeMarkdown(p.kind)})` : ''}: ${p.sentChars > 0 ? `${percent(p.share)} of its text sent to the model` : `not sent (${escapeMarkdown(p.left ?? 'no room')})`}`,
  );
  const skipped = notReadLines(view.pagesNotRead);
  return ['## Pages read', '', ...read, '', ...(skipped.length ? ['**Pages not read**', '', ...skipped, ''] : [])];
}

function usageLine(usage: Usage | undefined): string[] {
  if (!usage) return [];
  const cost = usage.costUsd === 'unknown' ? 'cost unknown (no price for this model)' : `about $${usage.costUsd.toFixed(4)}`;
  return [`Model usage for this version: ${usage.calls} calls, ${usage.inputTokens} input tokens (${usage.cachedTokens} cached), ${usage.outputTokens} output tokens, ${cost}  `];
}

function personaLines(persona: Persona, number: number): string[] {
  const part = (title: string, items: readonly string[]) => [`**${title}**`, '', ...list(items), ''];
  const claims = (title: string, items: readonly Claim[]) => [`**${title}**`, '', ...claimLines(items), ''];
  return [
    `### ${number}. ${escapeMarkdown(persona.name)}`,
    '',
    `*${escapeMarkdown(persona.role)}*`,
    '',
    ...(persona.support === 'unsupported' ? [UNSUPPORTED, ''] : []),
    escapeMarkdown(persona.summary),
    '',
    ...claims('Goals', persona.goals),
    ...claims('Pain points', persona.painPoints),
    ...claims('Objections', persona.objections),
    ...claims('Buying triggers', persona.buyingTriggers),
    ...part('Channels', persona.channels),
    ...part('Messaging that resonates', persona.messaging),
    ...(persona.evidence.length ? ['**Evidence from the site**', '', ...evidenceLines(persona.evidence), ''] : []),
  ];
}

export function renderMarkdown(report: ReportContent, meta: RenderMeta): string {
  const siteName = report.site.title.trim() || report.site.domain;
  const offering = report.offering;
  const view = reportView(report, meta.quality);
  const lines = [
    `# Customer personas: ${escapeMarkdown(siteName)}`,
    '',
    ...(report.generatedBy.standIn ? [`> **Stand-in report.** ${STAND_IN_NOTICE}`, ''] : []),
    ...statusLines(report, meta, view),
    `Site: ${link(report.site.url)}  `,
    `Version ${meta.version} · status ${meta.status} · created ${isoDate(meta.createdAt)}  `,
    `Written by ${escapeMarkdown(report.generatedBy.model)}${report.generatedBy.standIn ? ' (local stand-in, not a real AI model)' : ''} · language ${escapeMarkdown(report.language)}  `,
    ...usageLine(report.usage),
    '',
    ...(report.instructions ? [`Instructions for this version: ${escapeMarkdown(report.instructions)}`, ''] : []),
    ...(report.basedOn ? [`Carried over unchanged from version ${report.basedOn.version}: ${report.basedOn.carriedOver.join(', ')}.`, ''] : []),
    '## Summary',
    '',
    report.summary ? escapeMarkdown(report.summary) : '*Withheld: the model\'s summary did not pass the quality rules.*',
    '',
    '## Offering',
    '',
    ...(offering
      ? [
          ...(offering.support === 'unsupported' ? [UNSUPPORTED, ''] : []),
          escapeMarkdown(offering.summary),
          '',
          '**Products and services**',
          '',
          ...list(offering.products),
          '',
          '**Value propositions**',
          '',
          ...list(offering.valuePropositions),
          '',
          ...(offering.evidence.length ? ['**Evidence from the site**', '', ...evidenceLines(offering.evidence), ''] : []),
        ]
      : ['*Withheld: the model\'s description of the offering did not pass the quality rules.*', '']),
    '## Personas',
    '',
    ...(report.personas.length ? report.personas.flatMap((p, i) => personaLines(p, view.personaNumbers[i]!)) : ['*No persona passed the quality rules.*', '']),
    ...qualityLines(view),
    ...pagesLines(report.pages, view),
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
