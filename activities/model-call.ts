import { ApplicationFailure, Context, type Info } from '@temporalio/activity';
import OpenAI, { APIError } from 'openai';
import { FailureType } from '../src/domain/failures.js';
import { extractJson, readAnswer } from '../src/domain/model-answer.js';
import { INVALID_OUTPUT_ATTEMPTS, outageDecision, outageWindow } from '../src/domain/model-outage.js';
import { estimateCost } from '../src/domain/pricing.js';
import { ANSWER_PROBLEMS, OUTPUT_FORMAT } from '../src/domain/prompts.js';
import type { AnswerSchemas } from '../src/domain/report.js';
import type { Logger } from '../src/logger.js';
import type { ModelClient, StructuredOutputMode } from '../src/model-client.js';
import { isStandInModel } from '../src/openai.js';
import { aiResponsesRepository, type AiResponseRow, type NewAiResponse } from '../src/repositories/ai-responses.js';
import { substepEvents } from '../src/repositories/event-stream.js';
import { recordModelCall } from '../src/telemetry/worker-metrics.js';
import { classifyEndpointError, rejectsFormat, rejectsThisSchema, type FailureContext } from './model-errors.js';
import { responseFormat } from './response-format.js';
import type { ActivityDeps } from './types.js';

export type { StructuredOutputMode } from '../src/model-client.js';

/** Heartbeats while a call waits for a slot and while the model generates: cancellation arrives with them. */
const HEARTBEAT_EVERY_MS = 3_000;
/** The sampling temperature of a second try (a repair, a retried attempt): llama.cpp's and Ollama's default. */
const RESAMPLE_TEMPERATURE = 0.8;
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
  /** Attempts that may end in unusable output before the call gives up (default INVALID_OUTPUT_ATTEMPTS.call). */
  invalidOutputAttempts?: number;
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
  /** True when an earlier attempt of the same call had stored this answer: no request was sent. */
  reused?: boolean;
}

/**
 * Names one model call the same way in every attempt of its activity: the workflow run and the
 * activity's ID (a quality round, a regeneration, each is its own activity) and the part asked for
 * (a repair activity asks for several). A retried attempt finds its answers under this key.
 */
export function callKey(info: Pick<Info, 'workflowExecution' | 'activityId' | 'activityRunId'>, kind: string): string {
  return `${info.workflowExecution?.runId ?? info.activityRunId ?? 'standalone'}/${info.activityId}/${kind}`;
}

/** A stored valid answer read back for this call's schema; undefined when it no longer fits (then ask again). */
function storedParsed<T>(row: AiResponseRow, call: ModelCall<T>): T | undefined {
  const fromParsed = call.schemas.accept.safeParse(row.parsed);
  if (fromParsed.success) return fromParsed.data;
  try {
    const fromRaw = call.schemas.accept.safeParse(extractJson(row.raw_output));
    return fromRaw.success ? fromRaw.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Any other fault of a model activity (the database down, a worker bug) is waited for as long as an
 * endpoint outage, then ends the call: the policy retries without an attempt limit.
 */
export async function withinOutageDeadline<T>(deps: ActivityDeps, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ApplicationFailure && (err.nonRetryable || err.type === FailureType.AiUnavailable || err.type === FailureType.InvalidModelOutput)) throw err;
    const ctx = Context.current();
    if (ctx.cancellationSignal.aborted) throw err;
    const now = Date.now();
    const window = outageWindow(ctx.info.scheduledTimestampMs, deps.ai.outageMinutes, now);
    if (now < window.until) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw ApplicationFailure.create({
      message: `${message} (still failing ${window.minutes} minutes (AI_OUTAGE_MINUTES) after the call was first scheduled; the call stopped)`,
      type: err instanceof ApplicationFailure && err.type ? err.type : err instanceof Error ? err.name : 'Error',
      nonRetryable: true,
      cause: err instanceof Error ? err : undefined,
    });
  }
}

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


/** Whether a call failed because its answer, asked again, was still cut off at the token limit: a request for less may fit. */
export function answerCutOff(err: unknown): boolean {
  if (!(err instanceof ApplicationFailure) || err.type !== FailureType.InvalidModelOutput) return false;
  const [details] = err.details ?? [];
  return typeof details === 'object' && details !== null && (details as { cutOff?: unknown }).cutOff === true;
}

/** Bookkeeping whose failure never fails the call it counts. */
async function recordProgress(deps: ActivityDeps, log: Logger, call: ModelCall<unknown>, key: string): Promise<void> {
  await substepEvents.modelCallDone(deps.db, progressOf(call, key)).catch((err: unknown) => progressNotRecorded(log, call, err));
}

const progressOf = (call: ModelCall<unknown>, callKey: string) => ({ analysisId: call.analysisId, version: call.version, kind: call.kind, callKey });

function progressNotRecorded(log: Logger, call: ModelCall<unknown>, err: unknown): void {
  log.info('model answer not recorded as progress', { kind: call.kind, error: err instanceof Error ? err.message : String(err) });
}

/**
 * One model answer in the activity attempt that calls it:
 *
 * 0. Returns the valid answer an earlier attempt of the same call stored (callKey), sending nothing.
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
 *    smaller. Still unusable: a retryable InvalidModelOutput failure, final once
 *    `invalidOutputAttempts` attempts have ended so.
 * 5. An endpoint that is down, hanging, throttling or failing is waited for: a retryable
 *    AiUnavailable failure whose message ("Waiting for the AI endpoint since …") is the step's
 *    last error, until AI_OUTAGE_MINUTES after the call was first scheduled; then a final one.
 *    Permanent faults (key, model, quota, a request the endpoint cannot serve) fail at once.
 */
export async function callModel<T>(deps: ActivityDeps, log: Logger, call: ModelCall<T>): Promise<ModelCallResult<T>> {
  const ctx = Context.current();
  const ai: ModelClient = deps.ai;
  const signal = ctx.cancellationSignal;
  const attempt = ctx.info.attempt;
  const useFallback = ai.fallbackModel !== undefined && attempt >= FALLBACK_FROM_ATTEMPT;
  const requested = useFallback ? ai.fallbackModel! : ai.model;
  const key = callKey(ctx.info, call.kind);
  const keyRef = { analysisId: call.analysisId, version: call.version, callKey: key };

  // An earlier attempt may have been paid for and stored before its result was lost (a worker
  // crash, Temporal unreachable when it reported): use that answer rather than pay again.
  if (attempt > 1) {
    const stored = await aiResponsesRepository.storedAnswer(deps.db, keyRef);
    const parsed = stored ? storedParsed(stored, call) : undefined;
    if (stored && parsed !== undefined) {
      log.info('reusing the answer an earlier attempt stored', { kind: call.kind, responseId: stored.id, storedAttempt: stored.attempt });
      // Its live progress ("model calls 3/6") is recorded again, under the same key: it repeats its count.
      await recordProgress(deps, log, call, key);
      return { responseId: stored.id, parsed, model: stored.model, standIn: stored.stand_in, mode: stored.output_mode ?? 'text', reused: true };
    }
  }

  if (useFallback) log.info('using the fallback model', { kind: call.kind, attempt, model: requested, instead: ai.model });

  await checkBudget(deps, log, call);

  const format = responseFormat(call.schemas, call.schemaName);
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
  // A first answer uses the endpoint's own sampling. A repair, or a later attempt, asks it to sample:
  // an endpoint that decodes greedily (local servers often do) would otherwise repeat the very
  // answer that could not be used, attempt after attempt.
  const resample = (again: boolean) => (again || attempt > 1 ? { temperature: RESAMPLE_TEMPERATURE } : {});
  const send = async (sendMode: StructuredOutputMode, messages: Message[], again = false): Promise<OpenAI.Chat.ChatCompletion> => {
    enter('waiting');
    try {
      return await ai.withSlot(
        () =>
          ai.openai.chat.completions.create(
            {
              model: requested,
              messages,
              ...resample(again),
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
    const fault = classifyEndpointError(err, failureContext());
    if (fault.kind === 'permanent') throw fault.failure;
    if (fault.kind === 'other') throw fault.error;
    const now = Date.now();
    const decision = outageDecision({
      window: outageWindow(ctx.info.scheduledTimestampMs, ai.outageMinutes, now),
      now,
      attempt,
      cause: fault.cause,
      ...(fault.requestedDelayMs !== undefined ? { requestedDelayMs: fault.requestedDelayMs } : {}),
    });
    throw decision.retry
      ? ApplicationFailure.create({ message: decision.message, type: FailureType.AiUnavailable, nextRetryDelay: decision.delayMs })
      : ApplicationFailure.create({ message: decision.message, type: FailureType.AiUnavailable, nonRetryable: true });
  };

  const started = Date.now();
  /** Stores an answer; the call's answer (`parsed`) with its progress event in the same statement. */
  const store = async (completion: OpenAI.Chat.ChatCompletion, parsed: T | null, repair: boolean) => {
    const message = completion.choices?.[0]?.message;
    const model = completion.model || requested;
    const inputTokens = completion.usage?.prompt_tokens ?? 0;
    const cachedTokens = completion.usage?.prompt_tokens_details?.cached_tokens ?? 0;
    const outputTokens = completion.usage?.completion_tokens ?? 0;
    const costUsd = estimateCost(ai.prices, model, { inputTokens, cachedTokens, outputTokens });
    recordModelCall({ model, inputTokens, cachedTokens, outputTokens, costUsd });
    const row: NewAiResponse = {
      analysisId: call.analysisId,
      version: call.version,
      kind: call.kind,
      attempt,
      callKey: key,
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
    };
    const withProgress = async () => aiResponsesRepository.save(deps.db, row, await substepEvents.modelCallDoneCall(deps.db, progressOf(call, key)));
    const responseId =
      parsed === null
        ? await aiResponsesRepository.save(deps.db, row)
        : await withProgress().catch(async (err: unknown) => {
            // The answer is paid for: keep it even when its progress event cannot be written.
            progressNotRecorded(log, call, err);
            return aiResponsesRepository.save(deps.db, row);
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
      repaired = await send(mode, repairMessages, true);
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
    // A confused model is not waited for like an outage: a few attempts, then the call gives up.
    const limit = call.invalidOutputAttempts ?? INVALID_OUTPUT_ATTEMPTS.call;
    const unusable = await aiResponsesRepository.invalidAttempts(deps.db, keyRef);
    const final = unusable >= limit;
    throw ApplicationFailure.create({
      message: final
        ? `The model gave no usable answer for "${call.kind}" in ${unusable} attempts of two requests each: ${second.problem} (first answer: ${first.problem}). The raw output is kept in ai_responses ${secondStored.responseId}.`
        : `Model output for "${call.kind}" rejected: ${second.problem}, also after one repair request (first answer: ${first.problem}); attempt ${unusable} of ${limit}. The raw output is kept in ai_responses ${secondStored.responseId}.`,
      type: FailureType.InvalidModelOutput,
      nonRetryable: final,
      details: [{ cutOff: second.problem === ANSWER_PROBLEMS.cutOff }],
    });
  } finally {
    clearInterval(heartbeat);
  }
}
