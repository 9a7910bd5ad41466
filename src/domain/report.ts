import { z } from 'zod';
import { citedEvidenceListSchema, type DroppedCitation } from './evidence.js';
import type { EvidenceRef } from './passages.js';
import type { QualityRule } from './quality.js';

/**
 * The persona report: what `reports.content` holds and what the API renders, plus the schemas the
 * model answers in. Evidence is by reference: the model cites passage IDs, the product stores
 * `EvidenceRef`s whose text and URL come from the corpus.
 *
 * Two schemas per model answer: a strict one sent to the endpoint (OpenAI strict mode: every
 * property required, nullable instead of optional, evidence an enum of the IDs in the prompt),
 * and a lenient one that reads what models actually send (quotes instead of IDs, plain strings
 * instead of claim objects, too many items).
 */

export type { EvidenceRef } from './passages.js';

/** A part of the report, as a typed value: what quality issues and repairs name. */
export type ReportPart = { kind: 'summary' } | { kind: 'offering' } | { kind: 'personas' } | { kind: 'persona'; index: number };

/** A readable, stable name for a part ("persona 2"): for messages and per-part tallies, never parsed back. */
export function partLabel(part: ReportPart): string {
  return part.kind === 'persona' ? `persona ${part.index + 1}` : part.kind;
}

/**
 * The numbers (from 1) the delivered personas had in the report as checked: the numbers quality
 * notes and withheld reasons use, so persona 2 stays "persona 2" when persona 1 was withheld whole.
 */
export function personaNumbers(report: Pick<ReportContent, 'personas' | 'withheld'>): number[] {
  const gone = new Set(report.withheld.filter((w) => w.part.kind === 'persona' && !w.field).map((w) => (w.part.kind === 'persona' ? w.part.index : -1)));
  const numbers: number[] = [];
  for (let i = 0; numbers.length < report.personas.length; i++) if (!gone.has(i)) numbers.push(i + 1);
  return numbers;
}

export function samePart(a: ReportPart, b: ReportPart): boolean {
  return a.kind === b.kind && (a.kind !== 'persona' || (b.kind === 'persona' && a.index === b.index));
}

/** A statement a persona makes, with the passages that support it, or marked inferred. */
export interface Claim {
  text: string;
  evidence: EvidenceRef[];
  inferred: boolean;
}

/** Unsupported: no evidence survived verification, so the part is the model's inference only. */
export type Support = 'supported' | 'unsupported';

export interface Persona {
  name: string;
  role: string;
  summary: string;
  goals: Claim[];
  painPoints: Claim[];
  objections: Claim[];
  buyingTriggers: Claim[];
  channels: string[];
  messaging: string[];
  evidence: EvidenceRef[];
  support: Support;
}

export const CLAIM_FIELDS = ['goals', 'painPoints', 'objections', 'buyingTriggers'] as const;
export const LIST_FIELDS = ['channels', 'messaging'] as const;

/**
 * Whether text in `language` (a part of a report, as written) is in its site's language ('und':
 * the site's could not be told), so that its words can be compared with the site's: a translation
 * names places and things in other words ("Munich" for "München").
 */
export function inSiteLanguage(siteLanguage: string, language: string): boolean {
  return siteLanguage === 'und' || siteLanguage === language;
}

export interface OfferingSection {
  summary: string;
  products: string[];
  valuePropositions: string[];
  evidence: EvidenceRef[];
  support: Support;
}

export interface Usage {
  calls: number;
  inputTokens: number;
  cachedTokens: number;
  outputTokens: number;
  /** 'unknown' when any call used a model without a known price: never a made-up 0. */
  costUsd: number | 'unknown';
}

/** A part taken out of the final report because it stayed unusable after repairs. */
export interface WithheldPart {
  part: ReportPart;
  field?: string;
  /** The list item withheld, and the rule it broke: absent in reports stored before 2026-12-01. */
  item?: number;
  rule?: QualityRule;
  reason: string;
}

export interface DroppedEvidence extends DroppedCitation {
  part: ReportPart;
}

export interface ReportContent {
  /** 2: evidence by reference. Reports stored before it (no `format`) are read by `readReportContent`. */
  format: 2;
  site: { url: string; domain: string; title: string };
  language: string;
  /** Null when the model's summary was unusable and withheld. */
  summary: string | null;
  offering: OfferingSection | null;
  personas: Persona[];
  /** Citations the model made that could not be resolved to a stored passage, by part. */
  droppedEvidence: DroppedEvidence[];
  /** What finalization took out because it failed the quality rules after the last repair. */
  withheld: WithheldPart[];
  generatedBy: {
    model: string;
    /** True when a local stand-in, not a real AI model, wrote any part of the report. */
    standIn: boolean;
  };
  version: number;
  instructions?: string;
  /** A regeneration that redid only some parts: the version the others were carried over from. */
  basedOn?: { version: number; carriedOver: Array<'summary' | 'offering' | 'personas'> };
  /** Model usage of this version (its insight calls, synthesis and repairs); set at finalization. */
  usage?: Usage;
  /** The pages the analysis read (with how much of each the model was sent) and the pages it skipped, with why. */
  pages?: PagesRead;
}

export interface PagesRead {
  read: Array<{ url: string; kind: string | null; chars: number; sentChars: number; share: number; left?: string }>;
  skipped: Array<{ url: string; reason: string; detail?: string }>;
  moreSkipped: number;
}

// ---------------------------------------------------------------------------------------------
// What the model answers

/** The strict evidence field: IDs of the passages in the prompt, as one shared enum. */
export function passageIdsSchema(ids: readonly string[]) {
  const [first, ...rest] = passageIdEnum(ids);
  return z.array(z.enum([first!, ...rest])).max(3).describe('IDs of the passages that support this, e.g. ["p1.2"]; empty if none does');
}

/** The values of the passage-ID enum: a schema's enum cannot be empty, so a prompt with no passages offers one that names none. */
export function passageIdEnum(ids: readonly string[]): string[] {
  return ids.length > 0 ? [...ids] : ['p0.0'];
}

type EvidenceField = z.ZodType;

/**
 * Lengths the strict schemas allow. A grammar-constrained local model stops a string here instead
 * of repeating itself to the token limit (seen with small models); OpenAI honours maxLength too.
 * The lenient schemas accept any length: the quality rules judge the text.
 */
export const TEXT_LIMITS = { label: 80, line: 160, sentence: 240, summary: 480 } as const;

/** A required string: bounded when strict, any length when reading an answer. */
export function boundedText(max: number, description: string, strict: boolean) {
  return (strict ? z.string().min(1).max(max) : z.string()).describe(description);
}

/** Lenient list: a single value reads as a list, null as empty, extra items are cut. */
function list<T extends z.ZodType>(item: T, max: number) {
  return z.preprocess((v) => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(item)).transform((a) => a.slice(0, max));
}

/** A claim: `{ text, evidence }`; a bare string (what weak models send) is a claim without evidence. */
function claimSchema(evidence: EvidenceField, strict: boolean) {
  const object = z.object({ text: boundedText(TEXT_LIMITS.sentence, 'The claim in one sentence', strict), evidence });
  return strict ? object : z.union([z.string().transform((text) => ({ text, evidence: [] as unknown[] })), object]);
}

function personaModelSchema(evidence: EvidenceField, strict: boolean) {
  const claims = (what: string) => (strict ? z.array(claimSchema(evidence, true)).min(1).max(3).describe(what) : list(claimSchema(evidence, false), 5));
  const strings = (what: string) => (strict ? z.array(boundedText(TEXT_LIMITS.sentence, what, true)).min(1).max(3).describe(what) : list(z.string(), 5));
  return z.object({
    name: boundedText(TEXT_LIMITS.label, 'A human first name plus a descriptor, e.g. "Maria, the cautious CFO"', strict),
    role: boundedText(TEXT_LIMITS.label, 'Job title or situation', strict),
    summary: boundedText(TEXT_LIMITS.summary, 'Two or three sentences about who this person is', strict),
    goals: claims('What this person wants to achieve'),
    painPoints: claims('What frustrates or blocks this person today'),
    objections: claims('Why this person might hesitate to buy'),
    buyingTriggers: claims('Events or needs that make this person act now'),
    channels: strings('Where this person looks for information and solutions'),
    messaging: strings('Messages from the company that would resonate with this person'),
    evidence: strict ? evidence : citedEvidenceListSchema,
  });
}

function offeringModelSchema(evidence: EvidenceField, strict: boolean) {
  const strings = (max: number, length: number, what: string) => (strict ? z.array(boundedText(length, what, true)).min(1).max(max).describe(what) : list(z.string(), max));
  return z.object({
    summary: boundedText(TEXT_LIMITS.summary, 'What the company sells and to whom, in two or three sentences', strict),
    products: strings(5, TEXT_LIMITS.line, 'Products or services, one short line each'),
    valuePropositions: strings(4, TEXT_LIMITS.sentence, 'Benefits the site promises, one line each'),
    evidence: strict ? evidence : citedEvidenceListSchema,
  });
}

/** A claim as the lenient schema reads it; evidence is resolved later (evidence.ts). */
export interface ModelClaim {
  text: string;
  evidence: unknown[];
}

export interface ModelPersona {
  name: string;
  role: string;
  summary: string;
  goals: ModelClaim[];
  painPoints: ModelClaim[];
  objections: ModelClaim[];
  buyingTriggers: ModelClaim[];
  channels: string[];
  messaging: string[];
  evidence: unknown[];
}

export interface ModelOffering {
  summary: string;
  products: string[];
  valuePropositions: string[];
  evidence: unknown[];
}

/** What the synthesis answers: the parts asked for. */
export interface SynthesisAnswer {
  summary?: string;
  offering?: ModelOffering;
  personas?: ModelPersona[];
}

export interface SynthesisParts {
  summary: boolean;
  offering: boolean;
  /** 0 when the personas are carried over. */
  personaCount: number;
}

/**
 * The synthesis answer for the parts being written. Strict: exactly `personaCount` personas,
 * evidence from `ids`. Lenient: whatever count came (extra personas are cut by the caller).
 */
export function synthesisSchemas(parts: SynthesisParts, ids: readonly string[]): AnswerSchemas<SynthesisAnswer> {
  const strictEvidence = passageIdsSchema(ids);
  const build = (strict: boolean) =>
    z.object({
      ...(parts.summary ? { summary: boundedText(TEXT_LIMITS.summary, 'An executive summary of who buys from this company and why', strict) } : {}),
      ...(parts.offering ? { offering: offeringModelSchema(strict ? strictEvidence : citedEvidenceListSchema, strict) } : {}),
      ...(parts.personaCount > 0
        ? {
            personas: strict
              ? z.array(personaModelSchema(strictEvidence, true)).length(parts.personaCount)
              : list(personaModelSchema(citedEvidenceListSchema, false), 4),
          }
        : {}),
    });
  return {
    // Built only when asked: a request's JSON schema is converted once per shape.
    get request() {
      return build(true);
    },
    accept: build(false) as unknown as z.ZodType<SynthesisAnswer>,
    definitions: { passage_ids: strictEvidence },
    shape: `synthesis:${parts.summary}:${parts.offering}:${parts.personaCount}`,
    passageIds: passageIdEnum(ids),
  };
}

export function summaryRepairSchemas() {
  const schema = (strict: boolean) => z.object({ summary: boundedText(TEXT_LIMITS.summary, 'An executive summary of who buys from this company and why', strict) });
  return { request: schema(true), accept: schema(false), definitions: {}, shape: 'summary-repair' };
}

export function offeringRepairSchemas(ids: readonly string[]) {
  const strictEvidence = passageIdsSchema(ids);
  return {
    request: z.object({ offering: offeringModelSchema(strictEvidence, true) }),
    accept: z.object({ offering: offeringModelSchema(citedEvidenceListSchema, false) }) as unknown as z.ZodType<{ offering: ModelOffering }>,
    definitions: { passage_ids: strictEvidence },
    shape: 'offering-repair',
    passageIds: passageIdEnum(ids),
  };
}

export function personaRepairSchemas(ids: readonly string[]) {
  const strictEvidence = passageIdsSchema(ids);
  return {
    request: z.object({ persona: personaModelSchema(strictEvidence, true) }),
    accept: z.object({ persona: personaModelSchema(citedEvidenceListSchema, false) }) as unknown as z.ZodType<{ persona: ModelPersona }>,
    definitions: { passage_ids: strictEvidence },
    shape: 'persona-repair',
    passageIds: passageIdEnum(ids),
  };
}

/**
 * A model answer's two schemas: `request` is sent (strict), `accept` validates what comes back;
 * `definitions` are shared sub-schemas sent once and referenced (the passage-ID enum: providers
 * limit enum values per schema, so it must not be repeated in every evidence field).
 */
export interface AnswerSchemas<T> {
  request: z.ZodType;
  accept: z.ZodType<T>;
  definitions: Record<string, z.ZodType>;
  /**
   * Names the structure of `request`: two requests of one shape differ only in the values of the
   * passage-ID enum (`passageIds`, the `passage_ids` definition), so a shape's JSON schema is
   * converted once and the enum put in per call (activities/response-format.ts).
   */
  shape: string;
  /** The passage-ID enum's values, when `definitions` has `passage_ids`. */
  passageIds?: readonly string[];
}

export type ReportStatus = 'draft' | 'passed' | 'degraded';
