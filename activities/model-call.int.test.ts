import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { createDatabase, type Db } from '../src/database.js';
import { FAILURE_CODES, FailureType } from '../src/domain/failures.js';
import { OUTPUT_FORMAT } from '../src/domain/prompts.js';
import type { AnswerSchemas } from '../src/domain/report.js';
import { createLogger } from '../src/logger.js';
import { createModelClient, type ModelClient, type ModelClientConfig } from '../src/model-client.js';
import { aiResponsesRepository } from '../src/repositories/ai-responses.js';
import { insertAnalysis } from '../test/support/activity-env.js';
import { callModel, type ModelCall, type ModelCallResult } from './model-call.js';
import type { ActivityDeps } from './types.js';

// ---------------------------------------------------------------------------------------------
// A stand-in for the AI endpoint: a small OpenAI-shaped HTTP server per test, answering what the
// test's handler says. It records every request and how many were in flight at once.

interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body: unknown;
  /** Milliseconds before answering. */
  delayMs?: number;
}
type ChatRequest = { model: string; messages: { role: string; content: string }[]; response_format?: { type: string; json_schema?: any } };
type Handler = (request: ChatRequest, index: number) => Reply;

interface FakeEndpoint {
  baseUrl: string;
  requests: ChatRequest[];
  maxInFlight: number;
  close(): Promise<void>;
}

const endpoints: FakeEndpoint[] = [];

async function fakeEndpoint(handler: Handler): Promise<FakeEndpoint> {
  const requests: ChatRequest[] = [];
  let inFlight = 0;
  const state = { maxInFlight: 0 };
  const server = http.createServer((req, res) => {
    res.on('error', () => undefined);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as ChatRequest;
      const index = requests.push(body) - 1;
      inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, inFlight);
      const reply = handler(body, index);
      const send = () => {
        inFlight--;
        if (res.destroyed) return;
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
        res.end(JSON.stringify(reply.body));
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint: FakeEndpoint = {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    get maxInFlight() {
      return state.maxInFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  endpoints.push(endpoint);
  return endpoint;
}

interface AnswerOptions {
  model?: string;
  finish_reason?: string;
  refusal?: string | null;
  usage?: { prompt_tokens: number; completion_tokens: number; cached_tokens?: number };
}

function answer(content: string | null, opts: AnswerOptions = {}): Reply {
  const usage = opts.usage ?? { prompt_tokens: 100, completion_tokens: 20 };
  return {
    body: {
      id: 'chatcmpl-test',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: opts.model ?? 'gpt-4o-mini-2024-07-18',
      choices: [
        { index: 0, message: { role: 'assistant', content, refusal: opts.refusal ?? null }, finish_reason: opts.finish_reason ?? 'stop', logprobs: null },
      ],
      usage: {
        prompt_tokens: usage.prompt_tokens,
        completion_tokens: usage.completion_tokens,
        total_tokens: usage.prompt_tokens + usage.completion_tokens,
        ...(usage.cached_tokens !== undefined ? { prompt_tokens_details: { cached_tokens: usage.cached_tokens } } : {}),
      },
    },
  };
}

function apiError(status: number, message: string, extra: { type?: string; code?: string } = {}, headers: Record<string, string> = {}): Reply {
  return { status, headers, body: { error: { message, type: extra.type ?? 'invalid_request_error', code: extra.code ?? null, param: null } } };
}

const GOOD = { name: 'Dana the data engineer', passages: ['p1.1', 'p2.3'] };
const good = (opts: AnswerOptions = {}) => answer(JSON.stringify(GOOD), opts);

// ---------------------------------------------------------------------------------------------
// The call under test.

const passageId = z.enum(['p1.1', 'p1.2', 'p2.3']);
const schemas: AnswerSchemas<{ name: string; passages: string[] }> = {
  request: z.object({ name: z.string(), passages: z.array(passageId) }),
  accept: z.object({ name: z.string().min(1), passages: z.array(z.string()) }),
  definitions: { passage_id: passageId },
  shape: 'model-call-test',
};

const MESSAGES: OpenAI.Chat.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'You are a test.' },
  { role: 'user', content: 'Name one persona.' },
];
const SMALLER: OpenAI.Chat.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'You are a test.' },
  { role: 'user', content: 'Name one persona, briefly.' },
];

let db: Db;
const clients: ModelClient[] = [];
const logger = createLogger('error');
const quiet = () => undefined;
const quietLogger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };

beforeAll(() => {
  db = createDatabase(inject('databaseUrl'), 4);
});

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(endpoints.map((e) => e.close()));
  await db?.destroy();
});

function depsFor(endpoint: FakeEndpoint, ai: Partial<ModelClientConfig> = {}): ActivityDeps {
  const client = createModelClient({ OPENAI_BASE_URL: endpoint.baseUrl, OPENAI_MODEL: 'gpt-4o-mini', ...ai });
  clients.push(client);
  return { db, logger, ai: client, config: { OPENAI_MODEL: client.model, SCRAPE_ALLOW_PRIVATE_NETWORKS: true, CACHE_TTL_HOURS: 24 } };
}

const newAnalysis = () => insertAnalysis(db, 'https://example.com/');

function modelCall(analysisId: string, extra: Partial<ModelCall<{ name: string; passages: string[] }>> = {}) {
  return { analysisId, version: 1, kind: 'offering', schemaName: 'test_answer', schemas, messages: MESSAGES, ...extra };
}

/** `activityId` names the activity (and so the call): attempts of one activity reuse a valid answer already stored. */
async function run(
  deps: ActivityDeps,
  call: ModelCall<{ name: string; passages: string[] }>,
  opts: { attempt?: number; activityId?: string; env?: MockActivityEnvironment } = {},
) {
  const env = opts.env ?? new MockActivityEnvironment({ attempt: opts.attempt ?? 1, ...(opts.activityId ? { activityId: opts.activityId } : {}) }, { logger: quietLogger });
  const heartbeats: any[] = [];
  env.on('heartbeat', (d: unknown) => heartbeats.push(d));
  const result = (await env.run(() => callModel(deps, logger, call))) as ModelCallResult<{ name: string; passages: string[] }>;
  return { result, heartbeats };
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

const rowsOf = (analysisId: string) =>
  db.selectFrom('ai_responses').selectAll().where('analysis_id', '=', analysisId).orderBy('created_at').execute();

const formatOf = (r: ChatRequest) => r.response_format?.type ?? 'none';
const lastText = (r: ChatRequest) => String(r.messages.at(-1)!.content);

// ---------------------------------------------------------------------------------------------

describe('callModel', () => {
  it('asks with a strict JSON schema and stores the answer with its mode, tokens (cached ones too) and cost', async () => {
    const endpoint = await fakeEndpoint(() => good({ usage: { prompt_tokens: 1200, completion_tokens: 80, cached_tokens: 1024 } }));
    const analysisId = await newAnalysis();
    const { result, heartbeats } = await run(depsFor(endpoint), modelCall(analysisId));

    expect(result).toMatchObject({ parsed: GOOD, mode: 'json_schema', model: 'gpt-4o-mini-2024-07-18', standIn: false });
    expect(result.repaired).toBeFalsy();
    expect(endpoint.requests).toHaveLength(1);
    const [request] = endpoint.requests;
    expect(request!.model).toBe('gpt-4o-mini');
    expect(request!.messages).toEqual(MESSAGES);
    expect(request!.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'test_answer', strict: true } });
    // The passage-ID enum sits once in the definitions, referenced from the schema.
    expect(request!.response_format!.json_schema.schema.definitions.passage_id.enum).toEqual(['p1.1', 'p1.2', 'p2.3']);

    const rows = await rowsOf(analysisId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: result.responseId,
      kind: 'offering',
      attempt: 1,
      model: 'gpt-4o-mini-2024-07-18',
      output_mode: 'json_schema',
      prompt_tokens: 1200,
      cached_tokens: 1024,
      completion_tokens: 80,
      total_tokens: 1280,
      parsed: GOOD,
    });
    // 176 uncached at 0.15, 1024 cached at 0.075, 80 out at 0.6 (USD per million).
    expect(Number(rows[0]!.cost_usd)).toBeCloseTo(0.000151, 6);
    expect(await aiResponsesRepository.usage(db, analysisId)).toMatchObject({ calls: 1, inputTokens: 1200, cachedTokens: 1024, outputTokens: 80, costUsd: 0.000151 });
    expect(heartbeats.map((h) => h.phase)).toContain('generating');
    expect(heartbeats[0]).toMatchObject({ kind: 'offering', phase: 'waiting', model: 'gpt-4o-mini' });
  });

  it("records the call's progress in the statement that stores its answer, and keeps a paid answer when that part fails", async () => {
    const endpoint = await fakeEndpoint(() => good());
    const progressOf = async (analysisId: string) =>
      (await db.selectFrom('processing_events').select('details').where('analysis_id', '=', analysisId).where('type', '=', 'model_call_done').execute()).map((e) => e.details);
    const statements: string[] = [];
    const watched = (fail: boolean) =>
      db.withPlugin({
        transformQuery: (args) => {
          const text = JSON.stringify(args.node);
          if (text.includes('record_model_call_answered')) {
            statements.push(args.node.kind);
            if (fail) throw new Error('progress cannot be written');
          }
          return args.node;
        },
        transformResult: async ({ result }) => result,
      });

    const analysisId = await newAnalysis();
    const { result } = await run({ ...depsFor(endpoint), db: watched(false) }, modelCall(analysisId));
    // One statement: the insert of the answer with the event (a SELECT over the inserting CTE).
    expect(statements).toEqual(['SelectQueryNode']);
    expect(await progressOf(analysisId)).toEqual([{ kind: 'offering', call: expect.stringMatching(/\/offering$/), done: 1, total: 6 }]);
    expect((await rowsOf(analysisId)).map((r) => r.id)).toEqual([result.responseId]);

    const unrecorded = await newAnalysis();
    const again = await run({ ...depsFor(endpoint), db: watched(true) }, modelCall(unrecorded));
    expect(again.result.parsed).toEqual(GOOD);
    expect((await rowsOf(unrecorded)).map((r) => r.id)).toEqual([again.result.responseId]);
    expect(await progressOf(unrecorded)).toEqual([]);
  });

  it('auto falls back to json_object, then text, when the endpoint rejects the format, and remembers it', async () => {
    const endpoint = await fakeEndpoint((req) => {
      if (req.response_format?.type === 'json_schema') return apiError(400, "response_format of type 'json_schema' is not supported by this model");
      if (req.response_format?.type === 'json_object') return apiError(400, 'Invalid parameter: response_format json_object');
      return answer(`Here you go:\n${JSON.stringify(GOOD)}\nAnything else?`);
    });
    const deps = depsFor(endpoint);
    const first = await run(deps, modelCall(await newAnalysis()));
    expect(first.result).toMatchObject({ parsed: GOOD, mode: 'text' });
    expect(endpoint.requests.map(formatOf)).toEqual(['json_schema', 'json_object', 'none']);
    // Without an enforced format the schema travels in the prompt, after the task.
    const text = endpoint.requests[2]!;
    expect(text.messages.slice(0, 2)).toEqual(MESSAGES);
    expect(lastText(text)).toContain(OUTPUT_FORMAT.schemaInPrompt(''));
    expect(lastText(text)).toContain('"passage_id"');
    expect(lastText(endpoint.requests[1]!)).toContain(OUTPUT_FORMAT.schemaInPrompt(''));

    // The worker remembers the mode: the next call goes straight to text.
    const analysisId = await newAnalysis();
    const second = await run(deps, modelCall(analysisId));
    expect(second.result.mode).toBe('text');
    expect(endpoint.requests.map(formatOf)).toEqual(['json_schema', 'json_object', 'none', 'none']);
    expect((await rowsOf(analysisId))[0]).toMatchObject({ output_mode: 'text', parsed: GOOD });
  });

  it('auto settles on json_object after a 422 for json_schema', async () => {
    const endpoint = await fakeEndpoint((req) => (req.response_format?.type === 'json_schema' ? apiError(422, 'unprocessable') : good()));
    const deps = depsFor(endpoint);
    expect((await run(deps, modelCall(await newAnalysis()))).result.mode).toBe('json_object');
    expect((await run(deps, modelCall(await newAnalysis()))).result.mode).toBe('json_object');
    expect(endpoint.requests.map(formatOf)).toEqual(['json_schema', 'json_object', 'json_object']);
  });

  it('falls back for one call, without remembering, when the endpoint refuses only this schema', async () => {
    const endpoint = await fakeEndpoint((req, i) =>
      req.response_format?.type === 'json_schema' && i === 0 ? apiError(400, "Invalid schema for response_format 'test_answer': 'required' is required") : good(),
    );
    const deps = depsFor(endpoint);
    expect((await run(deps, modelCall(await newAnalysis()))).result.mode).toBe('json_object');
    expect((await run(deps, modelCall(await newAnalysis()))).result.mode).toBe('json_schema');
    expect(endpoint.requests.map(formatOf)).toEqual(['json_schema', 'json_object', 'json_schema']);
  });

  it('fails at once when a configured mode is refused, saying how to fix it', async () => {
    const endpoint = await fakeEndpoint(() => apiError(400, "response_format 'json_schema' is not supported"));
    const failure = await failureOf(run(depsFor(endpoint, { OPENAI_STRUCTURED_OUTPUT: 'json_schema' }), modelCall(await newAnalysis())));
    expect(failure).toMatchObject({ type: FailureType.AiNotConfigured, nonRetryable: true });
    expect(failure.message).toContain('OPENAI_STRUCTURED_OUTPUT=auto');
    expect(endpoint.requests).toHaveLength(1);
  });

  it.each([
    ['fenced JSON among prose', `Sure! Here is the answer:\n\n\`\`\`json\n${JSON.stringify(GOOD, null, 2)}\n\`\`\`\n\nLet me know {if} you need more.`],
    ['a JSON object among prose', `I think {this} fits best: ${JSON.stringify({ ...GOOD, name: 'Dana {the} "data" engineer' })} -- hope that helps.`],
    ['thinking before the JSON', `<think>The answer should look like {"name": 1}</think>\n${JSON.stringify(GOOD)}`],
  ])('text mode reads %s', async (_what, content) => {
    const endpoint = await fakeEndpoint(() => answer(content));
    const { result } = await run(depsFor(endpoint, { OPENAI_STRUCTURED_OUTPUT: 'text' }), modelCall(await newAnalysis()));
    expect(result.mode).toBe('text');
    expect(result.parsed.passages).toEqual(GOOD.passages);
    expect(endpoint.requests).toHaveLength(1);
    expect(endpoint.requests[0]!.response_format).toBeUndefined();
  });

  it('repairs invalid JSON once, sending the answer back with what is wrong', async () => {
    const endpoint = await fakeEndpoint((_req, i) => (i === 0 ? answer('{"name": "Dana", "passages": [') : good()));
    const analysisId = await newAnalysis();
    const { result } = await run(depsFor(endpoint), modelCall(analysisId));

    expect(result).toMatchObject({ parsed: GOOD, repaired: true });
    expect(endpoint.requests).toHaveLength(2);
    const repair = endpoint.requests[1]!;
    expect(repair.response_format?.type).toBe('json_schema');
    expect(repair.messages.slice(0, 2)).toEqual(MESSAGES);
    expect(repair.messages[2]).toMatchObject({ role: 'assistant', content: '{"name": "Dana", "passages": [' });
    expect(repair.messages[3]).toMatchObject({ role: 'user', content: OUTPUT_FORMAT.invalidAnswer('the answer is not valid JSON') });

    const rows = await rowsOf(analysisId);
    expect(rows.map((r) => r.parsed)).toEqual([null, GOOD]);
    expect(rows[1]!.id).toBe(result.responseId);
  });

  it('names the schema problem in the repair of JSON that does not match', async () => {
    const endpoint = await fakeEndpoint((_req, i) => (i === 0 ? answer(JSON.stringify({ name: '', passages: [] })) : good()));
    const { result } = await run(depsFor(endpoint), modelCall(await newAnalysis()));
    expect(result.parsed).toEqual(GOOD);
    expect(lastText(endpoint.requests[1]!)).toMatch(/does not match the schema.*name/);
  });

  it('fails retryably with InvalidModelOutput when the repaired answer is still unusable, keeping both', async () => {
    const endpoint = await fakeEndpoint(() => answer('Dana, probably.'));
    const analysisId = await newAnalysis();
    const failure = await failureOf(run(depsFor(endpoint), modelCall(analysisId)));

    expect(failure.type).toBe(FailureType.InvalidModelOutput);
    expect(failure.nonRetryable).toBeFalsy();
    expect(failure.message).toContain('"offering"');
    expect(failure.message).not.toMatch(/retr/i);
    expect(endpoint.requests).toHaveLength(2);
    const rows = await rowsOf(analysisId);
    expect(rows.map((r) => [r.parsed, r.raw_output])).toEqual([
      [null, 'Dana, probably.'],
      [null, 'Dana, probably.'],
    ]);
    expect(failure.message).toContain(rows[1]!.id);
  });

  it.each([
    ['a refusal', answer(null, { refusal: "I can't help with that." }), true],
    ['a refusal in the content', answer("I'm sorry, but I can't assist with that request."), true],
    ['a truncated answer', answer('{"name": "Dana the', { finish_reason: 'length' }), true],
    ['a truncated answer (no smaller request given)', answer('{"name": "Dana the', { finish_reason: 'length' }), false],
  ])('asks once more, smaller, after %s', async (_what, first, withSmaller) => {
    const endpoint = await fakeEndpoint((_req, i) => (i === 0 ? first : good()));
    const analysisId = await newAnalysis();
    const { result } = await run(depsFor(endpoint), modelCall(analysisId, withSmaller ? { smaller: () => SMALLER } : {}));

    expect(result).toMatchObject({ parsed: GOOD, repaired: true });
    expect(endpoint.requests).toHaveLength(2);
    expect(endpoint.requests[1]!.messages).toEqual([...(withSmaller ? SMALLER : MESSAGES), { role: 'user', content: OUTPUT_FORMAT.shorterAnswer }]);
    expect((await rowsOf(analysisId)).map((r) => r.parsed)).toEqual([null, GOOD]);
  });

  it('asks for the smaller answer in the mode it settled on, with the schema in the prompt', async () => {
    const endpoint = await fakeEndpoint((_req, i) => (i === 0 ? answer('{"name": ', { finish_reason: 'length' }) : good()));
    await run(depsFor(endpoint, { OPENAI_STRUCTURED_OUTPUT: 'json_object' }), modelCall(await newAnalysis(), { smaller: () => SMALLER }));
    const repair = endpoint.requests[1]!;
    expect(repair.response_format?.type).toBe('json_object');
    expect(repair.messages.slice(0, 2)).toEqual(SMALLER);
    expect(String(repair.messages[2]!.content)).toContain(OUTPUT_FORMAT.schemaInPrompt(''));
    expect(repair.messages[3]).toEqual({ role: 'user', content: OUTPUT_FORMAT.shorterAnswer });
  });

  it.each([
    ['retry-after', { 'retry-after': '7' }, 7_000],
    ['retry-after-ms', { 'retry-after-ms': '1500', 'retry-after': '2' }, 1_500],
  ])('turns a 429 with %s into a retryable failure that waits that long', async (_what, headers, delay) => {
    const endpoint = await fakeEndpoint(() => apiError(429, 'Rate limit reached for requests', { type: 'requests', code: 'rate_limit_exceeded' }, headers));
    const failure = await failureOf(run(depsFor(endpoint), modelCall(await newAnalysis())));
    expect(failure.type).toBe(FailureType.AiUnavailable);
    expect(failure.nonRetryable).toBeFalsy();
    expect(failure.nextRetryDelay).toBe(delay);
  });

  it.each([
    [401, apiError(401, 'Incorrect API key provided: sk-xyz-secret', { code: 'invalid_api_key' }), FailureType.AiNotConfigured, 'OPENAI_API_KEY'],
    [403, apiError(403, 'Project xyz-secret does not have access to model', { code: 'model_not_found' }), FailureType.AiNotConfigured, 'OPENAI_MODEL'],
    [404, apiError(404, 'The model `xyz-secret` does not exist', { code: 'model_not_found' }), FailureType.AiNotConfigured, 'OPENAI_MODEL'],
    [429, apiError(429, 'You exceeded your current quota xyz-secret', { type: 'insufficient_quota', code: 'insufficient_quota' }, { 'retry-after': '1' }), FailureType.AiQuotaExceeded, 'OPENAI_API_KEY'],
  ])('fails at once on HTTP %i, naming the variable to fix', async (_status, reply, type, variable) => {
    const endpoint = await fakeEndpoint(() => reply);
    const failure = await failureOf(run(depsFor(endpoint), modelCall(await newAnalysis())));
    expect(failure.type).toBe(type);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(variable);
    // Neither the endpoint's address nor its own words reach people.
    expect(failure.message).not.toContain('127.0.0.1');
    expect(failure.message).not.toContain('xyz-secret');
    expect(endpoint.requests).toHaveLength(1);
  });

  it('uses OPENAI_FALLBACK_MODEL from the third attempt on, and stores the model that answered', async () => {
    const endpoint = await fakeEndpoint((req) => (req.model === 'missing-backup' ? apiError(404, 'no such model') : good({ model: `${req.model}-served` })));
    const deps = depsFor(endpoint, { OPENAI_MODEL: 'main-model', OPENAI_FALLBACK_MODEL: 'backup-model' });
    const analysisId = await newAnalysis();

    // Two calls (two activities), so the third attempt does not simply reuse the second one's answer.
    expect((await run(deps, modelCall(analysisId), { attempt: 2, activityId: 'call-a' })).result.model).toBe('main-model-served');
    const third = await run(deps, modelCall(analysisId), { attempt: 3, activityId: 'call-b' });
    expect(third.result.model).toBe('backup-model-served');
    expect(endpoint.requests.map((r) => r.model)).toEqual(['main-model', 'backup-model']);
    const rows = await rowsOf(analysisId);
    expect(rows.map((r) => [r.attempt, r.model])).toEqual([
      [2, 'main-model-served'],
      [3, 'backup-model-served'],
    ]);

    const broken = depsFor(endpoint, { OPENAI_MODEL: 'main-model', OPENAI_FALLBACK_MODEL: 'missing-backup' });
    const failure = await failureOf(run(broken, modelCall(analysisId), { attempt: 4, activityId: 'call-c' }));
    expect(failure.message).toContain('OPENAI_FALLBACK_MODEL');
  });

  it('sends at most AI_MAX_CONCURRENCY requests at once, and does not time out calls waiting for a slot', async () => {
    // Each request takes 0.5 s of a 1.2 s limit; the fifth call waits about 2 s for its slot.
    const endpoint = await fakeEndpoint(() => ({ ...good(), delayMs: 500 }));
    const deps = depsFor(endpoint, { AI_MAX_CONCURRENCY: 1, AI_TIMEOUT_SECONDS: 1.2 });
    const analysisId = await newAnalysis();
    const started = Date.now();
    const runs = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const r = await run(deps, modelCall(analysisId));
        return { ...r, tookMs: Date.now() - started };
      }),
    );

    expect(runs.every((r) => r.result.parsed.name === GOOD.name)).toBe(true);
    expect(endpoint.requests).toHaveLength(5);
    expect(endpoint.maxInFlight).toBe(1);
    expect(Math.max(...runs.map((r) => r.tookMs))).toBeGreaterThan(1_200);
    // The last one heartbeated while it waited, then while the model generated.
    const last = runs.reduce((a, b) => (b.tookMs > a.tookMs ? b : a));
    const phases = last.heartbeats.map((h) => h.phase);
    expect(phases).toContain('waiting');
    expect(phases.indexOf('generating')).toBeGreaterThan(phases.indexOf('waiting'));
    expect(deps.ai.inFlight).toBe(0);
    expect(deps.ai.waiting).toBe(0);
  });

  it('stops waiting for a slot when the activity is cancelled, without sending the request', async () => {
    const endpoint = await fakeEndpoint(() => ({ ...good(), delayMs: 800 }));
    const deps = depsFor(endpoint, { AI_MAX_CONCURRENCY: 1 });
    const analysisId = await newAnalysis();
    const busy = run(deps, modelCall(analysisId));
    const env = new MockActivityEnvironment({}, { logger: quietLogger });
    const waiting = run(deps, modelCall(analysisId), { env });
    setTimeout(() => env.cancel(), 150);

    const err = await waiting.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CancelledFailure);
    await busy;
    expect(endpoint.requests).toHaveLength(1);
    expect(deps.ai.waiting).toBe(0);
  });

  it('fails retryably as AiUnavailable when a request takes longer than AI_TIMEOUT_SECONDS', async () => {
    const endpoint = await fakeEndpoint(() => ({ ...good(), delayMs: 2_000 }));
    const analysisId = await newAnalysis();
    const failure = await failureOf(run(depsFor(endpoint, { AI_TIMEOUT_SECONDS: 0.3 }), modelCall(analysisId)));
    expect(failure.type).toBe(FailureType.AiUnavailable);
    expect(failure.nonRetryable).toBeFalsy();
    expect(failure.message).toContain('AI_TIMEOUT_SECONDS');
    expect(await rowsOf(analysisId)).toHaveLength(0);
  });

  it('stops the next call with BUDGET_EXCEEDED once the analysis has used its tokens', async () => {
    const endpoint = await fakeEndpoint(() => good({ usage: { prompt_tokens: 9_000, completion_tokens: 1_234 } }));
    const deps = depsFor(endpoint, { AI_BUDGET_TOKENS: 10_000 });
    const analysisId = await newAnalysis();
    await run(deps, modelCall(analysisId));

    const failure = await failureOf(run(deps, modelCall(analysisId)));
    expect(failure.type).toBe(FailureType.BudgetExceeded);
    expect(FAILURE_CODES[failure.type as FailureType]).toBe('BUDGET_EXCEEDED');
    expect(failure.nonRetryable).toBe(true);
    // 9,000 in at 0.15 + 1,234 out at 0.6 per million: $0.0021.
    expect(failure.message).toBe(
      'This analysis has used 10,234 of its 10,000 AI tokens ($0.0021); no further model calls were made. Raise AI_BUDGET_TOKENS to continue.',
    );
    expect(endpoint.requests).toHaveLength(1);

    // Other analyses have budgets of their own.
    await run(deps, modelCall(await newAnalysis()));
    expect(endpoint.requests).toHaveLength(2);
  });

  it('stops the next call once the analysis has spent AI_BUDGET_USD', async () => {
    const endpoint = await fakeEndpoint(() => good({ usage: { prompt_tokens: 9_000, completion_tokens: 1_234 } }));
    const deps = depsFor(endpoint, { AI_BUDGET_USD: 0.002 });
    const analysisId = await newAnalysis();
    await run(deps, modelCall(analysisId));
    const failure = await failureOf(run(deps, modelCall(analysisId)));
    expect(failure.type).toBe(FailureType.BudgetExceeded);
    expect(failure.message).toContain('$0.0021 of its $0.0020 AI budget');
    expect(failure.message).toContain('AI_BUDGET_USD');
  });

  it('stores a NULL cost for a model without a price, and usage says the cost is unknown', async () => {
    const endpoint = await fakeEndpoint((req) => good({ model: req.model }));
    const analysisId = await newAnalysis();
    await run(depsFor(endpoint), modelCall(analysisId));
    await run(depsFor(endpoint, { OPENAI_MODEL: 'llama3.1:8b' }), modelCall(analysisId, { version: 2 }));

    const rows = await rowsOf(analysisId);
    expect(rows.map((r) => [r.model, r.cost_usd === null])).toEqual([
      ['gpt-4o-mini', false],
      ['llama3.1:8b', true],
    ]);
    expect((await aiResponsesRepository.usage(db, analysisId)).costUsd).toBe('unknown');
    expect((await aiResponsesRepository.usage(db, analysisId, 1)).costUsd).toBeGreaterThan(0);
    expect(await aiResponsesRepository.usage(db, analysisId, 2)).toMatchObject({ calls: 1, inputTokens: 100, outputTokens: 20, costUsd: 'unknown' });

    // A configured price makes it known.
    const priced = await newAnalysis();
    await run(depsFor(endpoint, { OPENAI_MODEL: 'llama3.1:8b', AI_PRICES: { llama: { input: 1, output: 2 } } }), modelCall(priced));
    expect((await aiResponsesRepository.usage(db, priced)).costUsd).toBe(0.00014);
  });
});

// ---------------------------------------------------------------------------------------------
// Attempts of one call: stored answers reused, unusable ones bounded, outages waited for.

describe('callModel across attempts of one call', () => {
  /** A port nothing listens on: connections are refused, as from an endpoint that is down. */
  async function refusingEndpoint(): Promise<FakeEndpoint> {
    const endpoint = await fakeEndpoint(() => good());
    await endpoint.close();
    return endpoint;
  }
  const attemptEnv = (info: { attempt: number; activityId?: string; scheduledTimestampMs?: number }) => new MockActivityEnvironment(info, { logger: quietLogger });
  const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  const hhmmss = (ms: number) => new Date(ms).toISOString().slice(11, 19);

  it('a retried attempt reuses the valid answer an earlier attempt of the same call stored, sending nothing', async () => {
    const endpoint = await fakeEndpoint(() => good());
    const deps = depsFor(endpoint);
    const analysisId = await newAnalysis();
    const first = await run(deps, modelCall(analysisId), { attempt: 1, activityId: 'insight-1' });
    // The worker died (or Temporal was unreachable) before the result was reported: attempt 2 of the same activity.
    const second = await run(deps, modelCall(analysisId), { attempt: 2, activityId: 'insight-1' });
    expect(endpoint.requests).toHaveLength(1);
    expect(second.result).toMatchObject({ responseId: first.result.responseId, parsed: GOOD, reused: true });
    expect(await rowsOf(analysisId)).toHaveLength(1);

    // Another activity (a later quality round, a regeneration), another version or another part asks anew.
    await run(deps, modelCall(analysisId), { attempt: 2, activityId: 'insight-2' });
    await run(deps, modelCall(analysisId, { version: 2 }), { attempt: 2, activityId: 'insight-1' });
    await run(deps, modelCall(analysisId, { kind: 'repair:summary' }), { attempt: 2, activityId: 'insight-1' });
    expect(endpoint.requests).toHaveLength(4);
    expect(await rowsOf(analysisId)).toHaveLength(4);
  });

  it('counts each call once in the progress: a reused answer repeats its count, a second quality round of the same part adds one', async () => {
    const endpoint = await fakeEndpoint(() => good());
    const deps = depsFor(endpoint);
    const analysisId = await newAnalysis();
    const counts = async () =>
      (await db.selectFrom('processing_events').select('details').where('analysis_id', '=', analysisId).where('type', '=', 'model_call_done').orderBy('id').execute()).map(
        (e) => (e.details as { done: number; total: number }).done,
      );
    await run(deps, modelCall(analysisId), { attempt: 1, activityId: 'insight-1' });
    await run(deps, modelCall(analysisId), { attempt: 2, activityId: 'insight-1' });
    // Two rounds of the quality check repair persona 1: two activities, two calls of one kind (counted as one before).
    await run(deps, modelCall(analysisId, { kind: 'repair:persona_1' }), { attempt: 1, activityId: 'repair-round-1' });
    await run(deps, modelCall(analysisId, { kind: 'repair:persona_1' }), { attempt: 1, activityId: 'repair-round-2' });
    expect(await counts()).toEqual([1, 1, 2, 3]);
  });

  it('does not reuse an unusable answer: the next attempt asks again', async () => {
    const endpoint = await fakeEndpoint((_req, i) => (i < 2 ? answer('Dana, probably.') : good()));
    const deps = depsFor(endpoint);
    const analysisId = await newAnalysis();
    await failureOf(run(deps, modelCall(analysisId), { attempt: 1, activityId: 'insight-1' }));
    const { result } = await run(deps, modelCall(analysisId), { attempt: 2, activityId: 'insight-1' });
    expect(result.parsed).toEqual(GOOD);
    expect(result.reused).toBeFalsy();
    expect(endpoint.requests).toHaveLength(3);
  });

  it('gives up on a model whose answers stay unusable after a few attempts, saying so without promising a retry', async () => {
    const endpoint = await fakeEndpoint(() => answer('Dana, probably.'));
    const deps = depsFor(endpoint);
    const analysisId = await newAnalysis();
    const failures: ApplicationFailure[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) failures.push(await failureOf(run(deps, modelCall(analysisId), { attempt, activityId: 'insight-1' })));
    expect(failures.map((f) => [f.type, Boolean(f.nonRetryable)])).toEqual([
      [FailureType.InvalidModelOutput, false],
      [FailureType.InvalidModelOutput, false],
      [FailureType.InvalidModelOutput, true],
    ]);
    expect(failures[2]!.message).toMatch(/no usable answer for "offering" in 3 attempts/);
    expect(failures[2]!.message).not.toMatch(/retr|will be/i);
    expect(endpoint.requests).toHaveLength(6);

    // A repair gives up sooner.
    const repair = await newAnalysis();
    await failureOf(run(deps, modelCall(repair, { invalidOutputAttempts: 2 }), { attempt: 1, activityId: 'repair-1' }));
    expect((await failureOf(run(deps, modelCall(repair, { invalidOutputAttempts: 2 }), { attempt: 2, activityId: 'repair-1' }))).nonRetryable).toBe(true);
  });

  it('waits for an endpoint that refuses connections, saying since when and until when, without its address', async () => {
    const endpoint = await refusingEndpoint();
    const scheduled = Date.now() - 5 * 60_000;
    const failure = await failureOf(run(depsFor(endpoint), modelCall(await newAnalysis()), { env: attemptEnv({ attempt: 4, scheduledTimestampMs: scheduled }) }));
    expect(failure.type).toBe(FailureType.AiUnavailable);
    expect(failure.nonRetryable).toBeFalsy();
    expect(failure.message).toMatch(new RegExp(`^Waiting for the AI endpoint since (\\S+ )?${hhmm(scheduled)} UTC: could not be reached \\(connection refused`));
    expect(failure.message).toMatch(new RegExp(`retrying until (\\S+ )?${hhmm(scheduled + 60 * 60_000)} UTC\\.$`));
    expect(failure.message).not.toContain('127.0.0.1');
    // The policy's backoff before attempt 5: 8 s.
    expect(failure.nextRetryDelay).toBe(8_000);
  });

  it('never waits past AI_OUTAGE_MINUTES after the call was first scheduled, then fails for good', async () => {
    const endpoint = await refusingEndpoint();
    const deps = depsFor(endpoint, { AI_OUTAGE_MINUTES: 0.5 });
    const analysisId = await newAnalysis();
    // 20 s into a 30 s window, a backoff of a minute is cut to what is left.
    const inWindow = Date.now() - 20_000;
    const waiting = await failureOf(run(deps, modelCall(analysisId), { env: attemptEnv({ attempt: 12, scheduledTimestampMs: inWindow }) }));
    expect(waiting.nonRetryable).toBeFalsy();
    expect(Number(waiting.nextRetryDelay)).toBeGreaterThan(0);
    expect(Number(waiting.nextRetryDelay)).toBeLessThanOrEqual(10_000);
    expect(waiting.message).toContain(`since ${hhmmss(inWindow)} UTC`);

    const scheduled = Date.now() - 40_000;
    const final = await failureOf(run(deps, modelCall(analysisId), { env: attemptEnv({ attempt: 13, scheduledTimestampMs: scheduled }) }));
    expect(final.type).toBe(FailureType.AiUnavailable);
    expect(final.nonRetryable).toBe(true);
    expect(final.message).toMatch(new RegExp(`unavailable from (\\S+ )?${hhmmss(scheduled)} UTC until (\\S+ )?${hhmmss(scheduled + 30_000)} UTC`));
    expect(final.message).toContain('30 seconds AI_OUTAGE_MINUTES allows: could not be reached (connection refused');
    expect(final.message).not.toMatch(/retr|will be/i);
  });

  it('waits for 5xx answers and rate limits (as long as a 429 asks), and fails at once on a bad key', async () => {
    const endpoint = await fakeEndpoint((req) =>
      req.model === 'busy' ? apiError(429, 'slow down', {}, { 'retry-after': '7' }) : req.model === 'broken' ? apiError(503, 'overloaded') : apiError(401, 'bad key'),
    );
    const analysisId = await newAnalysis();
    const busy = await failureOf(run(depsFor(endpoint, { OPENAI_MODEL: 'busy' }), modelCall(analysisId)));
    expect(busy).toMatchObject({ type: FailureType.AiUnavailable, nextRetryDelay: 7_000 });
    expect(busy.message).toMatch(/^Waiting for the AI endpoint since .*rate-limiting requests \(HTTP 429\) and asked to wait 7 s; retrying until/);
    const broken = await failureOf(run(depsFor(endpoint, { OPENAI_MODEL: 'broken' }), modelCall(analysisId)));
    expect(broken.nonRetryable).toBeFalsy();
    expect(broken.message).toMatch(/^Waiting for the AI endpoint since .*HTTP 503/);
    const badKey = await failureOf(run(depsFor(endpoint, { OPENAI_MODEL: 'any' }), modelCall(analysisId)));
    expect(badKey).toMatchObject({ type: FailureType.AiNotConfigured, nonRetryable: true });
    expect(endpoint.requests).toHaveLength(3);
  });
});
