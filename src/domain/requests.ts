import { z } from 'zod';
import { REPORT_SECTIONS } from './analysis.js';

/** Request bodies the API validates; the workflow sees only their parsed output. */
export const analysisOptionsSchema = z
  .object({
    maxPages: z.number().int().min(1).max(50).default(10),
    personaCount: z.number().int().min(1).max(4).default(3),
    language: z
      .string()
      .regex(/^[a-z]{2}$/, 'use a two-letter ISO 639-1 code such as "en" or "de"')
      .optional(),
    forceRefresh: z.boolean().default(false),
    notify: z
      .object({
        webhookUrl: z.url({ protocol: /^https?$/ }).optional(),
        email: z.email().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const regenerateRequestSchema = z
  .object({
    instructions: z.string().trim().min(1).max(2000).optional(),
    sections: z.array(z.enum(REPORT_SECTIONS)).min(1).max(REPORT_SECTIONS.length).optional(),
  })
  .strict();
