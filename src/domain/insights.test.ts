import { zodResponseFormat } from 'openai/helpers/zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { INSIGHT_KINDS } from './analysis.js';
import { formatPagesForPrompt, insightSchemas, languageLine } from './insights.js';
import { personaRepairSchema, reportSynthesisRequestSchema } from './report.js';

type Node = Record<string, unknown>;

/** Every schema node, with its path. */
function* nodes(node: unknown, path = '$'): Generator<[string, Node]> {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const [i, n] of node.entries()) yield* nodes(n, `${path}[${i}]`);
    return;
  }
  yield [path, node as Node];
  for (const [k, v] of Object.entries(node)) yield* nodes(v, `${path}.${k}`);
}

/** The JSON schema the activities send: the openai package's strict conversion of our zod schemas. */
const strictSchema = (schema: z.ZodType, name = 'test') => zodResponseFormat(schema, name).json_schema.schema as Node;

// OpenAI strict mode's subset, as our schemas use it. `minLength` is the non-empty rule of our
// strings (`z.string().min(1)`), which strict mode supports for non-fine-tuned models; `$schema`
// names the draft at the root only.
const ALLOWED = new Set(['type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'anyOf', 'description', 'minItems', 'maxItems', 'const', 'minLength']);

describe('structured output schemas (zodResponseFormat)', () => {
  const schemas = {
    ...insightSchemas,
    synthesis: reportSynthesisRequestSchema(3),
    persona: personaRepairSchema,
  };

  it.each(Object.entries(schemas))('makes the %s schema OpenAI strict-mode compatible', (name, schema) => {
    const format = zodResponseFormat(schema, name);
    expect(format.json_schema).toMatchObject({ name, strict: true });
    const json = format.json_schema.schema as Node;
    expect(json.type).toBe('object');
    expect(json.$schema).toBe('http://json-schema.org/draft-07/schema#');
    for (const [path, node] of nodes(json)) {
      if (path.endsWith('.properties')) continue; // property maps, not schemas
      if (node.type === 'object') {
        expect(node.additionalProperties, path).toBe(false);
        expect([...(node.required as string[])].sort(), path).toEqual(Object.keys(node.properties as Node).sort());
      }
      if ('minLength' in node) expect(node.minLength, path).toBe(1);
      const keywords = Object.keys(node).filter((k) => !ALLOWED.has(k) && !(path === '$' && k === '$schema'));
      expect(keywords, path).toEqual([]);
    }
  });

  it('keeps nullable fields as required with a null type', () => {
    const json = strictSchema(insightSchemas.offering) as { properties: { pricingModel: { type: string[] } }; required: string[] };
    expect(json.properties.pricingModel.type).toEqual(['string', 'null']);
    expect(json.required).toContain('pricingModel');
  });

  it('fixes the persona count of the synthesis request', () => {
    const json = strictSchema(reportSynthesisRequestSchema(2)) as { properties: { personas: Node } };
    expect(json.properties.personas).toMatchObject({ minItems: 2, maxItems: 2 });
  });

  it('refuses optional properties, which strict mode would reject at request time', () => {
    expect(() => strictSchema(z.object({ a: z.string(), b: z.string().optional() }))).toThrow(/properties\/b.*optional/);
  });

  it('parses with the zod schema itself, so lengths and counts are enforced on the answer', () => {
    const format = zodResponseFormat(personaRepairSchema, 'repair_persona');
    expect(() => format.$parseRaw('{"persona": {}}')).toThrow(z.ZodError);
    expect(() => format.$parseRaw('not json')).toThrow(SyntaxError);
  });

  it('covers every insight kind', () => {
    expect(Object.keys(insightSchemas).sort()).toEqual([...INSIGHT_KINDS].sort());
  });
});

describe('prompt format', () => {
  it('delimits pages by URL and ends the block', () => {
    const text = formatPagesForPrompt([
      { url: 'https://a.test/', title: ' Home \n page ', text: 'First page.' },
      { url: 'https://a.test/about', title: 'About', text: 'Second page.' },
    ]);
    expect(text).toBe(
      '=== PAGE https://a.test/ ===\nTitle: Home page\nFirst page.\n\n=== PAGE https://a.test/about ===\nTitle: About\nSecond page.\n=== END PAGES ===',
    );
  });

  it('names the output language, English when undetermined', () => {
    expect(languageLine('de')).toMatch(/^Write in: de /);
    expect(languageLine('und')).toMatch(/^Write in: en /);
  });
});
