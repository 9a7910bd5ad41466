import type { QualityResult } from './quality.js';
import { DROP_REASONS, FIELD_NAMES, ITEM_NAMES, LISTED_PER_REASON, SKIP_REASONS, WITHHELD_ITEMS_BECAUSE } from './report-labels.js';
import { partLabel, personaNumbers, type PagesRead, type ReportContent, type WithheldPart } from './report.js';
import { isDisqualifying } from './withhold.js';

/**
 * What a reader is told about a report beside its content, worked out once for the Markdown and
 * HTML renderings (render-report.ts) and the web page (the report route's `view`): which number
 * each persona had, what was withheld or is shown with a note and why, the quality figures in
 * words, and the pages not read grouped by why. Plain text; each rendering escapes it its own way.
 * Pure.
 */
export interface ReportView {
  /** The number each delivered persona had in the report as checked: the number the notes use. */
  personaNumbers: number[];
  /** Parts not shown at all ("offering", "persona 1"): withheld whole. */
  partsWithheldWhole: string[];
  /** One sentence per part or field withheld, and per note on a part that is shown ("Offering is written in English, ..."). */
  withheld: string[];
  shownWithANote: string[];
  /** The quality figures in words; null for a report checked before they were kept. */
  figures: { claims: string; fields: string; dropped: string[] } | null;
  pagesNotRead: NotReadGroup[];
}

/**
 * Pages not read for one reason, ten listed ("Broken link (5)"); the links to other sites as hosts
 * with counts ("Links to other sites (10, not followed)"); or how many the crawl did not list.
 */
export type NotReadGroup =
  | { kind: 'pages'; reason: string; label: string; pages: Array<{ url: string; detail?: string }>; more: number }
  | { kind: 'hosts'; label: string; hosts: Array<{ host: string; count: number }> }
  | { kind: 'unlisted'; label: string };

export function reportView(report: ReportContent, quality: QualityResult | null): ReportView {
  const partsWithheldWhole = [
    ...(report.summary === null ? ['summary'] : []),
    ...(report.offering ? [] : ['offering']),
    ...report.withheld.filter((w) => !w.field && w.part.kind === 'persona').map((w) => partLabel(w.part)),
  ];
  const hidden = (label: string) => partsWithheldWhole.includes(label);
  return {
    personaNumbers: personaNumbers(report),
    partsWithheldWhole,
    withheld: withheldLines(report.withheld),
    // A part not shown at all needs no word on what is wrong with it.
    // The notes' messages name their part ("offering is written in English, ..."): said once.
    shownWithANote: (quality?.issues ?? [])
      .filter((i) => !isDisqualifying(i.rule) && !hidden(partLabel(i.part)))
      .map((i) => capitalize(i.message.startsWith(partLabel(i.part)) ? i.message : `${partLabel(i.part)}: ${i.message}`)),
    figures: quality?.claims && quality.fields ? figures(quality, hidden) : null,
    pagesNotRead: report.pages ? pagesNotRead(report.pages) : [],
  };
}

/**
 * One line per part or field withheld; list items of one part withheld for one rule are one line
 * ("Withheld (persona 1): 11 items that name companies, ... (goals 3, pain points 3, ...)"): a
 * weak model fails whole lists alike, and a line for each item buries the rest.
 */
function withheldLines(withheld: ReportContent['withheld']): string[] {
  // Junk has many reasons ("stops mid-sentence at the length limit", "says the same words over and
  // over"): items are alike only for the same one, which the line then says.
  const keyOf = (w: WithheldPart) => {
    if (!w.rule || !w.field || w.item === undefined) return '';
    if (w.rule === 'junk') return `${partLabel(w.part)}\u0000junk\u0000${reasonAfterField(w)}`;
    return WITHHELD_ITEMS_BECAUSE[w.rule] ? `${partLabel(w.part)}\u0000${w.rule}` : '';
  };
  const alike = new Map<string, WithheldPart[]>();
  for (const w of withheld) if (keyOf(w)) alike.set(keyOf(w), [...(alike.get(keyOf(w)) ?? []), w]);
  return withheld.flatMap((w) => {
    const group = alike.get(keyOf(w)) ?? [];
    if (group.length < 2) {
      // A part withheld whole says so itself ("persona 1 withheld: ..."): its name once.
      if (!w.field && w.reason.startsWith(`${partLabel(w.part)} withheld`)) return [capitalize(w.reason)];
      const plain = plainReason(w);
      // A reason that names its field needs no "(offering, summary)"; the summary's one field is the summary.
      const where = w.field && !plain.namesField && w.field !== partLabel(w.part) ? `${partLabel(w.part)}, ${w.field}` : partLabel(w.part);
      return [`Withheld (${where}): ${plain.text}`];
    }
    // Said once, where the first of its group stands.
    if (group[0] !== w) return [];
    const perField = new Map<string, number>();
    for (const g of group) perField.set(g.field!, (perField.get(g.field!) ?? 0) + 1);
    const fields = [...perField].map(([field, n]) => `${FIELD_NAMES[field] ?? field} ${n}`).join(', ');
    const because = w.rule === 'junk' ? `, each of which ${reasonAfterField(w)}` : ` that ${WITHHELD_ITEMS_BECAUSE[w.rule!]}`;
    return [`Withheld (${partLabel(w.part)}): ${group.length} items${because} (${fields})`];
  });
}

/** The field a checker's reason starts with, as the report's JSON names it: "goals[2] ", "summary ". */
const FIELD_PREFIX = /^(\w+)(?:\[(\d+)\])? /u;

/** A list item's reason without the field it starts with: "stops mid-sentence ..." of "goals[2] stops mid-sentence ...". */
const reasonAfterField = (w: WithheldPart) => w.reason.replace(FIELD_PREFIX, '');

/**
 * A reason as a reader says it: the checker names a field as the report's JSON does ("goals[1]
 * gives a number ...", "valuePropositions[0] names ..."); a reader reads "goal 2 gives a number
 * ...". A reason that does not start with its field is said as it was.
 */
function plainReason(w: WithheldPart): { text: string; namesField: boolean } {
  const field = w.field;
  const m = field ? FIELD_PREFIX.exec(w.reason) : null;
  if (!field || !m || m[1] !== field) return { text: w.reason, namesField: false };
  // The offering's `summary` is what its section calls "the description of the offering": "summary"
  // there would send a reader to the report's Summary, which passed.
  const whole = w.part.kind === 'offering' && field === 'summary' ? 'description' : (FIELD_NAMES[field] ?? field);
  const named = m[2] === undefined ? whole : `${ITEM_NAMES[field] ?? `${field} item`} ${Number(m[2]) + 1}`;
  return { text: `${named} ${w.reason.slice(m[0].length)}`, namesField: true };
}

/** "persona 1", "persona 1 and persona 2", "persona 1, persona 2 and persona 3". */
const listed = (labels: readonly string[]) => (labels.length < 2 ? (labels[0] ?? '') : `${labels.slice(0, -1).join(', ')} and ${labels.at(-1)}`);

function figures(q: QualityResult, hidden: (label: string) => boolean): NonNullable<ReportView['figures']> {
  const dropped = Object.entries(q.droppedEvidence ?? {}).map(([part, tally]) => {
    const why = Object.entries(tally.reasons)
      .map(([reason, n]) => `${n} ${DROP_REASONS[reason] ?? 'did not verify'}`)
      .join(', ');
    // A part withheld whole is said to be so: the reader will not find it.
    return `Evidence dropped in ${part}${hidden(part) ? ' (withheld)' : ''}: ${tally.count} (${why}).`;
  });
  // Of the personas the reader sees: a citation's topic cannot be compared across languages.
  const notJudged = (q.citationsNotJudged ?? []).filter((label) => !hidden(label));
  return {
    claims:
      q.claims.share === null
        ? 'Persona claims backed by a cited passage: none to count, as the report shows no persona claims.'
        : `Persona claims backed by a cited passage: ${Math.round(q.claims.share * 100)}% (${q.claims.withEvidence} of ${q.claims.total})${q.claims.withEvidence < q.claims.total ? '; the others are marked inferred' : ''}.` +
          (notJudged.length ? ` Whether each cited passage speaks to its claim was not checked in ${listed(notJudged)}: written in another language than the site.` : ''),
    fields: `Text fields rejected (junk, placeholders, non-answers, prompt text, figures or names the site does not give): ${q.fields.rejected} of ${q.fields.checked}.`,
    dropped: dropped.length ? dropped : ['Every citation the model made resolved to a passage of the site.'],
  };
}

const hostOf = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The pages not read, one group per reason (in SKIP_REASONS' order, unknown reasons after). Links
 * to other sites come last as their hosts with counts: they are not pages of this site, and a list
 * of every link to a social network says nothing a reader needs.
 */
export function pagesNotRead(pages: PagesRead): NotReadGroup[] {
  const groups = new Map<string, PagesRead['skipped']>();
  for (const p of pages.skipped) groups.set(p.reason, [...(groups.get(p.reason) ?? []), p]);
  const order = Object.keys(SKIP_REASONS);
  const rank = (reason: string) => (reason === 'off_site' ? order.length + 1 : order.includes(reason) ? order.indexOf(reason) : order.length);
  const view: NotReadGroup[] = [...groups]
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([reason, list]): NotReadGroup => {
      if (reason === 'off_site') {
        const hosts = new Map<string, number>();
        for (const p of list) hosts.set(hostOf(p.url), (hosts.get(hostOf(p.url)) ?? 0) + 1);
        const byCount = [...hosts].sort(([, a], [, b]) => b - a).map(([host, count]) => ({ host, count }));
        return { kind: 'hosts', label: `Links to other sites (${list.length}, not followed)`, hosts: byCount };
      }
      const listed = list.slice(0, LISTED_PER_REASON).map((p) => ({ url: p.url, ...(p.detail ? { detail: p.detail } : {}) }));
      return { kind: 'pages', reason, label: `${capitalize(SKIP_REASONS[reason] ?? reason)} (${list.length})`, pages: listed, more: list.length - listed.length };
    });
  // The crawl keeps the first of each reason and only counts the rest: said so, or "7 more" reads as a reason of its own.
  if (pages.moreSkipped) view.push({ kind: 'unlisted', label: `${pages.moreSkipped} more for the reasons above, not listed one by one` });
  return view;
}
