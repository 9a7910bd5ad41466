import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { extractJson, readAnswer } from './model-answer.js';

const completion = (content: string | null, extra: { finish_reason?: string; refusal?: string } = {}) =>
  ({ choices: [{ index: 0, finish_reason: extra.finish_reason ?? 'stop', message: { role: 'assistant', content, refusal: extra.refusal ?? null } }] }) as unknown as OpenAI.Chat.ChatCompletion;
const schema = z.object({ a: z.number() });

describe('extractJson', () => {
  it('reads JSON alone, in a fence, in prose and after a reasoning block', () => {
    expect(extractJson('{"a":1}')).toEqual({ a: 1 });
    expect(extractJson('Sure! Here it is:\n```json\n{"a":2}\n```\nAnything else?')).toEqual({ a: 2 });
    expect(extractJson('The answer is {"a":3, "b":{"c":"}"}} as asked.')).toEqual({ a: 3, b: { c: '}' } });
    expect(extractJson('<think>maybe {"a":0}</think>{"a":4}')).toEqual({ a: 4 });
  });

  it('throws on truncated JSON', () => {
    expect(() => extractJson('{"a": [1, 2')).toThrow(SyntaxError);
  });
});

describe('readAnswer', () => {
  it('validates with the schema and says which repair fits what went wrong', () => {
    expect(readAnswer(completion('{"a":1}'), schema)).toEqual({ ok: true, parsed: { a: 1 } });
    expect(readAnswer(completion('{"a":"x"}'), schema)).toMatchObject({ ok: false, repair: 'invalid' });
    expect(readAnswer(completion('{"a": [1,', { finish_reason: 'length' }), schema)).toMatchObject({ ok: false, repair: 'shorter', problem: expect.stringContaining('cut off') });
    expect(readAnswer(completion(null, { refusal: "I can't help with that." }), schema)).toMatchObject({ ok: false, repair: 'shorter', problem: expect.stringContaining('declined') });
    expect(readAnswer(completion("I'm sorry, but I can't help with that."), schema)).toMatchObject({ ok: false, repair: 'shorter' });
    expect(readAnswer(completion('no json here'), schema)).toMatchObject({ ok: false, repair: 'invalid', problem: 'the answer is not valid JSON' });
  });
});
