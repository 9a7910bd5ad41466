import { CLAIM_FIELDS, LIST_FIELDS, type Claim, type EvidenceRef, type Persona, type ReportContent } from './report.js';

/**
 * What changed from one report version to another, for a reader comparing them: the summary and
 * offering field by field, personas added, removed or changed (matched by name, then by role),
 * and the evidence each gained or lost, beside the instructions of the newer version. Pure.
 */

export interface TextChange {
  field: string;
  before: string | null;
  after: string | null;
}

export interface ListChange {
  field: string;
  added: string[];
  removed: string[];
}

export interface EvidenceChange {
  added: EvidenceRef[];
  dropped: EvidenceRef[];
}

export interface PersonaChange {
  name: string;
  previousName?: string;
  text: TextChange[];
  lists: ListChange[];
  evidence: EvidenceChange;
}

export interface ReportDiff {
  from: number;
  to: number;
  /** The instructions the newer version was requested with, if any. */
  instructions: string | null;
  /** Parts the newer version carried over unchanged, when it redid only some. */
  carriedOver: string[];
  summary: TextChange | null;
  offering: { text: TextChange[]; lists: ListChange[]; evidence: EvidenceChange } | null;
  personas: { added: string[]; removed: string[]; changed: PersonaChange[]; unchanged: string[] };
}

const key = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();

function textChange(field: string, before: string | null | undefined, after: string | null | undefined): TextChange[] {
  return (before ?? null) === (after ?? null) ? [] : [{ field, before: before ?? null, after: after ?? null }];
}

function listChange(field: string, before: readonly string[], after: readonly string[]): ListChange[] {
  const b = new Set(before.map(key));
  const a = new Set(after.map(key));
  const added = after.filter((x) => !b.has(key(x)));
  const removed = before.filter((x) => !a.has(key(x)));
  return added.length || removed.length ? [{ field, added, removed }] : [];
}

function evidenceChange(before: readonly EvidenceRef[], after: readonly EvidenceRef[]): EvidenceChange {
  const b = new Set(before.map((e) => e.passageId));
  const a = new Set(after.map((e) => e.passageId));
  return { added: after.filter((e) => !b.has(e.passageId)), dropped: before.filter((e) => !a.has(e.passageId)) };
}

const claimTexts = (claims: readonly Claim[]) => claims.map((c) => c.text);
const allEvidence = (p: Persona) => dedupe([...p.evidence, ...CLAIM_FIELDS.flatMap((f) => p[f].flatMap((c) => c.evidence))]);
const dedupe = (refs: readonly EvidenceRef[]) => refs.filter((r, i) => refs.findIndex((x) => x.passageId === r.passageId) === i);

function personaChange(before: Persona, after: Persona): PersonaChange | null {
  const text = [...textChange('name', before.name, after.name), ...textChange('role', before.role, after.role), ...textChange('summary', before.summary, after.summary)];
  const lists = [
    ...CLAIM_FIELDS.flatMap((f) => listChange(f, claimTexts(before[f]), claimTexts(after[f]))),
    ...LIST_FIELDS.flatMap((f) => listChange(f, before[f], after[f])),
  ];
  const evidence = evidenceChange(allEvidence(before), allEvidence(after));
  if (!text.length && !lists.length && !evidence.added.length && !evidence.dropped.length) return null;
  return { name: after.name, ...(key(before.name) !== key(after.name) ? { previousName: before.name } : {}), text, lists, evidence };
}

/** Pairs personas of two versions: same name first, then same role; the rest are added or removed. */
function pairPersonas(before: readonly Persona[], after: readonly Persona[]) {
  const pairs: [Persona, Persona][] = [];
  const left = [...before];
  const right: Persona[] = [];
  for (const p of after) {
    const i = left.findIndex((b) => key(b.name) === key(p.name));
    if (i >= 0) pairs.push([left.splice(i, 1)[0]!, p]);
    else right.push(p);
  }
  const added: Persona[] = [];
  for (const p of right) {
    const i = left.findIndex((b) => key(b.role) === key(p.role));
    if (i >= 0) pairs.push([left.splice(i, 1)[0]!, p]);
    else added.push(p);
  }
  return { pairs, added, removed: left };
}

export function diffReports(from: ReportContent, to: ReportContent): ReportDiff {
  const offeringBefore = from.offering;
  const offeringAfter = to.offering;
  let offering: ReportDiff['offering'] = null;
  if (JSON.stringify(offeringBefore) !== JSON.stringify(offeringAfter)) {
    offering = {
      text: textChange('summary', offeringBefore?.summary, offeringAfter?.summary),
      lists: [
        ...listChange('products', offeringBefore?.products ?? [], offeringAfter?.products ?? []),
        ...listChange('valuePropositions', offeringBefore?.valuePropositions ?? [], offeringAfter?.valuePropositions ?? []),
      ],
      evidence: evidenceChange(offeringBefore?.evidence ?? [], offeringAfter?.evidence ?? []),
    };
  }
  const { pairs, added, removed } = pairPersonas(from.personas, to.personas);
  const changed: PersonaChange[] = [];
  const unchanged: string[] = [];
  for (const [b, a] of pairs) {
    const change = personaChange(b, a);
    if (change) changed.push(change);
    else unchanged.push(a.name);
  }
  return {
    from: from.version,
    to: to.version,
    instructions: to.instructions ?? null,
    carriedOver: to.basedOn?.carriedOver ?? [],
    summary: textChange('summary', from.summary, to.summary)[0] ?? null,
    offering,
    personas: { added: added.map((p) => p.name), removed: removed.map((p) => p.name), changed, unchanged },
  };
}
