import { resolveEvidence, type CitedEvidence } from './evidence.js';
import { detectLanguage } from './language.js';
import { foldForMatching, type EvidenceRef, type LocatablePassage } from './passages.js';
import { siteTopics, speaksToOne, unrelatedCitations, type SiteTopics } from './relevance.js';
import { CLAIM_FIELDS, type Claim, type DroppedEvidence, type ModelOffering, type ModelPersona, type OfferingSection, type Persona, type ReportPart } from './report.js';

/**
 * Turns the model's answer into report parts: every citation resolved against the stored
 * passages (text and URL from storage), what did not resolve collected as dropped evidence of its
 * part, each claim linked to its evidence or marked inferred, each part marked unsupported when
 * no evidence is left. Items a list repeats (the same words, folded as quotes are) become one: a
 * reader gains nothing from one goal three times, and a repeated claim keeps the evidence of all
 * its copies. A persona whose citations are careless (most share no word with their claims, and
 * passages that speak to them were passed over: relevance.ts) loses those that do not speak to
 * their claims; only where its claims are written in the language of the passages they cite, as
 * a translated claim shares no word with its passage; and then the passages it cites as a whole
 * that speak to none of its claims. Pure.
 */

interface Assembled<T> {
  value: T;
  dropped: DroppedEvidence[];
}

function resolver(part: ReportPart, passages: readonly LocatablePassage[], dropped: DroppedEvidence[]) {
  return (cited: readonly unknown[]) => {
    const { refs, dropped: lost } = resolveEvidence(cited as CitedEvidence[], passages);
    dropped.push(...lost.map((d) => ({ ...d, part })));
    return refs;
  };
}

function trimmed(values: readonly string[]): string[] {
  const kept = new Map<string, string>();
  for (const value of values.map((v) => v.trim())) {
    if (value && !kept.has(foldForMatching(value))) kept.set(foldForMatching(value), value);
  }
  return [...kept.values()];
}

const refKey = (r: EvidenceRef): string => `${r.passageId}\u0000${r.quote}`;

/** A copy of `claim` said again: its evidence joins the claim's, once each. */
export function joinEvidence(claim: Claim, evidence: readonly EvidenceRef[]): void {
  const known = new Set(claim.evidence.map(refKey));
  claim.evidence = [...claim.evidence, ...evidence.filter((r) => !known.has(refKey(r)))];
  claim.inferred = claim.evidence.length === 0;
}

export function assembleOffering(answer: ModelOffering, passages: readonly LocatablePassage[]): Assembled<OfferingSection> {
  const dropped: DroppedEvidence[] = [];
  const evidence = resolver({ kind: 'offering' }, passages, dropped)(answer.evidence);
  return {
    value: {
      summary: answer.summary.trim(),
      products: trimmed(answer.products),
      valuePropositions: trimmed(answer.valuePropositions),
      evidence,
      support: evidence.length > 0 ? 'supported' : 'unsupported',
    },
    dropped,
  };
}

/** The topics of an analysis's passages, told once for all its personas (each reads every passage). */
const topicsOf = new WeakMap<readonly LocatablePassage[], SiteTopics>();

/**
 * Drops the citations of claims that do not speak to them, when the persona's citations are judged
 * careless; and then the passages it cites as a whole (`evidence`, under "Evidence from the site")
 * that speak to none of its claims and not to its summary: a model that cites without reading
 * fills that list the same way. Returns the evidence kept.
 */
function dropUnrelated(
  persona: Omit<Persona, 'support'>,
  passages: readonly LocatablePassage[],
  part: ReportPart,
  dropped: DroppedEvidence[],
): EvidenceRef[] {
  const claims = CLAIM_FIELDS.flatMap((f) => persona[f]);
  let topics = topicsOf.get(passages);
  if (!topics) topicsOf.set(passages, (topics = siteTopics(passages.map((p) => p.text))));
  const drops = unrelatedCitations(
    claims.map((c) => ({ text: c.text, cited: c.evidence.map((r) => r.quote) })),
    topics,
  );
  if (drops.every((d) => d.length === 0)) return persona.evidence;
  // Claims in another language than the passages they cite share no word with them, however well
  // chosen: a model that answered in English to a German request, or a corpus stored before it
  // kept the site's language. Told from the texts themselves, and only when something would go.
  const claimsLanguage = detectLanguage(claims.map((c) => c.text).join('\n'), undefined);
  const citedLanguage = detectLanguage(claims.flatMap((c) => c.evidence.map((r) => r.quote)).join('\n'), undefined);
  if (claimsLanguage !== citedLanguage && claimsLanguage !== 'und' && citedLanguage !== 'und') return persona.evidence;
  claims.forEach((claim, i) => {
    const gone = new Set(drops[i]);
    if (gone.size === 0) return;
    for (const j of gone) dropped.push({ reason: 'unrelated', cited: claim.evidence[j]!.passageId, part });
    claim.evidence = claim.evidence.filter((_, j) => !gone.has(j));
    claim.inferred = claim.evidence.length === 0;
  });
  const said = [persona.summary, ...claims.map((c) => c.text)];
  return persona.evidence.filter((ref) => {
    if (speaksToOne(ref.quote, said, topics)) return true;
    dropped.push({ reason: 'unrelated', cited: ref.passageId, part });
    return false;
  });
}

/** What a persona is assembled against: the analysis's passages. */
export interface PersonaSources {
  passages: readonly LocatablePassage[];
}

export function assemblePersona(answer: ModelPersona, index: number, sources: PersonaSources): Assembled<Persona> {
  const { passages } = sources;
  const part: ReportPart = { kind: 'persona', index };
  const dropped: DroppedEvidence[] = [];
  const resolve = resolver(part, passages, dropped);
  const claims = (list: readonly { text: string; evidence: readonly unknown[] }[]): Claim[] => {
    const byText = new Map<string, Claim>();
    for (const c of list) {
      const text = c.text.trim();
      if (!text) continue;
      const evidence = resolve(c.evidence);
      const first = byText.get(foldForMatching(text));
      if (!first) {
        byText.set(foldForMatching(text), { text, evidence, inferred: evidence.length === 0 });
        continue;
      }
      joinEvidence(first, evidence);
    }
    return [...byText.values()];
  };
  const persona: Omit<Persona, 'support'> = {
    name: answer.name.trim(),
    role: answer.role.trim(),
    summary: answer.summary.trim(),
    goals: claims(answer.goals),
    painPoints: claims(answer.painPoints),
    objections: claims(answer.objections),
    buyingTriggers: claims(answer.buyingTriggers),
    channels: trimmed(answer.channels),
    messaging: trimmed(answer.messaging),
    evidence: resolve(answer.evidence),
  };
  persona.evidence = dropUnrelated(persona, passages, part, dropped);
  const anyEvidence = persona.evidence.length > 0 || [persona.goals, persona.painPoints, persona.objections, persona.buyingTriggers].some((l) => l.some((c) => c.evidence.length > 0));
  return { value: { ...persona, support: anyEvidence ? 'supported' : 'unsupported' }, dropped };
}
