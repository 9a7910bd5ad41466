import { foldForMatching } from './passages.js';
import { joinEvidence } from './report-assembly.js';
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
  // The claims shown so far, by folded text: copies, so joined evidence changes nothing handed in.
  const said = new Map<string, Claim>();
  const lists = CLAIM_FIELDS.map((field) => {
    const keyed = persona[field].map((c) => ({ key: foldForMatching(c.text), claim: { ...c } }));
    const fresh = keyed.filter((k) => !said.has(k.key));
    const shown = fresh.length > 0 ? fresh : keyed.slice(0, 1);
    for (const k of keyed) if (!shown.includes(k)) joinEvidence(said.get(k.key)!, k.claim.evidence);
    for (const k of shown) if (!said.has(k.key)) said.set(k.key, k.claim);
    return [field, shown.map((k) => k.claim)] as const;
  });
  return { ...persona, ...Object.fromEntries(lists) };
}
