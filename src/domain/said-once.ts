import { foldForMatching } from './passages.js';
import { refKey } from './report-assembly.js';
import { CLAIM_FIELDS, type Claim, type Persona, type ReportContent } from './report.js';

/**
 * A claim a persona already said in an earlier list of its own (the same sentence as a goal and
 * as an objection, which reads as a contradiction) is left out of the later list, its evidence
 * joined to the first; unless the later list would be left empty, where the first of it stays.
 * Pure; applied to what readers get, at finalization, after the quality rules: the rule for
 * renamed copies (repeated-personas.ts) compares the lists as the model wrote them, and a copy's
 * claims taken out of their lists would hide it.
 */
export function sayClaimsOnce(content: ReportContent): ReportContent {
  return { ...content, personas: content.personas.map(claimsOnce) };
}

function claimsOnce(persona: Persona): Persona {
  const said = new Map<string, Claim>();
  const lists = CLAIM_FIELDS.map((field) => {
    const list = persona[field];
    const fresh = list.filter((c) => !said.has(foldForMatching(c.text)));
    const kept = fresh.length > 0 ? fresh : list.slice(0, 1);
    const shown = kept.map((c) => ({ ...c }));
    for (const c of list) {
      const first = said.get(foldForMatching(c.text));
      if (first && !kept.includes(c)) join(first, c);
    }
    for (const c of shown) if (!said.has(foldForMatching(c.text))) said.set(foldForMatching(c.text), c);
    return [field, shown] as const;
  });
  return { ...persona, ...Object.fromEntries(lists) };
}

/** The evidence of a copy left out, on the claim shown. */
function join(shown: Claim, copy: Claim): void {
  const known = new Set(shown.evidence.map(refKey));
  shown.evidence = [...shown.evidence, ...copy.evidence.filter((r) => !known.has(refKey(r)))];
  shown.inferred = shown.evidence.length === 0;
}
