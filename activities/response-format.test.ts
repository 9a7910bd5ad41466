import { zodResponseFormat } from 'openai/helpers/zod';
import { describe, expect, it } from 'vitest';
import { INSIGHT_KINDS } from '../src/domain/analysis.js';
import { insightSchemas } from '../src/domain/insights.js';
import { offeringRepairSchemas, personaRepairSchemas, summaryRepairSchemas, synthesisSchemas, type AnswerSchemas } from '../src/domain/report.js';
import { responseFormat } from './response-format.js';

/** Every request the activities send, built for a set of passage IDs, with the name each is sent under. */
function requests(ids: readonly string[]): [string, AnswerSchemas<unknown>][] {
  return [
    ...INSIGHT_KINDS.map((kind): [string, AnswerSchemas<unknown>] => [kind, insightSchemas(kind, ids)]),
    ...[0, 1, 2, 4].flatMap((personaCount) =>
      [true, false].map((summary): [string, AnswerSchemas<unknown>] => ['persona_report', synthesisSchemas({ summary, offering: !summary, personaCount }, ids)]),
    ),
    ['repair_summary', summaryRepairSchemas()],
    ['repair_offering', offeringRepairSchemas(ids)],
    ['repair_persona', personaRepairSchemas(ids)],
  ];
}

const direct = (schemas: AnswerSchemas<unknown>, name: string) => zodResponseFormat(schemas.request, name, { schemaDefinitions: schemas.definitions });

describe('responseFormat', () => {
  it('sends what converting the schema itself would, for every request shape and any passage IDs', () => {
    for (const ids of [['p1.1', 'p1.2', 'p2.1'], ['p9.9'], [], Array.from({ length: 40 }, (_, i) => `p${i}.0`)]) {
      for (const [name, schemas] of requests(ids)) expect(responseFormat(schemas, name), `${name} ${schemas.shape}`).toEqual(direct(schemas, name));
    }
  });

  it('gives each call its own IDs: a later call does not change what an earlier one sends', () => {
    const first = responseFormat(insightSchemas('offering', ['p1.1']), 'offering');
    const sent = JSON.stringify(first);
    responseFormat(insightSchemas('offering', ['p7.7', 'p8.8']), 'offering');
    expect(JSON.stringify(first)).toBe(sent);
    expect(sent).toContain('"enum":["p1.1"]');
  });

  it('names the shapes apart: no two different requests share one', () => {
    const byShape = new Map<string, string>();
    for (const [name, schemas] of requests(['p1.1'])) {
      const json = JSON.stringify(direct(schemas, name));
      const key = `${name} ${schemas.shape}`;
      expect(byShape.get(key) ?? json, key).toBe(json);
      byShape.set(key, json);
    }
    expect(byShape.size).toBe(INSIGHT_KINDS.length + 8 + 3);
  });
});
