// Renders a report (the JSON of GET /analysis/{id}/report) and a comparison of two versions
// (?version=N&diff=M) as DOM. Mirrors what src/domain/render-report.ts writes as Markdown.
import { h, link } from './dom.js';
import { textFragment } from './fragment.js';
import { DROP_REASONS } from './labels.js';

const STAND_IN_NOTICE =
  'Written by a local stand-in, not a real AI model. The text was assembled mechanically from the site for development and testing; do not use it as an analysis of the company.';

const FIELD_LABELS = {
  goals: 'Goals',
  painPoints: 'Pain points',
  objections: 'Objections',
  buyingTriggers: 'Buying triggers',
  channels: 'Channels',
  messaging: 'Messaging that resonates',
  products: 'Products and services',
  valuePropositions: 'Value propositions',
  summary: 'Summary',
  name: 'Name',
  role: 'Role',
};

const partLabel = (part) => (part.kind === 'persona' ? `persona ${part.index + 1}` : part.kind);

/** A passage's line breaks (a heading and its paragraph) shown as the report's Markdown shows them. */
const oneLine = (text) => text.trim().replace(/([^.!?:;…"”'’)\s])[^\S\n]*\n\s*/gu, '$1 / ').replace(/\s+/g, ' ');

/** A quote with a link that opens its page scrolled to the passage (a text fragment). */
function quote(ref) {
  return h('li', { class: 'quote' }, h('blockquote', null, `“${oneLine(ref.quote)}”`), link(ref.url, pageLabel(ref.url), textFragment(ref.quote)));
}

function pageLabel(url) {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return url;
  }
}

function evidenceBlock(refs) {
  if (!refs?.length) return null;
  return h('details', { class: 'evidence' }, h('summary', null, `Evidence from the site (${refs.length})`), h('ul', null, refs.map(quote)));
}

function list(title, items) {
  return [h('h4', null, title), items.length ? h('ul', null, items.map((i) => h('li', null, i))) : h('p', { class: 'muted' }, 'none usable')];
}

function claims(title, items) {
  const row = (c) =>
    h(
      'li',
      null,
      c.text,
      ' ',
      c.inferred || !c.evidence.length
        ? h('span', { class: 'tag inferred', title: 'No passage of the site backs this' }, 'inferred')
        : c.evidence.map((e) => h('span', { class: 'ref' }, link(e.url, e.passageId, textFragment(e.quote)))),
    );
  return [h('h4', null, title), items.length ? h('ul', null, items.map(row)) : h('p', { class: 'muted' }, 'none usable')];
}

const unsupported = () => h('p', { class: 'warn' }, 'Unsupported: no passage of the site backs this part; it is the model’s inference.');

function persona(p, number) {
  return h(
    'section',
    { class: 'persona', 'data-persona': number },
    h('p', { class: 'muted persona-number' }, `Persona ${number}`),
    h('h3', null, p.name),
    h('p', { class: 'role' }, p.role),
    p.support === 'unsupported' ? unsupported() : null,
    h('p', null, p.summary),
    claims('Goals', p.goals),
    claims('Pain points', p.painPoints),
    claims('Objections', p.objections),
    claims('Buying triggers', p.buyingTriggers),
    list('Channels', p.channels),
    list('Messaging that resonates', p.messaging),
    evidenceBlock(p.evidence),
  );
}

function usageText(usage) {
  if (!usage) return null;
  const cost = usage.costUsd === 'unknown' ? 'cost unknown (no price for this model)' : `about $${usage.costUsd.toFixed(4)}`;
  return `${usage.calls} model calls, ${usage.inputTokens} input tokens (${usage.cachedTokens} cached), ${usage.outputTokens} output tokens, ${cost}`;
}

/** What the Markdown report says under "Evidence and quality", in its words (the route's `view`: src/domain/report-view.ts). */
function qualitySection(report, status, view) {
  const verdict =
    status === 'passed' ? 'Passed every quality check.' : status === 'degraded' ? 'Degraded: did not pass every quality check after repairs.' : 'Draft: not checked yet.';
  const f = view.figures;
  const items = [...(f ? [f.claims, f.fields] : []), ...view.withheld, ...view.shownWithANote, ...(f ? f.dropped : [])];
  const dropped = report.droppedEvidence ?? [];
  const hidden = (part) => view.partsWithheldWhole.includes(partLabel(part));
  return h(
    'section',
    { class: `quality ${status}`, id: 'quality' },
    h('h3', null, 'Evidence and quality'),
    h('p', { class: 'verdict' }, verdict),
    items.length ? h('ul', null, items.map((i) => h('li', null, i))) : null,
    dropped.length
      ? h(
          'details',
          { class: 'dropped' },
          h('summary', null, `The ${dropped.length} dropped citation${dropped.length === 1 ? '' : 's'}`),
          h('ul', null, dropped.map((d) => h('li', null, `${partLabel(d.part)}${hidden(d.part) ? ' (withheld)' : ''}: “${d.cited}” (${DROP_REASONS[d.reason] ?? d.reason})`))),
        )
      : null,
  );
}

/** The pages not read, grouped by why (the route's `view.pagesNotRead`). */
function skippedList(groups) {
  const item = (g) => {
    if (g.kind === 'hosts') return h('li', null, `${g.label}: ${g.hosts.map(({ host, count }) => `${host} (${count})`).join(', ')}`);
    if (g.kind === 'unlisted') return h('li', null, g.label);
    const shown = g.pages.map((p) => h('li', null, link(p.url, pageLabel(p.url)), p.detail ? ` (${p.detail})` : ''));
    if (g.more > 0) shown.push(h('li', null, `and ${g.more} more`));
    return h('li', null, `${g.label}:`, h('ul', null, shown));
  };
  return h('ul', { class: 'muted skipped' }, groups.map(item));
}

function pagesSection(pages, view) {
  if (!pages || (!pages.read.length && !pages.skipped.length)) return null;
  return h(
    'details',
    { class: 'pages' },
    h('summary', null, `Pages read: ${pages.read.length}, not read: ${pages.skipped.length + (pages.moreSkipped ?? 0)}`),
    h('ul', null, pages.read.map((p) => h('li', null, link(p.url, pageLabel(p.url)), p.sentChars > 0 ? ` ${Math.round(p.share * 100)}% sent to the model` : ` not sent (${p.left ?? 'no room'})`))),
    view.pagesNotRead.length ? skippedList(view.pagesNotRead) : null,
  );
}

/** `data` is the report route's JSON: { version, status, createdAt, report, quality, view }. */
export function renderReport(data) {
  const r = data.report;
  const o = r.offering;
  return h(
    'div',
    { class: 'report', 'data-version': data.version },
    r.generatedBy?.standIn ? h('p', { class: 'warn stand-in' }, h('strong', null, 'Stand-in report. '), STAND_IN_NOTICE) : null,
    h(
      'p',
      { class: 'meta' },
      link(r.site.url, r.site.title?.trim() || r.site.domain),
      ` · version ${data.version} · ${data.status} · ${new Date(data.createdAt).toLocaleString()} · ${r.generatedBy?.model ?? ''}${r.generatedBy?.standIn ? ' (stand-in)' : ''} · language ${r.language}`,
    ),
    r.usage ? h('p', { class: 'meta usage' }, `Cost of this version: ${usageText(r.usage)}`) : null,
    r.instructions ? h('p', { class: 'instructions' }, `Instructions for this version: ${r.instructions}`) : null,
    r.basedOn ? h('p', { class: 'muted' }, `Carried over unchanged from version ${r.basedOn.version}: ${r.basedOn.carriedOver.join(', ')}.`) : null,
    h('h3', null, 'Summary'),
    r.summary ? h('p', { class: 'summary' }, r.summary) : h('p', { class: 'muted' }, 'Withheld: the model’s summary did not pass the quality rules.'),
    h('h3', null, 'Offering'),
    o
      ? h(
          'div',
          { class: 'offering' },
          o.support === 'unsupported' ? unsupported() : null,
          h('p', null, o.summary),
          h('div', { class: 'cols' }, h('div', null, list('Products and services', o.products)), h('div', null, list('Value propositions', o.valuePropositions))),
          evidenceBlock(o.evidence),
        )
      : h('p', { class: 'muted' }, 'Withheld: the description of the offering did not pass the quality rules.'),
    h('h3', null, `Personas (${r.personas.length})`),
    r.personas.length ? h('div', { class: 'personas' }, r.personas.map((p, i) => persona(p, data.view.personaNumbers[i]))) : h('p', { class: 'muted' }, 'No persona passed the quality rules.'),
    qualitySection(r, data.status, data.view),
    pagesSection(r.pages, data.view),
  );
}

function textChange(change) {
  return h(
    'div',
    { class: 'change' },
    h('h5', null, FIELD_LABELS[change.field] ?? change.field),
    change.before !== null ? h('p', { class: 'before' }, h('del', null, change.before)) : null,
    change.after !== null ? h('p', { class: 'after' }, h('ins', null, change.after)) : null,
  );
}

function listChange(change) {
  return h(
    'div',
    { class: 'change' },
    h('h5', null, FIELD_LABELS[change.field] ?? change.field),
    h('ul', null, change.removed.map((x) => h('li', { class: 'before' }, h('del', null, x))), change.added.map((x) => h('li', { class: 'after' }, h('ins', null, x)))),
  );
}

function evidenceChange(change) {
  if (!change.added.length && !change.dropped.length) return null;
  return h(
    'div',
    { class: 'change' },
    h('h5', null, 'Evidence'),
    h(
      'ul',
      null,
      change.dropped.map((e) => h('li', { class: 'before' }, h('del', null, `“${oneLine(e.quote)}”`))),
      change.added.map((e) => h('li', { class: 'after' }, h('ins', null, `“${oneLine(e.quote)}” `), link(e.url, pageLabel(e.url), textFragment(e.quote)))),
    ),
  );
}

/** `diff` is the JSON of ?version=N&diff=M (src/domain/report-diff.ts). */
export function renderDiff(diff) {
  const p = diff.personas;
  const nothing = !diff.summary && !diff.offering && !p.added.length && !p.removed.length && !p.changed.length;
  return h(
    'div',
    { 'data-from': diff.from, 'data-to': diff.to },
    h('h3', null, `What changed from version ${diff.from} to ${diff.to}`),
    diff.instructions ? h('p', { class: 'instructions' }, `Instructions for version ${diff.to}: ${diff.instructions}`) : null,
    diff.carriedOver.length ? h('p', { class: 'muted' }, `Carried over unchanged: ${diff.carriedOver.join(', ')}.`) : null,
    nothing ? h('p', { class: 'muted' }, 'Nothing changed.') : null,
    diff.summary ? textChange(diff.summary) : null,
    diff.offering
      ? h('div', null, h('h4', null, 'Offering'), diff.offering.text.map(textChange), diff.offering.lists.map(listChange), evidenceChange(diff.offering.evidence))
      : null,
    p.added.length ? h('p', null, 'Personas added: ', h('ins', null, p.added.join(', '))) : null,
    p.removed.length ? h('p', null, 'Personas removed: ', h('del', null, p.removed.join(', '))) : null,
    p.changed.map((c) =>
      h(
        'div',
        { class: 'persona-change' },
        h('h4', null, c.previousName ? `${c.previousName} → ${c.name}` : c.name),
        c.text.map(textChange),
        c.lists.map(listChange),
        evidenceChange(c.evidence),
      ),
    ),
    p.unchanged.length ? h('p', { class: 'muted' }, `Unchanged: ${p.unchanged.join(', ')}.`) : null,
  );
}
