// Renders a report (the JSON of GET /analysis/{id}/report) and a comparison of two versions
// (?version=N&diff=M) as DOM. Mirrors what src/domain/render-report.ts writes as Markdown.
import { h, link } from './dom.js';
import { textFragment } from './fragment.js';
import { DROP_REASONS, LISTED_PER_REASON, SKIP_REASONS } from './labels.js';

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

const SHOWN_WITH_A_NOTE = ['unsupported', 'wrong_language'];

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

/**
 * The numbers the delivered personas had in the report as checked, which the quality notes use
 * (persona 2 stays persona 2 when persona 1 was withheld whole; report.ts personaNumbers).
 */
function personaNumbers(report) {
  const gone = new Set((report.withheld ?? []).filter((w) => w.part.kind === 'persona' && !w.field).map((w) => w.part.index));
  const numbers = [];
  for (let i = 0; numbers.length < report.personas.length; i++) if (!gone.has(i)) numbers.push(i + 1);
  return numbers;
}

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

function qualitySection(report, status, quality) {
  const verdict =
    status === 'passed' ? 'Passed every quality check.' : status === 'degraded' ? 'Degraded: did not pass every quality check after repairs.' : 'Draft: not checked yet.';
  const items = [];
  if (quality?.claims) {
    const c = quality.claims;
    items.push(c.share === null ? 'No persona claims.' : `Persona claims backed by a cited passage: ${Math.round(c.share * 100)}% (${c.withEvidence} of ${c.total})${c.withEvidence < c.total ? '; the others are marked inferred' : ''}.`);
  }
  if (quality?.fields) items.push(`Text fields rejected (junk, placeholders, non-answers, prompt text, figures or names the site does not give): ${quality.fields.rejected} of ${quality.fields.checked}.`);
  // As the Markdown report says it: the summary's one field is named once, and a part withheld whole gets no word on its evidence.
  const withheld = report.withheld ?? [];
  for (const w of withheld) items.push(`Withheld (${partLabel(w.part)}${w.field && w.field !== partLabel(w.part) ? `, ${w.field}` : ''}): ${w.reason}`);
  const hidden = (part) => (part.kind === 'offering' ? !report.offering : withheld.some((w) => !w.field && partLabel(w.part) === partLabel(part)));
  // Rules that leave the part shown and say so (withhold.ts isDisqualifying).
  for (const i of quality?.issues ?? []) if (SHOWN_WITH_A_NOTE.includes(i.rule) && !hidden(i.part)) items.push(`${partLabel(i.part)}: ${i.message}`);
  const dropped = report.droppedEvidence ?? [];
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
          h('summary', null, `Evidence dropped: ${dropped.length} citation${dropped.length === 1 ? '' : 's'} did not resolve to a passage`),
          h('ul', null, dropped.map((d) => h('li', null, `${partLabel(d.part)}${hidden(d.part) ? ' (withheld)' : ''}: “${d.cited}” (${DROP_REASONS[d.reason] ?? d.reason})`))),
        )
      : h('p', { class: 'muted' }, 'Every citation the model made resolved to a passage of the site.'),
  );
}

const hostOf = (url) => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

/** The pages not read, grouped by why; other sites as hosts with counts, last (as the Markdown report). */
function skippedList(pages) {
  const groups = new Map();
  for (const p of pages.skipped) groups.set(p.reason, [...(groups.get(p.reason) ?? []), p]);
  const order = Object.keys(SKIP_REASONS);
  const rank = (reason) => (reason === 'off_site' ? order.length + 1 : order.includes(reason) ? order.indexOf(reason) : order.length);
  const items = [];
  for (const [reason, list] of [...groups].sort(([a], [b]) => rank(a) - rank(b))) {
    if (reason === 'off_site') {
      const hosts = new Map();
      for (const p of list) hosts.set(hostOf(p.url), (hosts.get(hostOf(p.url)) ?? 0) + 1);
      const byCount = [...hosts].sort(([, a], [, b]) => b - a).map(([host, n]) => `${host} (${n})`);
      items.push(h('li', null, `Links to other sites (${list.length}, not followed): ${byCount.join(', ')}`));
      continue;
    }
    const label = SKIP_REASONS[reason] ?? reason;
    const shown = list.slice(0, LISTED_PER_REASON).map((p) => h('li', null, link(p.url, pageLabel(p.url)), p.detail ? ` (${p.detail})` : ''));
    if (list.length > LISTED_PER_REASON) shown.push(h('li', null, `and ${list.length - LISTED_PER_REASON} more`));
    items.push(h('li', null, `${label.charAt(0).toUpperCase()}${label.slice(1)} (${list.length}):`, h('ul', null, shown)));
  }
  if (pages.moreSkipped) items.push(h('li', null, `${pages.moreSkipped} more not listed`));
  return h('ul', { class: 'muted skipped' }, items);
}

function pagesSection(pages) {
  if (!pages || (!pages.read.length && !pages.skipped.length)) return null;
  return h(
    'details',
    { class: 'pages' },
    h('summary', null, `Pages read: ${pages.read.length}, not read: ${pages.skipped.length + (pages.moreSkipped ?? 0)}`),
    h('ul', null, pages.read.map((p) => h('li', null, link(p.url, pageLabel(p.url)), p.sentChars > 0 ? ` ${Math.round(p.share * 100)}% sent to the model` : ` not sent (${p.left ?? 'no room'})`))),
    pages.skipped.length ? skippedList(pages) : null,
  );
}

/** `data` is the report route's JSON: { version, status, createdAt, report, quality }. */
export function renderReport(data) {
  const r = data.report;
  const o = r.offering;
  const numbers = personaNumbers(r);
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
    r.personas.length ? h('div', { class: 'personas' }, r.personas.map((p, i) => persona(p, numbers[i]))) : h('p', { class: 'muted' }, 'No persona passed the quality rules.'),
    qualitySection(r, data.status, data.quality),
    pagesSection(r.pages),
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
