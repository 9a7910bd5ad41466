import { ApplicationFailure, Context } from '@temporalio/activity';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { FailureType } from '../src/domain/failures.js';
import type { AnswerSchemas } from '../src/domain/report.js';
import type { Logger } from '../src/logger.js';
import { estimateCostUsd, isStandInModel } from '../src/openai.js';
import { aiResponsesRepository } from '../src/repositories/ai-responses.js';
import type { ActivityDeps } from './types.js';

const HEARTBEAT_EVERY_MS = 5_000;

export type StructuredOutputMode = 'json_schema' | 'json_object' | 'text';

/** One model answer an activity needs. */
export interface ModelCall<T> {
  analysisId: string;
  version: number;
  /** Stored as ai_responses.kind: an insight kind, 'personas', or 'repair:<part>'. */
  kind: string;
  /** The schema's name in the request: letters, digits, _ and -. */
  schemaName: string;
  schemas: AnswerSchemas<T>;
  messages: OpenAI.Chat.ChatCompletionMessageParam[];
  /** A smaller request for the same task: used once after a refusal or a truncated answer. */
  smaller?: () => OpenAI.Chat.ChatCompletionMessageParam[];
}

export interface ModelCallResult<T> {
  responseId: string;
  parsed: T;
  model: string;
  standIn: boolean;
  mode: StructuredOutputMode;
}

/**
 * Maps an endpoint error to what Temporal should do with it. Configuration errors (bad key, unknown
 * model or path, a request the endpoint cannot serve) fail the analysis at once with a message
 * that says what to fix; outages, rate limits and timeouts are retried.
 */
export function toActivityFailure(err: unknown, ctx: { model: string }): Error {
  if (err instanceof OpenAI.APIError && typeof err.status === 'number') {
    const fix: Record<number, string> = {
      400: `The AI endpoint rejected the request (HTTP 400): check that OPENAI_MODEL "${ctx.model}" supports JSON-schema structured output.`,
      401: 'The AI endpoint rejected the API key (HTTP 401): check OPENAI_API_KEY, or point OPENAI_BASE_URL at a local OpenAI-compatible server.',
      403: `The AI endpoint denied access for this API key or model (HTTP 403): check OPENAI_API_KEY and OPENAI_MODEL "${ctx.model}".`,
      404: `The AI endpoint does not know model "${ctx.model}" or the request path (HTTP 404): check OPENAI_MODEL and OPENAI_BASE_URL.`,
      422: `The AI endpoint could not process the request for model "${ctx.model}" (HTTP 422): check OPENAI_MODEL.`,
    };
    const advice = fix[err.status];
    if (advice) return ApplicationFailure.create({ message: advice, type: FailureType.AiNotConfigured, nonRetryable: true });
    const why = err.status === 429 ? 'is rate-limiting requests' : 'failed';
    return ApplicationFailure.create({ message: `The AI endpoint ${why} (HTTP ${err.status}).`, type: FailureType.AiUnavailable });
  }
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return ApplicationFailure.create({ message: 'The AI endpoint did not answer in time.', type: FailureType.AiUnavailable });
  }
  if (err instanceof OpenAI.APIConnectionError) {
    return ApplicationFailure.create({ message: 'The AI endpoint could not be reached.', type: FailureType.AiUnavailable });
  }
  return err instanceof Error ? err : new Error(String(err));
}

function describeInvalidOutput(err: unknown): string {
  if (err instanceof z.ZodError) {
    const issues = err.issues.slice(0, 3).map((i) => `${i.path.map(String).join('.') || '$'}: ${i.message}`);
    return `the output does not match the schema: ${issues.join('; ')}`;
  }
  if (err instanceof SyntaxError) return 'the output is not valid JSON';
  return `the output could not be read (${err instanceof Error ? err.message : String(err)})`;
}

/**
 * One model answer: heartbeats while waiting, stores the raw output with usage and cost in
 * ai_responses, validates it with the lenient schema. Output that cannot be used is stored too
 * (parsed = null) and fails the attempt retryably: the next sample may be fine.
 */
export async function callModel<T>(deps: ActivityDeps, log: Logger, call: ModelCall<T>): Promise<ModelCallResult<T>> {
  const ctx = Context.current();
  const requested = deps.config.OPENAI_MODEL;
  const format = zodResponseFormat(call.schemas.request, call.schemaName, { schemaDefinitions: call.schemas.definitions });
  const started = Date.now();
  const heartbeat = setInterval(() => ctx.heartbeat({ kind: call.kind, waitingSeconds: Math.round((Date.now() - started) / 1000) }), HEARTBEAT_EVERY_MS);
  let completion: OpenAI.Chat.ChatCompletion;
  try {
    completion = await deps.openai.chat.completions.create({ model: requested, messages: call.messages, response_format: format }, { signal: ctx.cancellationSignal });
  } catch (err) {
    if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
    log.warn('model call failed', {
      kind: call.kind,
      model: requested,
      status: err instanceof OpenAI.APIError ? err.status : undefined,
      error: err instanceof Error ? err.message : String(err),
    });
    throw toActivityFailure(err, { model: requested });
  } finally {
    clearInterval(heartbeat);
  }

  const choice = completion.choices[0];
  const raw = choice?.message.content ?? '';
  const model = completion.model || requested;
  const standIn = isStandInModel(model);
  const promptTokens = completion.usage?.prompt_tokens ?? 0;
  const completionTokens = completion.usage?.completion_tokens ?? 0;

  let parsed: T | null = null;
  let problem: string | null = null;
  if (choice?.message.refusal) problem = `the model refused: ${choice.message.refusal}`;
  else if (choice?.finish_reason === 'length') problem = 'the output was cut off at the token limit';
  else {
    try {
      parsed = call.schemas.accept.parse(JSON.parse(raw));
    } catch (err) {
      problem = describeInvalidOutput(err);
    }
  }

  const responseId = await aiResponsesRepository.save(deps.db, {
    analysisId: call.analysisId,
    version: call.version,
    kind: call.kind,
    attempt: ctx.info.attempt,
    model,
    standIn,
    rawOutput: raw,
    parsed: parsed as object | null,
    promptTokens,
    completionTokens,
    totalTokens: completion.usage?.total_tokens ?? promptTokens + completionTokens,
    costUsd: estimateCostUsd(model, promptTokens, completionTokens),
  });
  log.info('model call finished', { kind: call.kind, model, standIn, promptTokens, completionTokens, durationMs: Date.now() - started, responseId, valid: parsed !== null });
  if (parsed === null) {
    throw ApplicationFailure.retryable(
      `Model output for "${call.kind}" rejected: ${problem ?? 'empty output'} (raw output kept in ai_responses ${responseId})`,
      FailureType.InvalidModelOutput,
    );
  }
  return { responseId, parsed, model, standIn, mode: 'json_schema' };
}
