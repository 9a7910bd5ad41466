import { zodResponseFormat } from 'openai/helpers/zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { INSIGHT_KINDS } from './analysis.js';
import { insightSchemas, outputLanguage } from './insights.js';
import { personaRepairSchemas, synthesisSchemas, type AnswerSchemas } from './report.js';

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
const strictSchema = (schemas: AnswerSchemas<unknown>, name = 'test') =>
  zodResponseFormat(schemas.request, name, { schemaDefinitions: schemas.definitions }).json_schema.schema as Node;
const IDS = Array.from({ length: 300 }, (_, i) => `p${Math.floor(i / 30) + 1}.${(i % 30) + 1}`);

// OpenAI strict mode's subset, as our schemas use it. `minLength` is the non-empty rule of our
// strings (`z.string().min(1)`), which strict mode supports for non-fine-tuned models; `$schema`
// names the draft at the root only.
const ALLOWED = new Set(['type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'anyOf', 'description', 'minItems', 'maxItems', 'const', 'minLength', 'maxLength', '$ref', 'definitions']);

describe('structured output schemas (zodResponseFormat)', () => {
  const schemas: Record<string, AnswerSchemas<unknown>> = {
    ...Object.fromEntries(INSIGHT_KINDS.map((k) => [k, insightSchemas(k, IDS)])),
    synthesis: synthesisSchemas({ summary: true, offering: true, personaCount: 3 }, IDS),
    personasOnly: synthesisSchemas({ summary: false, offering: false, personaCount: 2 }, IDS),
    persona: personaRepairSchemas(IDS),
  };

  it.each(Object.entries(schemas))('makes the %s schema OpenAI strict-mode compatible', (name, answer) => {
    const format = zodResponseFormat(answer.request, name, { schemaDefinitions: answer.definitions });
    expect(format.json_schema).toMatchObject({ name, strict: true });
    const json = format.json_schema.schema as Node;
    expect(json.type).toBe('object');
    expect(json.$schema).toBe('http://json-schema.org/draft-07/schema#');
    for (const [path, node] of nodes(json)) {
      if (path.endsWith('.properties') || path.endsWith('.definitions')) continue; // maps of schemas, not schemas
      if (node.type === 'object') {
        expect(node.additionalProperties, path).toBe(false);
        expect([...(node.required as string[])].sort(), path).toEqual(Object.keys(node.properties as Node).sort());
      }
      if ('minLength' in node) expect(node.minLength, path).toBe(1);
      const keywords = Object.keys(node).filter((k) => !ALLOWED.has(k) && !(path === '$' && k === '$schema'));
      expect(keywords, path).toEqual([]);
    }
    // Providers cap enum values per schema (OpenAI: 500): the passage IDs are sent once, as a shared definition.
    const enumValues = [...nodes(json)].reduce((n, [, node]) => n + (Array.isArray(node.enum) ? node.enum.length : 0), 0);
    expect(enumValues).toBe(IDS.length);
  });

  it('reads what models really send: quotes instead of IDs, bare strings for claims, single values for lists', () => {
    const { accept } = synthesisSchemas({ summary: true, offering: false, personaCount: 1 }, IDS);
    const parsed = accept.parse({
      summary: 'Freelancers buy it.',
      personas: [
        {
          name: 'Ana',
          role: 'Designer',
          summary: 'Sends invoices.',
          goals: ['Get paid', { text: 'Save time', evidence: 'p1.2' }],
          painPoints: [{ text: 'Late payments', evidence: [{ quote: 'chasing late payments', sourceUrl: 'https://a.test/' }] }],
          objections: 'Price',
          buyingTriggers: [],
          channels: 'LinkedIn',
          messaging: ['Invoices in a minute'],
          evidence: null,
        },
      ],
    });
    expect(parsed.personas![0]!.goals).toEqual([
      { text: 'Get paid', evidence: [] },
      { text: 'Save time', evidence: ['p1.2'] },
    ]);
    expect(parsed.personas![0]!.objections).toEqual([{ text: 'Price', evidence: [] }]);
    expect(parsed.personas![0]!.channels).toEqual(['LinkedIn']);
    expect(parsed.personas![0]!.evidence).toEqual([]);
  });

  it('keeps nullable fields as required with a null type', () => {
    const json = strictSchema(insightSchemas('offering', IDS)) as { properties: { pricingModel: Node }; required: string[] };
    expect(json.properties.pricingModel).toEqual({ anyOf: [{ type: 'string', maxLength: 160 }, { type: 'null' }] });
    expect(json.required).toContain('pricingModel');
  });

  it('bounds every string a model writes, so a grammar-constrained model cannot repeat itself to the token limit', () => {
    for (const [name, answer] of Object.entries(schemas)) {
      for (const [path, node] of nodes(strictSchema(answer))) {
        if (node.type === 'string' && !('enum' in node)) expect(node.maxLength, `${name} ${path}`).toEqual(expect.any(Number));
      }
    }
  });

  it('fixes the persona count of the synthesis request', () => {
    const json = strictSchema(synthesisSchemas({ summary: true, offering: true, personaCount: 2 }, IDS)) as { properties: { personas: Node } };
    expect(json.properties.personas).toMatchObject({ minItems: 2, maxItems: 2 });
  });

  it('refuses optional properties, which strict mode would reject at request time', () => {
    expect(() => strictSchema({ request: z.object({ a: z.string(), b: z.string().optional() }), accept: z.unknown(), definitions: {}, shape: 'optional-test' })).toThrow(/properties\/b.*optional/);
  });

  it('covers every insight kind', () => {
    for (const kind of INSIGHT_KINDS) expect(insightSchemas(kind, IDS).request).toBeDefined();
  });
});

describe('outputLanguage', () => {
  it('is the given code, English when undetermined', () => {
    expect(outputLanguage('de')).toBe('de');
    expect(outputLanguage('und')).toBe('en');
  });
});
