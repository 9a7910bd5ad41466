import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { INSIGHT_KINDS } from '../domain/analysis.js';
import { cleanPage, fitTokenBudget } from '../domain/clean-page.js';
import type { CleanPage, Corpus } from '../domain/corpus.js';
import { formatPagesForPrompt, insightSchemas, languageLine } from '../domain/insights.js';
import { checkReportQuality, normalizeWhitespace } from '../domain/quality.js';
import { evidenceSchema, personaRepairSchema, personaSchema, reportSynthesisRequestSchema, reportSynthesisSchema, type ReportContent } from '../domain/report.js';
import { createOpenAIClient } from '../openai.js';
import { startStandInAi, type StandInAi } from './stand-in-ai.js';
import { readFixture } from '../../test/support/fixtures.js';

const SITE = [
  ['https://www.rs-ingenieure.de/tragwerksplanung', 'rs-ingenieure.de.tragwerksplanung.html'],
  ['https://www.caktusgroup.com/blog/django', 'caktusgroup.com.django.html'],
  ['https://microlink.io/', 'microlink.io.html'],
] as const;

let ai: StandInAi;
let client: OpenAI;
let pages: CleanPage[];
let corpus: Corpus;

/** Asks as the activities do: the request schema as zodResponseFormat writes it, the answer parsed by `schema`. */
async function ask<T>(schema: z.ZodType<T>, user: string, name = 'test', requestSchema: z.ZodType = schema, props?: Parameters<typeof zodResponseFormat>[2]) {
  const completion = await client.chat.completions.create({
    model: 'anything',
    messages: [
      { role: 'system', content: 'You are a test.' },
      { role: 'user', content: user },
    ],
    response_format: zodResponseFormat(requestSchema, name, props),
  });
  const content = completion.choices[0]!.message.content!;
  return { completion, content, parsed: zodResponseFormat(schema, name).$parseRaw(content) };
}

function prompt(extra: string[] = []): string {
  return ['Task: analyse.', languageLine('en'), ...extra, formatPagesForPrompt(corpus.pages)].join('\n');
}

function evidenceOf(value: unknown): { quote: string; sourceUrl: string }[] {
  if (!value || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap(evidenceOf);
  const obj = value as Record<string, unknown>;
  if (typeof obj.quote === 'string' && typeof obj.sourceUrl === 'string') return [obj as { quote: string; sourceUrl: string }];
  return Object.values(obj).flatMap(evidenceOf);
}

beforeAll(async () => {
  pages = await Promise.all(SITE.map(async ([url, file]) => cleanPage(readFixture(file), url)));
  corpus = fitTokenBudget(
    pages.map((page, i) => ({ contentId: String(i), url: page.url, page })),
    6_000,
  );
  ai = await startStandInAi();
  client = createOpenAIClient({ OPENAI_BASE_URL: ai.baseUrl });
});

afterAll(async () => {
  await ai?.stop();
});

describe('local stand-in AI', () => {
  it('listens on 127.0.0.1 and lists its one model', async () => {
    expect(ai.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['local-stand-in']);
  });

  it.each(INSIGHT_KINDS)('fills the %s schema with verbatim, verifiable evidence', async (kind) => {
    const { completion, parsed } = await ask(insightSchemas[kind] as z.ZodType<object>, prompt(), `insight_${kind}`);
    expect(completion.model).toBe('local-stand-in');
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(100);
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
    const evidence = evidenceOf(parsed);
    expect(evidence.length).toBeGreaterThan(0);
    for (const e of evidence) {
      const page = pages.find((p) => p.url === e.sourceUrl);
      expect(page, e.sourceUrl).toBeDefined();
      expect(normalizeWhitespace(page!.text)).toContain(normalizeWhitespace(e.quote));
    }
  });

  it.each([1, 2, 3, 4])('synthesizes %i distinct personas that pass the quality check', async (count) => {
    const { parsed, content } = await ask(reportSynthesisSchema, prompt(), 'persona_report', reportSynthesisRequestSchema(count));
    expect(parsed.personas).toHaveLength(count);
    const report: ReportContent = {
      site: { url: SITE[0][0], domain: 'rs-ingenieure.de', title: 'RS Ingenieure' },
      language: 'en',
      ...parsed,
      generatedBy: { model: 'local-stand-in', standIn: true },
      version: 1,
    };
    const result = checkReportQuality(report, new Map(pages.map((p) => [p.url, p.text])));
    expect(result.issues).toEqual([]);
    expect(content).not.toMatch(/lorem|TODO|TBD|Persona \d/i);
  });

  it('follows $refs into definitions, as zodResponseFormat writes them for schemaDefinitions', async () => {
    const schema = z.object({ personas: z.array(personaSchema).length(2), extra: evidenceSchema.nullable() });
    const { completion, parsed } = await ask(schema, prompt(), 'refs', schema, {
      schemaDefinitions: { 'a/persona~def': personaSchema, evidence: evidenceSchema },
    });
    const sent = JSON.stringify((ai.lastRequest()!.response_format as { json_schema: { schema: unknown } }).json_schema.schema);
    expect(sent).toContain('"$ref":"#/definitions/a~1persona~0def"');
    expect(sent).toContain('"$ref":"#/definitions/evidence"');
    expect(completion.choices[0]!.message.content).not.toContain('$ref');
    expect(parsed.personas).toHaveLength(2);
    expect(parsed.personas[0]!.name).not.toBe(parsed.personas[1]!.name);
    const evidence = evidenceOf(parsed);
    expect(evidence.length).toBeGreaterThan(2);
    for (const e of evidence) {
      const page = pages.find((p) => p.url === e.sourceUrl);
      expect(page, e.sourceUrl).toBeDefined();
      expect(normalizeWhitespace(page!.text)).toContain(normalizeWhitespace(e.quote));
    }
  });

  it('answers the same request the same way', async () => {
    const a = await ask(insightSchemas.offering, prompt(), 'insight_offering');
    const b = await ask(insightSchemas.offering, prompt(), 'insight_offering');
    expect(b.content).toBe(a.content);
  });

  it('avoids the names and roles the prompt lists as taken', async () => {
    const first = await ask(personaRepairSchema, prompt(), 'repair_persona');
    const taken = first.parsed.persona;
    const second = await ask(personaRepairSchema, prompt([`Names already taken: ${taken.name}`, `Roles already taken: ${taken.role}`]), 'repair_persona');
    expect(second.parsed.persona.name).not.toBe(taken.name);
    expect(second.parsed.persona.role).not.toBe(taken.role);
  });

  it('fails the next requests on demand with an OpenAI-style error, then recovers', async () => {
    const before = ai.requests();
    ai.failNext(2, 503);
    const failure = (await ask(insightSchemas.offering, prompt()).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(failure).toBeInstanceOf(OpenAI.InternalServerError);
    expect(failure.status).toBe(503);
    expect(failure.message).toMatch(/local stand-in/);
    await expect(ask(insightSchemas.offering, prompt())).rejects.toBeInstanceOf(OpenAI.APIError);
    ai.failNext(1, 401);
    await expect(ask(insightSchemas.offering, prompt())).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(ask(insightSchemas.offering, prompt())).resolves.toBeDefined();
    expect(ai.requests() - before).toBe(4);
  });

  it('answers plain chat requests in words that name it a stand-in', async () => {
    const completion = await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'Hello' }] });
    expect(completion.choices[0]!.message.content).toMatch(/stand-in, not a real AI model/);
  });
});
