import { resolveEvidence, type CitedEvidence } from './evidence.js';
import type { LocatablePassage } from './passages.js';
import type { Claim, DroppedEvidence, ModelOffering, ModelPersona, OfferingSection, Persona, ReportPart } from './report.js';

/**
 * Turns the model's answer into report parts: every citation resolved against the stored
 * passages (text and URL from storage), what did not resolve collected as dropped evidence of its
 * part, each claim linked to its evidence or marked inferred, each part marked unsupported when
 * no evidence is left. Pure.
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

const trimmed = (values: readonly string[]) => values.map((v) => v.trim()).filter(Boolean);

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

export function assemblePersona(answer: ModelPersona, index: number, passages: readonly LocatablePassage[]): Assembled<Persona> {
  const dropped: DroppedEvidence[] = [];
  const resolve = resolver({ kind: 'persona', index }, passages, dropped);
  const claims = (list: readonly { text: string; evidence: readonly unknown[] }[]): Claim[] =>
    list
      .filter((c) => c.text.trim())
      .map((c) => {
        const evidence = resolve(c.evidence);
        return { text: c.text.trim(), evidence, inferred: evidence.length === 0 };
      });
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
  const anyEvidence = persona.evidence.length > 0 || [persona.goals, persona.painPoints, persona.objections, persona.buyingTriggers].some((l) => l.some((c) => c.evidence.length > 0));
  return { value: { ...persona, support: anyEvidence ? 'supported' : 'unsupported' }, dropped };
}
