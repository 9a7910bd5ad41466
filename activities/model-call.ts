import { ApplicationFailure, Context } from '@temporalio/activity';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { FailureType } from '../src/domain/failures.js';
import { estimateCost } from '../src/domain/pricing.js';
import { OUTPUT_FORMAT } from '../src/domain/prompts.js';
import type { AnswerSchemas } from '../src/domain/report.js';
import type { Logger } from '../src/logger.js';
import type { ModelClient, StructuredOutputMode } from '../src/model-client.js';
import { isStandInModel } from '../src/openai.js';
import { aiResponsesRepository } from '../src/repositories/ai-responses.js';
import type { ActivityDeps } from './types.js';

export type { StructuredOutputMode } from '../src/model-client.js';

/** Heartbeats while a call waits for a slot and while the model generates: cancellation arrives with them. */
const HEARTBEAT_EVERY_MS = 3_000;
/** From this activity attempt on, OPENAI_FALLBACK_MODEL (when set) answers instead of OPENAI_MODEL. */
export const FALLBACK_FROM_ATTEMPT = 3;

type Message = OpenAI.Chat.ChatCompletionMessageParam;

/** One model answer an activity needs. */
export interface ModelCall<T> {
  analysisId: string;
  version: number;
  /** Stored as ai_responses.kind: an insight kind, 'personas', or 'repair:<part>'. */
  kind: string;
  /** The schema's name in the request: letters, digits, _ and -. */
  schemaName: string;
  schemas: AnswerSchemas<T>;
  messages: Message[];
  /** A smaller request for the same task: used once after a refusal or a truncated answer. */
  smaller?: () => Message[];
}

export interface ModelCallResult<T> {
  /** The ai_responses row of the answer that was used. */
  responseId: string;
  parsed: T;
  /** The model that answered, as the endpoint names it. */
  model: string;
  standIn: boolean;
  mode: StructuredOutputMode;
  /** True when the first answer was unusable and the one repair request produced this one. */
  repaired?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Reading answers

/** Reasoning models (DeepSeek-R1, Qwen3, ...) served locally often put their thinking in the content. */
function withoutThinking(text: string): string {
  return text.replace(/<(think|thinking|reasoning)>[\s\S]*?<\/\1>/gi, '').trim();
}

/** Index of the `}` closing the object opened at `start`, or -1 when the text ends first. */
function balancedEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

/**
 * The JSON value in a model's answer: the whole answer when it is JSON, else the first fenced
 * ```json block that parses, else the first balanced {...} that parses. Throws a SyntaxError when
 * there is none.
 */
export function extractJson(answer: string): unknown {
  const text = withoutThinking(answer);
  try {
    return JSON.parse(text);
  } catch {
    // Prose around it, or a fence: look inside.
  }
  for (const fence of text.matchAll(/```[ \t]*(?:json5?|jsonc|javascript|js)?[ \t]*\r?\n([\s\S]*?)```/gi)) {
    try {
      return JSON.parse(fence[1]!.trim());
    } catch {
      // Not this block.
    }
  }
  for (let start = text.indexOf('{'); start >= 0; ) {
    const end = balancedEnd(text, start);
    if (end < 0) break;
    try {
      return JSON.parse(text.slice(start, end + 1));
    } catch {
      start = text.indexOf('{', end + 1);
    }
  }
  throw new SyntaxError('no JSON object found');
}

const REFUSAL = /^\W*(?:I['’]m sorry|I am sorry|sorry\b|I apologi[sz]e|I can(?:not|['’]t)\b|I won['’]t|I will not|I['’]m (?:not able|unable)|I am (?:not able|unable)|As an AI\b|I must decline)/i;

type Reading<T> = { ok: true; parsed: T } | { ok: false; parsed: null; problem: string; repair: 'invalid' | 'shorter' };

function schemaProblem(err: z.ZodError): string {
  const issues = err.issues.slice(0, 3).map((i) => `${i.path.map(String).join('.') || '$'}: ${clip(i.message, 160)}`);
  return `the output does not match the schema (${issues.join('; ')}${err.issues.length > 3 ? `; ${err.issues.length - 3} more` : ''})`;
}

function clip(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** What a completion holds: a usable answer, or what is wrong with it and which repair fits. */
export function readAnswer<T>(completion: OpenAI.Chat.ChatCompletion, accept: z.ZodType<T>): Reading<T> {
  const choice = completion.choices?.[0];
  const message = choice?.message;
  if (message?.refusal) return { ok: false, parsed: null, problem: `the model declined to answer ("${clip(message.refusal)}")`, repair: 'shorter' };
  const content = message?.content ?? '';
  let json: unknown;
  let found = true;
  try {
    json = extractJson(content);
  } catch {
    found = false;
  }
  if (found) {
    const checked = accept.safeParse(json);
    if (checked.success) return { ok: true, parsed: checked.data };
    if (choice?.finish_reason !== 'length') return { ok: false, parsed: null, problem: schemaProblem(checked.error), repair: 'invalid' };
  }
  if (choice?.finish_reason === 'length') return { ok: false, parsed: null, problem: 'the answer was cut off at the token limit', repair: 'shorter' };
  if (choice?.finish_reason === 'content_filter') return { ok: false, parsed: null, problem: 'the answer was stopped by the content filter', repair: 'shorter' };
  const prose = withoutThinking(content);
  if (prose === '') return { ok: false, parsed: null, problem: 'the answer was empty', repair: 'invalid' };
  if (REFUSAL.test(prose)) return { ok: false, parsed: null, problem: `the model declined to answer ("${clip(prose)}")`, repair: 'shorter' };
  return { ok: false, parsed: null, problem: 'the answer is not valid JSON', repair: 'invalid' };
}

// ---------------------------------------------------------------------------------------------
// Endpoint errors

interface FailureContext {
  model: string;
  /** The variable that names `model`: OPENAI_MODEL, or OPENAI_FALLBACK_MODEL on later attempts. */
  modelVariable: 'OPENAI_MODEL' | 'OPENAI_FALLBACK_MODEL';
  mode: StructuredOutputMode;
  /** Whether the mode was chosen by OPENAI_STRUCTURED_OUTPUT (not probed by auto). */
  modeConfigured: boolean;
  timeoutMs: number;
}

function errorText(err: APIError): string {
  return `${err.message} ${err.param ?? ''} ${err.code ?? ''} ${JSON.stringify(err.error ?? '')}`;
}

/** The endpoint refused the response_format itself (it does not support that mode), not the request. */
function rejectsFormat(err: unknown): boolean {
  if (!(err instanceof APIError)) return false;
  if (err.status === 422) return true;
  return err.status === 400 && /response_format|json_schema|json_object|schema|structured/i.test(errorText(err));
}

/** A rejection of this one schema (OpenAI's strict-mode rules), not of json_schema mode as such. */
function rejectsThisSchema(err: unknown): boolean {
  return err instanceof APIError && /invalid schema/i.test(errorText(err));
}

const CONTEXT_TOO_LONG = /context (length|window)|maximum context|too many tokens|prompt is too long|input is too long|exceeds? the (model'?s? )?(maximum|context)|n_ctx/i;

/** A 429's requested wait (retry-after-ms, else retry-after in seconds or as an HTTP date), in ms. */
export function retryDelayMs(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms') ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return Math.max(1, Math.ceil(ms));
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.max(1, Math.ceil(seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(1, date - Date.now());
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(ms < 10_000 ? 1 : 0))} s`;
}

const notConfigured = (message: string) => ApplicationFailure.create({ message, type: FailureType.AiNotConfigured, nonRetryable: true });
const unavailable = (message: string, nextRetryDelay?: number) =>
  ApplicationFailure.create({ message, type: FailureType.AiUnavailable, ...(nextRetryDelay !== undefined ? { nextRetryDelay } : {}) });

/**
 * Maps an endpoint error to what Temporal should do with it. Configuration errors (bad key,
 * unknown model, no access, no quota, a request the endpoint cannot serve) fail the analysis at
 * once with a message that names the variable to fix; outages, rate limits and timeouts are
 * retried. Messages never carry the endpoint's address or its own error text: those go to the log.
 */
export function toActivityFailure(err: unknown, ctx: FailureContext): Error {
  const { model, modelVariable: variable } = ctx;
  if (err instanceof APIConnectionTimeoutError) {
    return unavailable(`The AI endpoint did not answer within ${seconds(ctx.timeoutMs)} (AI_TIMEOUT_SECONDS).`);
  }
  if (err instanceof APIConnectionError) {
    return unavailable('The AI endpoint could not be reached: check that it is running and that OPENAI_BASE_URL points at it.');
  }
  if (!(err instanceof APIError) || typeof err.status !== 'number') return err instanceof Error ? err : new Error(String(err));

  const status = err.status;
  if (status === 401) {
    return notConfigured('The AI endpoint rejected the API key (HTTP 401): check OPENAI_API_KEY, or point OPENAI_BASE_URL at a local OpenAI-compatible server.');
  }
  if (status === 403) {
    return notConfigured(`The AI endpoint denied this API key access to model "${model}" (HTTP 403): check OPENAI_API_KEY and ${variable}.`);
  }
  if (status === 404) {
    return notConfigured(
      `The AI endpoint does not know model "${model}" (HTTP 404): check ${variable}, and that OPENAI_BASE_URL is the API's base address (often ending in /v1).`,
    );
  }
  if (status === 429) {
    if (err.code === 'insufficient_quota' || err.type === 'insufficient_quota') {
      return ApplicationFailure.create({
        message:
          'The AI account of OPENAI_API_KEY has no quota or credit left (HTTP 429 insufficient_quota): add credit or raise its usage limit, or set OPENAI_API_KEY to a key of another account.',
        type: FailureType.AiQuotaExceeded,
        nonRetryable: true,
      });
    }
    const delay = retryDelayMs(err.headers);
    return delay === undefined
      ? unavailable('The AI endpoint is rate-limiting requests (HTTP 429).')
      : unavailable(`The AI endpoint is rate-limiting requests (HTTP 429) and asked to wait ${seconds(delay)}.`, delay);
  }
  if (status === 400 || status === 422) {
    if (CONTEXT_TOO_LONG.test(errorText(err))) {
      return notConfigured(
        `The request is longer than model "${model}" can read (HTTP ${status}): choose a model with a larger context window (${variable}), or analyze fewer pages.`,
      );
    }
    if (rejectsFormat(err) && ctx.mode !== 'text') {
      const what = ctx.mode === 'json_schema' ? 'JSON-schema output' : 'JSON-object output';
      const fix = ctx.modeConfigured ? 'set OPENAI_STRUCTURED_OUTPUT=auto' : 'set OPENAI_STRUCTURED_OUTPUT=text';
      return notConfigured(`The AI endpoint does not accept ${what} for model "${model}" (HTTP ${status}): ${fix}, or choose another model (${variable}).`);
    }
    return notConfigured(`The AI endpoint could not process the request for model "${model}" (HTTP ${status}): check ${variable}.`);
  }
  return unavailable(`The AI endpoint failed (HTTP ${status}).`);
}

// ---------------------------------------------------------------------------------------------
// Budget

function tokensText(n: number): string {
  return n.toLocaleString('en-US');
}

function usdText(n: number): string {
  return `$${n >= 1 ? n.toFixed(2) : n.toFixed(4)}`;
}

/** Fails non-retryably when the analysis has reached AI_BUDGET_TOKENS or AI_BUDGET_USD. */
async function checkBudget(deps: ActivityDeps, log: Logger, call: { analysisId: string; kind: string }): Promise<void> {
  const { usd, tokens } = deps.ai.budget;
  if (usd === undefined && tokens === undefined) return;
  const used = await aiResponsesRepository.usage(deps.db, call.analysisId);
  const spentTokens = used.inputTokens + used.outputTokens;
  const cost = used.costUsd === 'unknown' ? (used.pricedCostUsd > 0 ? `at least ${usdText(used.pricedCostUsd)}` : 'cost unknown') : usdText(used.costUsd);
  let message: string | undefined;
  if (tokens !== undefined && spentTokens >= tokens) {
    message = `This analysis has used ${tokensText(spentTokens)} of its ${tokensText(tokens)} AI tokens (${cost}); no further model calls were made. Raise AI_BUDGET_TOKENS to continue.`;
  } else if (usd !== undefined && used.pricedCostUsd >= usd) {
    const spent = used.costUsd === 'unknown' ? `at least ${usdText(used.pricedCostUsd)}` : usdText(used.pricedCostUsd);
    message = `This analysis has used ${spent} of its ${usdText(usd)} AI budget (${tokensText(spentTokens)} tokens); no further model calls were made. Raise AI_BUDGET_USD to continue.`;
  }
  if (message === undefined) return;
  log.warn('AI budget reached', { kind: call.kind, calls: used.calls, tokens: spentTokens, costUsd: used.costUsd, budgetTokens: tokens, budgetUsd: usd });
  throw ApplicationFailure.create({ message, type: FailureType.BudgetExceeded, nonRetryable: true });
}

// ---------------------------------------------------------------------------------------------
// The call

const NEXT_MODE: Record<StructuredOutputMode, StructuredOutputMode | undefined> = { json_schema: 'json_object', json_object: 'text', text: undefined };

/**
 * One model answer in the activity attempt that calls it:
 *
 * 1. Checks the analysis's budget (AI_BUDGET_TOKENS / AI_BUDGET_USD).
 * 2. Waits for one of the worker's AI_MAX_CONCURRENCY slots, heartbeating ("waiting"), then sends
 *    the request with AI_TIMEOUT_SECONDS as its limit, heartbeating ("generating"). Cancelling the
 *    activity stops both. From attempt 3 on, OPENAI_FALLBACK_MODEL answers when set.
 * 3. Asks for JSON the way OPENAI_STRUCTURED_OUTPUT says; `auto` starts with json_schema and falls
 *    back to json_object, then text, when the endpoint rejects the format, and remembers what
 *    worked per model for the worker process.
 * 4. Stores every answer in ai_responses (raw output, tokens incl. cached, mode, model, cost) and
 *    validates it with `schemas.accept`. An unusable answer gets one repair in the same attempt:
 *    invalid JSON is sent back with what is wrong; a refused or truncated answer is asked again,
 *    smaller. Still unusable: a retryable InvalidModelOutput failure.
 */
export async function callModel<T>(deps: ActivityDeps, log: Logger, call: ModelCall<T>): Promise<ModelCallResult<T>> {
  const ctx = Context.current();
  const ai: ModelClient = deps.ai;
  const signal = ctx.cancellationSignal;
  const attempt = ctx.info.attempt;
  const useFallback = ai.fallbackModel !== undefined && attempt >= FALLBACK_FROM_ATTEMPT;
  const requested = useFallback ? ai.fallbackModel! : ai.model;
  if (useFallback) log.info('using the fallback model', { kind: call.kind, attempt, model: requested, instead: ai.model });

  await checkBudget(deps, log, call);

  const format = zodResponseFormat(call.schemas.request, call.schemaName, { schemaDefinitions: call.schemas.definitions });
  const schemaMessage: Message = { role: 'user', content: OUTPUT_FORMAT.schemaInPrompt(JSON.stringify(format.json_schema.schema)) };
  const withFormat = (mode: StructuredOutputMode, messages: Message[]): Message[] => (mode === 'json_schema' ? messages : [...messages, schemaMessage]);

  const probing = ai.structuredOutput === 'auto';
  const known = probing ? ai.knownMode(requested) : undefined;
  let mode: StructuredOutputMode = probing ? (known ?? 'json_schema') : ai.structuredOutput as StructuredOutputMode;
  const failureContext = (): FailureContext => ({
    model: requested,
    modelVariable: useFallback ? 'OPENAI_FALLBACK_MODEL' : 'OPENAI_MODEL',
    mode,
    modeConfigured: !probing,
    timeoutMs: ai.timeoutMs,
  });

  let phase: 'waiting' | 'generating' = 'waiting';
  let phaseSince = Date.now();
  const beat = () => ctx.heartbeat({ kind: call.kind, phase, seconds: Math.round((Date.now() - phaseSince) / 1000), model: requested });
  const enter = (next: typeof phase) => {
    phase = next;
    phaseSince = Date.now();
    beat();
  };
  beat();
  const heartbeat = setInterval(beat, HEARTBEAT_EVERY_MS);

  /** One request in one slot; endpoint errors come back as they are. */
  const send = async (sendMode: StructuredOutputMode, messages: Message[]): Promise<OpenAI.Chat.ChatCompletion> => {
    enter('waiting');
    try {
      return await ai.withSlot(
        () =>
          ai.openai.chat.completions.create(
            {
              model: requested,
              messages,
              ...(sendMode === 'json_schema' ? { response_format: format } : sendMode === 'json_object' ? { response_format: { type: 'json_object' as const } } : {}),
            },
            { signal, timeout: ai.timeoutMs },
          ),
        { signal, onAcquired: () => enter('generating') },
      );
    } finally {
      enter('waiting');
    }
  };

  const failed = (err: unknown): never => {
    // A cancelled analysis aborts the wait or the request; report the cancellation, not the abort.
    if (signal.aborted) throw signal.reason;
    log.warn('model call failed', {
      kind: call.kind,
      model: requested,
      mode,
      baseUrl: ai.baseURL,
      status: err instanceof APIError ? err.status : undefined,
      code: err instanceof APIError ? err.code : undefined,
      error: err instanceof Error ? err.message : String(err),
    });
    throw toActivityFailure(err, failureContext());
  };

  const started = Date.now();
  const store = async (completion: OpenAI.Chat.ChatCompletion, parsed: T | null, repair: boolean) => {
    const message = completion.choices?.[0]?.message;
    const model = completion.model || requested;
    const inputTokens = completion.usage?.prompt_tokens ?? 0;
    const cachedTokens = completion.usage?.prompt_tokens_details?.cached_tokens ?? 0;
    const outputTokens = completion.usage?.completion_tokens ?? 0;
    const costUsd = estimateCost(ai.prices, model, { inputTokens, cachedTokens, outputTokens });
    const responseId = await aiResponsesRepository.save(deps.db, {
      analysisId: call.analysisId,
      version: call.version,
      kind: call.kind,
      attempt,
      model,
      standIn: isStandInModel(model),
      rawOutput: message?.content ?? message?.refusal ?? '',
      parsed: parsed as object | null,
      promptTokens: inputTokens,
      cachedTokens,
      completionTokens: outputTokens,
      totalTokens: completion.usage?.total_tokens ?? inputTokens + outputTokens,
      costUsd,
      outputMode: mode,
    });
    log.info('model call finished', {
      kind: call.kind,
      model,
      mode,
      repair,
      inputTokens,
      cachedTokens,
      outputTokens,
      costUsd,
      durationMs: Date.now() - started,
      responseId,
      valid: parsed !== null,
    });
    return { responseId, model };
  };

  try {
    // The first answer, probing the mode when `auto` has not settled it for this model yet.
    let sent = withFormat(mode, call.messages);
    let completion: OpenAI.Chat.ChatCompletion;
    let schemaSpecific = false;
    for (;;) {
      try {
        completion = await send(mode, sent);
        break;
      } catch (err) {
        const next = NEXT_MODE[mode];
        if (!probing || next === undefined || !rejectsFormat(err)) return failed(err);
        log.info('the AI endpoint rejected the output format; trying the next', {
          kind: call.kind,
          model: requested,
          rejected: mode,
          next,
          baseUrl: ai.baseURL,
          status: err instanceof APIError ? err.status : undefined,
          error: err instanceof Error ? err.message : String(err),
        });
        // OpenAI's strict-mode rules can refuse one schema while json_schema works for others.
        if (rejectsThisSchema(err)) schemaSpecific = true;
        mode = next;
        sent = withFormat(mode, call.messages);
      }
    }
    if (probing && !schemaSpecific && mode !== known) ai.rememberMode(requested, mode);

    const first = readAnswer(completion, call.schemas.accept);
    const firstStored = await store(completion, first.parsed, false);
    if (first.ok) {
      return { responseId: firstStored.responseId, parsed: first.parsed, model: firstStored.model, standIn: isStandInModel(firstStored.model), mode };
    }

    // One repair in this attempt.
    log.info('model answer unusable; asking once more', { kind: call.kind, problem: first.problem, repair: first.repair, responseId: firstStored.responseId });
    await checkBudget(deps, log, call);
    const repairMessages: Message[] =
      first.repair === 'invalid'
        ? [...sent, { role: 'assistant', content: completion.choices?.[0]?.message?.content ?? '' }, { role: 'user', content: OUTPUT_FORMAT.invalidAnswer(first.problem) }]
        : [...withFormat(mode, call.smaller?.() ?? call.messages), { role: 'user', content: OUTPUT_FORMAT.shorterAnswer }];
    let repaired: OpenAI.Chat.ChatCompletion;
    try {
      repaired = await send(mode, repairMessages);
    } catch (err) {
      return failed(err);
    }
    const second = readAnswer(repaired, call.schemas.accept);
    const secondStored = await store(repaired, second.parsed, true);
    if (second.ok) {
      return {
        responseId: secondStored.responseId,
        parsed: second.parsed,
        model: secondStored.model,
        standIn: isStandInModel(secondStored.model),
        mode,
        repaired: true,
      };
    }
    throw ApplicationFailure.create({
      message: `Model output for "${call.kind}" rejected: ${second.problem}, also after one repair request (first answer: ${first.problem}). The raw output is kept in ai_responses ${secondStored.responseId}.`,
      type: FailureType.InvalidModelOutput,
    });
  } finally {
    clearInterval(heartbeat);
  }
}
