import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_TOKENS, parseChatRequest, RequestError } from './chat-request.js';

function refusal(body: unknown): RequestError {
  try {
    parseChatRequest(body);
  } catch (err) {
    if (err instanceof RequestError) return err;
    throw err;
  }
  throw new Error('expected a RequestError');
}

describe('parseChatRequest', () => {
  it('maps the messages onto chat history turns and opens the model turn', () => {
    const req = parseChatRequest({
      model: 'anything',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'JSON only.' }] },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
        { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
      ],
    });
    expect(req.history).toEqual([
      { type: 'system', text: 'Be brief.' },
      { type: 'system', text: 'JSON only.' },
      { type: 'user', text: 'Hi' },
      { type: 'model', response: ['Hello'] },
      { type: 'user', text: 'a\nb' },
      { type: 'model', response: [] },
    ]);
    expect(req).toMatchObject({ maxTokens: DEFAULT_MAX_TOKENS, temperature: undefined, seed: undefined, output: { kind: 'text' } });
  });

  it('continues a trailing assistant message instead of opening a new turn', () => {
    const req = parseChatRequest({ messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: '{"a":' }] });
    expect(req.history.at(-1)).toEqual({ type: 'model', response: ['{"a":'] });
  });

  it('reads the generation settings, max_completion_tokens first', () => {
    const messages = [{ role: 'user', content: 'x' }];
    expect(parseChatRequest({ messages, max_tokens: 10, max_completion_tokens: 20, temperature: 0.5, seed: 7 })).toMatchObject({
      maxTokens: 20,
      temperature: 0.5,
      seed: 7,
    });
    expect(parseChatRequest({ messages, max_tokens: 10 }).maxTokens).toBe(10);
    expect(parseChatRequest({ messages }, { maxTokens: 99 }).maxTokens).toBe(99);
  });

  it('reads response_format: json_schema through toGrammarSchema, json_object, text', () => {
    const messages = [{ role: 'user', content: 'x' }];
    const schema = { type: 'object', properties: { a: { anyOf: [{ type: 'string' }, { type: 'null' }] } }, additionalProperties: false };
    expect(parseChatRequest({ messages, response_format: { type: 'json_schema', json_schema: { name: 'n', strict: true, schema } } }).output).toEqual({
      kind: 'json_schema',
      name: 'n',
      schema: { type: 'object', properties: { a: { type: ['string', 'null'] } } },
    });
    expect(parseChatRequest({ messages, response_format: { type: 'json_object' } }).output).toEqual({ kind: 'json_object' });
    expect(parseChatRequest({ messages, response_format: { type: 'text' } }).output).toEqual({ kind: 'text' });
  });

  it('refuses with OpenAI-style 400s what the local server cannot do', () => {
    const messages = [{ role: 'user', content: 'x' }];
    expect(refusal({ messages, stream: true })).toMatchObject({ status: 400, param: 'stream' });
    expect(refusal({ messages, n: 2 })).toMatchObject({ status: 400, param: 'n' });
    expect(refusal({ messages, tools: [{ type: 'function' }] })).toMatchObject({ status: 400, param: 'tools' });
    expect(refusal({ messages: [] })).toMatchObject({ status: 400, param: 'messages' });
    expect(refusal({ messages: [{ role: 'tool', content: 'x' }] }).message).toMatch(/role 'tool' is not supported/);
    expect(refusal({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] }).message).toMatch(/only text parts/);
    expect(refusal({ messages, response_format: { type: 'json_schema', json_schema: { schema: { $ref: 'http://x/y' } } } })).toMatchObject({
      status: 400,
      param: 'response_format',
    });
    expect(refusal({ messages, temperature: 5 })).toMatchObject({ status: 400, param: 'temperature' });
  });
});
