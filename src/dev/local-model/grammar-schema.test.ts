import { zodResponseFormat } from 'openai/helpers/zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toGrammarSchema, UnsupportedSchemaError } from './grammar-schema.js';

const ANY = { oneOf: [{ type: ['string', 'number', 'boolean', 'null'] }, { type: 'array' }, { type: 'object', additionalProperties: true }] };

describe('toGrammarSchema', () => {
  it('inlines $refs into definitions and $defs, with URI-encoded and JSON-pointer-escaped tokens', () => {
    const schema = {
      type: 'object',
      properties: {
        a: { $ref: '#/definitions/a~1persona~0def' },
        b: { $ref: '#/$defs/Evidence' },
        c: { $ref: '#/definitions/with%20space' },
        d: { $ref: '#/properties/b' },
      },
      definitions: { 'a/persona~def': { type: 'string' }, 'with space': { type: 'integer' } },
      $defs: { Evidence: { type: 'boolean' } },
    };
    expect(toGrammarSchema(schema)).toEqual({
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'boolean' }, c: { type: 'integer' }, d: { type: 'boolean' } },
    });
  });

  it('reads a zodResponseFormat schema with schemaDefinitions, enum IDs and nullable fields', () => {
    const evidence = z.object({ pageId: z.enum(['p1', 'p2', 'p3']), quote: z.string().min(1).describe('verbatim') });
    const persona = z.object({ name: z.string(), evidence: z.array(evidence).min(1).max(3), backup: evidence.nullable(), note: z.string().nullable() });
    const format = zodResponseFormat(z.object({ personas: z.array(persona).max(2), kind: z.enum(['a', 'b']).nullable() }), 'x', {
      schemaDefinitions: { 'a/persona~def': persona, evidence },
    });
    const sent = JSON.stringify(format.json_schema.schema);
    expect(sent).toContain('"$ref":"#/definitions/');
    expect(sent).toContain('"anyOf"');

    const evidenceOut = { type: 'object', properties: { pageId: { enum: ['p1', 'p2', 'p3'] }, quote: { type: 'string', minLength: 1 } } };
    const out = toGrammarSchema(format.json_schema.schema);
    expect(out).toEqual({
      type: 'object',
      properties: {
        personas: {
          type: 'array',
          maxItems: 2,
          items: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              evidence: { type: 'array', minItems: 1, maxItems: 3, items: evidenceOut },
              backup: { oneOf: [evidenceOut, { type: 'null' }] },
              note: { type: ['string', 'null'] },
            },
          },
        },
        kind: { oneOf: [{ enum: ['a', 'b'] }, { type: 'null' }] },
      },
    });
    expect(JSON.stringify(out)).not.toMatch(/\$ref|anyOf|allOf|definitions|description|additionalProperties|\$schema/);
  });

  it('rewrites nullable and multi-type forms into what the grammar reads', () => {
    expect(toGrammarSchema({ type: 'object', properties: { a: { anyOf: [{ type: 'string' }, { type: 'null' }] } } }).properties).toEqual({
      a: { type: ['string', 'null'] },
    });
    expect(toGrammarSchema({ type: ['string', 'null'], minLength: 2 })).toEqual({ oneOf: [{ type: 'string', minLength: 2 }, { type: 'null' }] });
    expect(toGrammarSchema({ type: ['object', 'null'], properties: { x: { type: 'number' } } })).toEqual({
      oneOf: [{ type: 'object', properties: { x: { type: 'number' } } }, { type: 'null' }],
    });
    expect(toGrammarSchema({ type: 'integer', nullable: true })).toEqual({ type: ['integer', 'null'] });
    expect(toGrammarSchema({ oneOf: [{ const: 'x' }, { oneOf: [{ type: 'number' }, { const: 'x' }] }] })).toEqual({
      oneOf: [{ const: 'x' }, { type: 'number' }],
    });
  });

  it('merges allOf objects and unwraps a single allOf', () => {
    expect(toGrammarSchema({ allOf: [{ $ref: '#/definitions/a' }], description: 'x', definitions: { a: { type: 'string' } } })).toEqual({ type: 'string' });
    expect(
      toGrammarSchema({ allOf: [{ type: 'object', properties: { a: { type: 'string' } } }, { type: 'object', properties: { b: { type: 'number' } } }] }),
    ).toEqual({ type: 'object', properties: { a: { type: 'string' }, b: { type: 'number' } } });
    expect(() => toGrammarSchema({ allOf: [{ type: 'string' }, { type: 'number' }] })).toThrow(UnsupportedSchemaError);
  });

  it('keeps const, enum, item and length bounds, date formats; drops what the grammar cannot enforce', () => {
    expect(toGrammarSchema({ type: 'string', const: 'fixed', description: 'd' })).toEqual({ const: 'fixed' });
    expect(toGrammarSchema({ type: 'string', enum: ['a', null] })).toEqual({ enum: ['a', null] });
    expect(toGrammarSchema({ type: 'string', format: 'date', pattern: '^x' })).toEqual({ type: 'string', format: 'date' });
    expect(toGrammarSchema({ type: 'string', format: 'uri', maxLength: 20, title: 't' })).toEqual({ type: 'string', maxLength: 20 });
    expect(toGrammarSchema({ type: 'number', minimum: 1, maximum: 4 })).toEqual({ type: 'number' });
    expect(toGrammarSchema({ type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 5, uniqueItems: true })).toEqual({
      type: 'array',
      items: { type: 'string' },
      minItems: 1,
      maxItems: 5,
    });
    expect(toGrammarSchema({ type: 'array', items: [{ type: 'string' }, { type: 'number' }] })).toEqual({
      type: 'array',
      prefixItems: [{ type: 'string' }, { type: 'number' }],
      maxItems: 2,
    });
  });

  it('gives maps and shapeless objects their extra keys, and "any" where no type is given', () => {
    expect(toGrammarSchema({ type: 'object', additionalProperties: { type: 'number' } })).toEqual({
      type: 'object',
      additionalProperties: { type: 'number' },
    });
    expect(toGrammarSchema({ type: 'object' })).toEqual({ type: 'object', additionalProperties: true });
    expect(toGrammarSchema({ type: 'object', properties: { a: {} } })).toEqual({ type: 'object', properties: { a: ANY } });
  });

  it('keeps a recursive ref as #/$defs/<name>, hoisted to the root', () => {
    const schema = {
      type: 'object',
      properties: { root: { $ref: '#/definitions/node' } },
      definitions: { node: { type: 'object', properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/definitions/node' } } } } },
    };
    const nodeDef = { type: 'object', properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/def0' } } } };
    expect(toGrammarSchema(schema)).toEqual({ type: 'object', properties: { root: { $ref: '#/$defs/def0' } }, $defs: { def0: nodeDef } });
  });

  it('refuses what cannot be expressed, naming it', () => {
    expect(() => toGrammarSchema({ $ref: 'https://example.com/schema.json' })).toThrow(/only local \$refs/);
    expect(() => toGrammarSchema({ type: 'object', properties: { a: { $ref: '#/definitions/missing' } } })).toThrow(/points to nothing/);
    expect(() => toGrammarSchema({ const: { a: 1 } })).toThrow(UnsupportedSchemaError);
    expect(() => toGrammarSchema('not a schema')).toThrow(UnsupportedSchemaError);
  });
});
