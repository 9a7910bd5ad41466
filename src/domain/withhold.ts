import type { QualityIssue } from './quality.js';
import { CLAIM_FIELDS, LIST_FIELDS, partLabel, type OfferingSection, type Persona, type ReportContent, type WithheldPart } from './report.js';

/**
 * What a reader may see of a report that still fails its rules after the last repair: degraded
 * means less, never wrong. Pure. Failing list items are taken out; a persona whose name, role or
 * summary is unusable, or that repeats another persona, is taken out whole; an unusable summary
 * or offering summary is withheld (null). Evidence that does not verify is removed. Unsupported
 * parts stay, marked unsupported. Each removal is listed in `withheld` with its reason.
 */

/** Rules that make a field unfit to show. `unsupported` is not one: the part stays, marked. */
const DISQUALIFYING = new Set<QualityIssue['rule']>(['required_section', 'placeholder', 'junk', 'prompt_echo', 'unstated_figure', 'unstated_name', 'distinct_personas', 'evidence_not_found']);
const PERSONA_CORE = new Set(['name', 'role', 'summary']);

/** Whether a rule's failure withholds what broke it; the others (unsupported, wrong_language) leave the part shown and say so. */
export function isDisqualifying(rule: QualityIssue['rule']): boolean {
  return DISQUALIFYING.has(rule);
}

export function withholdFailing(content: ReportContent, issues: readonly QualityIssue[]): ReportContent {
  const failing = issues.filter((i) => DISQUALIFYING.has(i.rule));
  if (failing.length === 0) return content;
  const withheld: WithheldPart[] = [];
  const note = (i: QualityIssue) => withheld.push({ part: i.part, ...(i.field ? { field: i.field } : {}), ...(i.item === undefined ? {} : { item: i.item }), rule: i.rule, reason: i.message });

  let summary = content.summary;
  let offering: OfferingSection | null = content.offering && { ...content.offering };
  const personaIssues = new Map<number, QualityIssue[]>();

  for (const issue of failing) {
    const { part } = issue;
    if (part.kind === 'summary') {
      summary = null;
      note(issue);
    } else if (part.kind === 'offering' && offering) {
      if (issue.field === 'summary' || issue.field === undefined) {
        offering = null;
        note(issue);
      }
    } else if (part.kind === 'persona') {
      personaIssues.set(part.index, [...(personaIssues.get(part.index) ?? []), issue]);
    }
  }

  if (offering) {
    const offeringIssues = failing.filter((i) => i.part.kind === 'offering');
    offering = {
      ...offering,
      products: dropItems(offering.products, offeringIssues, 'products', note),
      valuePropositions: dropItems(offering.valuePropositions, offeringIssues, 'valuePropositions', note),
      // Evidence that failed verification (never expected: it comes from storage) is not shown at all.
      evidence: offeringIssues.some((x) => x.rule === 'evidence_not_found') ? [] : offering.evidence,
    };
    if (offering.evidence.length === 0) offering.support = 'unsupported';
  }

  const personas: Persona[] = [];
  content.personas.forEach((persona, index) => {
    const own = personaIssues.get(index) ?? [];
    const fatal = own.find((i) => i.rule === 'distinct_personas' || (i.field !== undefined && PERSONA_CORE.has(i.field)));
    if (fatal) {
      withheld.push({ part: { kind: 'persona', index }, reason: `${partLabel({ kind: 'persona', index })} withheld: ${fatal.message}` });
      return;
    }
    const kept: Persona = { ...persona };
    for (const field of CLAIM_FIELDS) {
      kept[field] = dropItems(persona[field], own, field, note);
      // Evidence that failed verification leaves its claim inferred, never shown as backed.
      kept[field] = kept[field].map((claim) =>
        own.some((x) => x.rule === 'evidence_not_found' && x.field === field && x.item === persona[field].indexOf(claim)) ? { ...claim, evidence: [], inferred: true } : claim,
      );
    }
    for (const field of LIST_FIELDS) kept[field] = dropItems(persona[field], own, field, note);
    if (own.some((x) => x.rule === 'evidence_not_found' && x.field === 'evidence')) kept.evidence = [];
    const anyEvidence = kept.evidence.length > 0 || CLAIM_FIELDS.some((f) => kept[f].some((c) => c.evidence.length > 0));
    kept.support = anyEvidence ? 'supported' : 'unsupported';
    personas.push(kept);
  });

  return { ...content, summary, offering, personas, withheld: [...content.withheld, ...withheld] };
}

/** The list without the items that an issue on `field` names (content rules only). */
function dropItems<T>(list: readonly T[], issues: readonly QualityIssue[], field: string, note: (i: QualityIssue) => void): T[] {
  const bad = issues.filter((i) => i.field === field && i.item !== undefined && i.rule !== 'evidence_not_found');
  bad.forEach(note);
  const emptied = issues.find((i) => i.field === field && i.item === undefined && i.rule === 'required_section');
  if (emptied) note(emptied);
  return list.filter((_, i) => !bad.some((b) => b.item === i));
}
