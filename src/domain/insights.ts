import { z } from 'zod';
import type { InsightKind } from './analysis.js';
import { citedEvidenceListSchema } from './evidence.js';
import { boundedText, passageIdEnum, passageIdsSchema, TEXT_LIMITS, type AnswerSchemas } from './report.js';

/**
 * The insight calls of `ai_analysis`: one answer schema per kind, built per call around the IDs of
 * the passages in its prompt (see report.ts for the strict / lenient pair). Their text lives in
 * prompts.ts. Insights are research notes for the persona synthesis; they never reach a reader
 * directly, but their evidence is resolved like the report's, so the notes cite only real passages.
 */

/** Each kind's schema as a function: a call builds only its own kind. */
function build(evidence: z.ZodType, strict: boolean) {
  const { label, line, sentence, summary } = TEXT_LIMITS;
  const text = (description: string, max: number = sentence) => boundedText(max, description, strict);
  const list = <T extends z.ZodType>(item: T, min: number, max: number) =>
    strict
      ? z.array(item).min(min).max(max)
      : z.preprocess((v) => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(item)).transform((a) => a.slice(0, max));
  const nullableText = (description: string) => (strict ? z.string().max(line).nullable().describe(description) : z.string().nullable().optional().transform((v) => v ?? null));
  return {
    offering: () => z.object({
      companyName: text('The company name as the site writes it', label),
      summary: text('What the company sells, to whom, in two or three sentences', summary),
      products: list(z.object({ name: text('Product or service name', label), description: text('One or two sentences'), evidence }), 1, 5),
      valuePropositions: list(z.object({ statement: text('A benefit the site promises'), evidence }), 1, 4),
      pricingModel: nullableText('How pricing works (subscription, per project, on request), or null if the site does not say'),
    }),
    audience_segments: () => z.object({
      segments: list(
        z.object({
          name: text('A short label for the segment', label),
          description: text('Who they are, in one or two sentences'),
          industries: list(text('An industry', label), 0, 5).describe('Industries named or implied; empty if none'),
          companySize: nullableText('Company size if the site indicates it, else null'),
          evidence,
        }),
        1,
        4,
      ),
    }),
    goals_and_pains: () => z.object({
      goals: list(z.object({ statement: text('One goal, concretely'), segment: text('The audience segment it applies to, or "all"', label), evidence }), 1, 5),
      pains: list(z.object({ statement: text('One pain, concretely'), segment: text('The audience segment it applies to, or "all"', label), evidence }), 1, 5),
    }),
    objections_and_triggers: () => z.object({
      objections: list(z.object({ statement: text('A reason to hesitate'), response: text('How the site answers it'), evidence }), 1, 5),
      triggers: list(z.object({ statement: text('An event or need that makes someone buy now'), evidence }), 1, 5),
    }),
    channels_and_messaging: () => z.object({
      channels: list(z.object({ name: text('A channel (search, LinkedIn, events, partners, ...)', label), rationale: text('Why this audience is reached there'), evidence }), 1, 4),
      messages: list(z.object({ theme: text('A message theme', label), statement: text('The message in one sentence'), evidence }), 1, 4),
      tone: text('The voice and tone the site uses', line),
    }),
  } satisfies Record<InsightKind, () => z.ZodType>;
}

/** The lenient schemas do not depend on the passages: built once per kind. */
const lenient = build(citedEvidenceListSchema, false);
const accepting = new Map<InsightKind, z.ZodType<object>>();

export function insightSchemas(kind: InsightKind, ids: readonly string[]): AnswerSchemas<object> {
  const strictEvidence = passageIdsSchema(ids);
  let accept = accepting.get(kind);
  if (!accept) accepting.set(kind, (accept = lenient[kind]() as z.ZodType<object>));
  return {
    // Built only when asked: a request's JSON schema is converted once per kind (AnswerSchemas.shape).
    get request() {
      return build(strictEvidence, true)[kind]();
    },
    accept,
    definitions: { passage_ids: strictEvidence },
    shape: `insight:${kind}`,
    passageIds: passageIdEnum(ids),
  };
}

/** The language the report is written in: the given ISO 639-1 code; English when undetermined. */
export function outputLanguage(language: string | null | undefined): string {
  return language && /^[a-z]{2}$/.test(language) ? language : 'en';
}
