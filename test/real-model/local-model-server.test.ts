/**
 * The local model server (src/dev/local-model/server.ts) with a REAL model (SmolLM2-135M-Instruct
 * on node-llama-cpp), driven by the real openai client. Not part of `npm test`: run it with
 * `npm run test:real-model`. The first run installs node-llama-cpp and the model into .dev/
 * (about half a minute with a warm registry); later runs take a couple of minutes on 2 cores.
 * It prints what it measured (load time, prompt and generation tokens per second).
 */
import path from 'node:path';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ensureLocalModel } from '../../src/dev/local-model/install.js';
import { startLocalModelServer, type LocalModelServer, type RequestRecord } from '../../src/dev/local-model/server.js';

const devDir = path.resolve(import.meta.dirname, '../../.dev');
const report = (line: string) => console.log(`[real-model] ${line}`);

let server: LocalModelServer;
let client: OpenAI;

beforeAll(async () => {
  const started = Date.now();
  const files = await ensureLocalModel({ devDir, log: report });
  report(`install check/ensure took ${Date.now() - started} ms`);
  server = await startLocalModelServer({ ...files, log: (line) => console.log(line) });
  report(`model loaded in ${server.loadMs} ms; context ${server.contextSize} tokens`);
  client = new OpenAI({ baseURL: server.baseUrl, apiKey: 'x', maxRetries: 0, timeout: 10 * 60_000 });
}, 20 * 60_000);

afterAll(async () => {
  await server?.stop();
});

function recordOf(id: string): RequestRecord {
  const rec = server.stats().recent.find((r) => r.id === id);
  if (!rec) throw new Error(`no server record for ${id}`);
  return rec;
}

const user = (content: string) => [{ role: 'user' as const, content }];

describe('local model server with a real model', () => {
  it('lists its model', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual([server.modelName]);
    expect(server.modelName).toBe('SmolLM2-135M-Instruct.Q4_1');
  });

  it('answers in free text, with real token counts', async () => {
    const completion = await client.chat.completions.create({
      model: 'whatever-the-client-names',
      messages: [{ role: 'system', content: 'You answer in one short sentence.' }, ...user('What is the capital of France?')],
      max_tokens: 40,
    });
    const choice = completion.choices[0]!;
    report(`free text: ${JSON.stringify(choice.message.content)} (${choice.finish_reason})`);
    expect(completion.model).toBe(server.modelName);
    expect(choice.message.role).toBe('assistant');
    expect(choice.message.content?.trim().length).toBeGreaterThan(0);
    expect(['stop', 'length']).toContain(choice.finish_reason);
    const usage = completion.usage!;
    expect(usage.prompt_tokens).toBeGreaterThan(15);
    expect(usage.completion_tokens).toBeGreaterThan(0);
    expect(usage.completion_tokens).toBeLessThanOrEqual(41); // the end-of-turn token may count
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
  });

  it('says length when cut at max_tokens', async () => {
    const completion = await client.chat.completions.create({ model: 'm', messages: user('Write a long story about a dragon.'), max_tokens: 5 });
    expect(completion.choices[0]!.finish_reason).toBe('length');
    expect(completion.usage!.completion_tokens).toBe(5);
  });

  it('follows a json_schema from zodResponseFormat: $refs into definitions, an enum of IDs, nullable fields', async () => {
    const evidence = z.object({ pageId: z.enum(['page-1', 'page-2', 'page-3']), quote: z.string().min(1).max(100) });
    const insight = z.object({
      companyName: z.string().min(1).max(60),
      evidence: z.array(evidence).min(1).max(2),
      backupEvidence: evidence.nullable(),
      pricing: z.string().max(60).nullable(),
    });
    const format = zodResponseFormat(insight, 'insight', { schemaDefinitions: { evidence } });
    const sent = JSON.stringify(format.json_schema.schema);
    // What the grammar cannot read and the server must rewrite.
    expect(sent).toContain('"$ref":"#/definitions/evidence"');
    expect(sent).toContain('"anyOf"');

    const completion = await client.chat.completions.create({
      model: 'm',
      messages: [
        { role: 'system', content: 'You extract facts from web pages as JSON.' },
        ...user(
          '=== PAGE page-1 ===\nAcme Tools sells cordless drills to carpenters.\n=== PAGE page-2 ===\nPlans start at 10 EUR a month.\n' +
            'Name the company, quote the pages that say what it sells (pageId is one of page-1, page-2, page-3), and say how pricing works.',
        ),
      ],
      response_format: format,
      max_tokens: 400,
    });
    const content = completion.choices[0]!.message.content!;
    report(`json_schema: ${content.replace(/\s+/g, ' ')} (${completion.choices[0]!.finish_reason})`);
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    const parsed = insight.parse(JSON.parse(content)); // the zod schema itself, as the product parses answers
    for (const e of [...parsed.evidence, ...(parsed.backupEvidence ? [parsed.backupEvidence] : [])]) {
      expect(['page-1', 'page-2', 'page-3']).toContain(e.pageId);
    }
  });

  it('answers json_object with JSON', async () => {
    const completion = await client.chat.completions.create({
      model: 'm',
      messages: user('Give a JSON object with keys "city" and "country" for Paris.'),
      response_format: { type: 'json_object' },
      max_tokens: 60,
    });
    const content = completion.choices[0]!.message.content!;
    report(`json_object: ${content.replace(/\s+/g, ' ')}`);
    if (completion.choices[0]!.finish_reason === 'stop') expect(() => JSON.parse(content)).not.toThrow();
    expect(content.trimStart()).toMatch(/^[{["\d tfn-]/);
  });

  it('serves concurrent requests one after the other', async () => {
    const ask = (q: string) => client.chat.completions.create({ model: 'm', messages: user(q), max_tokens: 24 });
    const [a, b] = await Promise.all([ask('Name a fruit.'), ask('Name a vegetable.')]);
    const [first, second] = [recordOf(a.id), recordOf(b.id)].sort((x, y) => x.startedAt! - y.startedAt!);
    report(`one slot: first ran ${first!.startedAt! - first!.queuedAt}..${first!.finishedAt - first!.queuedAt} ms, second waited ${second!.startedAt! - second!.queuedAt} ms`);
    expect(second!.startedAt!).toBeGreaterThanOrEqual(first!.finishedAt);
    expect(second!.startedAt! - second!.queuedAt).toBeGreaterThan(0);
  });

  it('drops a client that leaves while queued, and stops a generation whose client leaves', async () => {
    const before = server.stats().recent.length;
    const long = new AbortController();
    const queued = new AbortController();
    // Caught at once: the aborts reject these while the test is still waiting.
    // A grammar that needs a long answer (250 numbers: ~14 s here): the model cannot finish before the abort.
    const longFormat = {
      type: 'json_schema' as const,
      json_schema: {
        name: 'long',
        strict: true,
        schema: { type: 'object', properties: { numbers: { type: 'array', items: { type: 'integer' }, minItems: 250 } }, required: ['numbers'], additionalProperties: false },
      },
    };
    const longCall = client.chat.completions
      .create({ model: 'm', messages: user('Count from 1 to 300, separated by commas.'), max_tokens: 600, response_format: longFormat }, { signal: long.signal })
      .catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 200));
    const queuedCall = client.chat.completions
      .create({ model: 'm', messages: user('Say hi.'), max_tokens: 10 }, { signal: queued.signal })
      .catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 300));
    queued.abort();
    await new Promise((r) => setTimeout(r, 1500));
    long.abort();
    expect(await queuedCall).toBeInstanceOf(OpenAI.APIUserAbortError);
    expect(await longCall).toBeInstanceOf(OpenAI.APIUserAbortError);
    await expect.poll(() => server.stats().recent.length - before, { timeout: 10_000 }).toBe(2);
    const [longRec, queuedRec] = server.stats().recent.slice(before).sort((x, y) => x.queuedAt - y.queuedAt);
    report(`abort mid-generation after ${longRec!.completionTokens} tokens; the queued one left after ${queuedRec!.finishedAt - queuedRec!.queuedAt} ms`);
    expect(queuedRec!.status).toBe(499);
    expect(queuedRec!.startedAt).toBeUndefined();
    // Recorded when it left, not when its turn would have come.
    expect(queuedRec!.finishedAt).toBeLessThan(longRec!.finishedAt);
    expect(longRec).toMatchObject({ status: 499, finishReason: 'aborted' });
    expect(longRec!.completionTokens).toBeLessThan(600);
    // The slot is free again.
    const after = await client.chat.completions.create({ model: 'm', messages: user('Say hi.'), max_tokens: 8 });
    expect(after.choices[0]!.message.content).toBeTruthy();
  });

  it('refuses a prompt longer than the context, and streaming, with OpenAI-style 400s', async () => {
    const tooLong = 'hello '.repeat(server.contextSize + 200);
    const err = await client.chat.completions.create({ model: 'm', messages: user(tooLong), max_tokens: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).toMatchObject({ status: 400, code: 'context_length_exceeded', type: 'invalid_request_error' });
    expect((err as Error).message).toMatch(/maximum context length is \d+ tokens/);

    const streamErr = await client.chat.completions.create({ model: 'm', messages: user('hi'), stream: true }).catch((e: unknown) => e);
    expect(streamErr).toMatchObject({ status: 400, param: 'stream' });
  });

  it('measures prompt and generation speed (free text and under a JSON grammar)', async () => {
    // A fresh prompt of ~1000 tokens (no prefix shared with earlier requests) for prompt speed.
    const filler = Array.from({ length: 50 }, (_, i) => `Fact ${i + 1}: the warehouse in sector ${i % 7} ships ${i * 3} boxes a day.`).join(' ');
    const free = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'system', content: `Notes: ${filler}` }, ...user('Write a short paragraph about logistics.')],
      max_tokens: 120,
    });
    const schema = z.object({ items: z.array(z.object({ name: z.string().max(40), note: z.string().max(80) })).min(3).max(3) });
    const json = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'system', content: `Notes: ${filler.replace(/Fact/g, 'Item')}` }, ...user('List three warehouses as JSON.')],
      response_format: zodResponseFormat(schema, 'list'),
      max_tokens: 200,
    });
    const tps = (tokens: number, ms: number) => ((tokens * 1000) / Math.max(ms, 1)).toFixed(1);
    for (const [label, c] of [['free text', free], ['json_schema', json]] as const) {
      const r = recordOf(c.id);
      report(
        `${label}: prompt ${r.promptTokens} tok (${r.promptEvalTokens} evaluated) in ${r.promptEvalMs} ms = ${tps(r.promptEvalTokens, r.promptEvalMs)} tok/s; ` +
          `generated ${r.completionTokens} tok in ${r.generationMs} ms = ${tps(r.completionTokens, r.generationMs)} tok/s (${r.finishReason})`,
      );
      expect(r.promptEvalTokens).toBeGreaterThan(500);
      expect(r.completionTokens).toBeGreaterThan(0);
    }
    const s = server.stats();
    report(
      `totals: ${s.requests} requests, ${s.promptEvalTokens} prompt tokens evaluated in ${s.promptEvalMs} ms, ` +
        `${s.completionTokens} generated in ${s.generationMs} ms (${tps(s.completionTokens, s.generationMs)} tok/s)`,
    );
  });
});
