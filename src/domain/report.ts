import { z } from 'zod';

/**
 * The persona report: what `reports.content` holds, what the model synthesizes, and what the API
 * renders. Every list item a person might doubt carries evidence that the quality check verifies.
 *
 * The schemas double as the model's strict structured-output schemas (openai's zodResponseFormat,
 * in activities/ai-analysis.ts), so: no optional properties, since OpenAI strict mode requires
 * every property.
 */

export const evidenceSchema = z.object({
  quote: z.string().min(1).describe('A sentence copied character for character from the cited page'),
  sourceUrl: z.string().min(1).describe('The URL of the page the quote comes from, exactly as given'),
});
export type Evidence = z.infer<typeof evidenceSchema>;

const statements = (what: string) => z.array(z.string().min(1)).min(1).max(6).describe(what);

export const personaSchema = z.object({
  name: z.string().min(1).describe('A memorable, human first name plus a descriptor, e.g. "Maria, the cautious CFO"'),
  role: z.string().min(1).describe('Job title or situation'),
  summary: z.string().min(1).describe('Two or three sentences about who this person is'),
  goals: statements('What this person wants to achieve'),
  painPoints: statements('What frustrates or blocks this person today'),
  objections: statements('Why this person might hesitate to buy'),
  buyingTriggers: statements('Events or needs that make this person act now'),
  channels: statements('Where this person looks for information and solutions'),
  messaging: statements('Messages from the company that would resonate with this person'),
  evidence: z.array(evidenceSchema).min(1).max(6).describe('Quotes from the site that support this persona'),
});
export type Persona = z.infer<typeof personaSchema>;

export const offeringSectionSchema = z.object({
  summary: z.string().min(1).describe('What the company sells and to whom, in two or three sentences'),
  products: z.array(z.string().min(1)).min(1).max(8).describe('Products or services, one short line each'),
  valuePropositions: z.array(z.string().min(1)).min(1).max(6),
  evidence: z.array(evidenceSchema).min(1).max(6),
});
export type OfferingSection = z.infer<typeof offeringSectionSchema>;

export const reportContentSchema = z.object({
  site: z.object({ url: z.string(), domain: z.string(), title: z.string() }),
  language: z.string(),
  summary: z.string(),
  offering: offeringSectionSchema,
  personas: z.array(personaSchema).min(1).max(4),
  generatedBy: z.object({
    model: z.string(),
    /** True when a local stand-in, not a real AI model, wrote any part of the report. */
    standIn: z.boolean(),
  }),
  version: z.number().int().min(1),
  instructions: z.string().optional(),
});
export type ReportContent = z.infer<typeof reportContentSchema>;

/** What the persona synthesis call returns; the rest of ReportContent comes from the analysis row. */
export const reportSynthesisSchema = z.object({
  summary: z.string().min(1).describe('An executive summary of who buys from this company and why'),
  offering: offeringSectionSchema,
  // Lenient on count: a local endpoint may ignore minItems/maxItems; extra personas are cut off.
  personas: z.array(personaSchema).min(1).max(4),
});
export type ReportSynthesis = z.infer<typeof reportSynthesisSchema>;

/** The same shape with the persona count fixed, for the JSON schema the model receives. */
export function reportSynthesisRequestSchema(personaCount: number) {
  return reportSynthesisSchema.extend({ personas: z.array(personaSchema).length(personaCount) });
}

/** Repair outputs: one failing part at a time. */
export const summaryRepairSchema = z.object({ summary: reportSynthesisSchema.shape.summary });
export const offeringRepairSchema = z.object({ offering: offeringSectionSchema });
export const personaRepairSchema = z.object({ persona: personaSchema });

export type ReportStatus = 'draft' | 'passed' | 'degraded';
