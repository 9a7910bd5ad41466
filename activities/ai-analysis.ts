import { ApplicationFailure, Context } from '@temporalio/activity';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import type { Corpus } from '../src/domain/corpus.js';
import { FailureType } from '../src/domain/failures.js';
import {
  ANALYST_SYSTEM_PROMPT,
  formatPagesForPrompt,
  insightInstructions,
  insightSchemas,
  languageLine,
  outputLanguage,
} from '../src/domain/insights.js';
import type { Logger } from '../src/logger.js';
import { estimateCostUsd, isStandInModel } from '../src/openai.js';
import { aiResponsesRepository } from '../src/repositories/ai-responses.js';
import { loadAnalysis, type LoadedAnalysis } from './load-analysis.js';
import { trackAttempt } from './tracking.js';
import type { ActivityDeps, InsightInput } from './types.js';

const HEARTBEAT_EVERY_MS = 5_000;

export interface AnalysisForPrompt {
  id: string;
  url: string;
  domain: string;
  language: string;
  personaCount: number;
  corpus: Corpus;
}

/** What the prompts need from an analysis; one without cleaned content cannot be analysed (not retryable). */
export function analysisForPrompt(analysis: LoadedAnalysis): AnalysisForPrompt {
  const { corpus } = analysis;
  if (!corpus || corpus.pages.length === 0) {
    throw ApplicationFailure.nonRetryable(`Analysis ${analysis.id} has no cleaned content to analyse.`, FailureType.NoContent);
  }
  return {
    id: analysis.id,
    url: analysis.url,
    domain: analysis.domain,
    // The requested language wins over the detected one.
    language: outputLanguage(analysis.options.language ?? analysis.language ?? corpus.language),
    personaCount: analysis.options.personaCount,
    corpus,
  };
}

/** The lines of every user prompt that name the site, the output language and the user's instructions. */
export function siteHeader(analysis: AnalysisForPrompt, instructions?: string | null): string[] {
  return [
    `Company website: ${analysis.url} (${analysis.domain})`,
    languageLine(analysis.language),
    ...(instructions
      ? [`Instructions from the person who requested this version (follow them unless they break the rules above): ${instructions}`]
      : []),
  ];
}

/** The site's pages in the prompt format convention (see src/domain/insights.ts); always last in the prompt. */
export function pagesSection(analysis: AnalysisForPrompt): string[] {
  return ['', 'The website pages:', formatPagesForPrompt(analysis.corpus.pages)];
}

export interface StructuredCall<T> {
  analysisId: string;
  version: number;
  /** Stored as ai_responses.kind. */
  kind: string;
  /** The schema's name in the request: letters, digits, _ and -. */
  schemaName: string;
  /** Validates the output; may be more lenient than `requestSchema`. */
  schema: z.ZodType<T>;
  /** What the model is asked to produce; defaults to `schema`. */
  requestSchema?: z.ZodType;
  messages: OpenAI.Chat.ChatCompletionMessageParam[];
}

export interface StructuredResult<T> {
  responseId: string;
  parsed: T;
  model: string;
  standIn: boolean;
}

/**
 * Maps an endpoint error to what Temporal should do with it. Configuration errors (bad key, unknown
 * model or path, a request the endpoint cannot serve) fail the analysis at once with a message
 * that says what to fix; outages, rate limits and timeouts are retried.
 *
 * The messages reach the API (the analysis's error, a step's last error), so they name the
 * variable to check but never the endpoint's address or its own error text (which may echo a
 * masked key or an organization id); the caller logs those.
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
    return ApplicationFailure.create({ message: `The AI endpoint ${why} (HTTP ${err.status}); the call will be retried.`, type: FailureType.AiUnavailable });
  }
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return ApplicationFailure.create({ message: 'The AI endpoint did not answer in time; the call will be retried.', type: FailureType.AiUnavailable });
  }
  if (err instanceof OpenAI.APIConnectionError) {
    return ApplicationFailure.create({ message: 'The AI endpoint could not be reached; the call will be retried.', type: FailureType.AiUnavailable });
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** Why `$parseRaw` refused the output, in a sentence (at most three schema issues). */
function describeInvalidOutput(err: unknown): string {
  if (err instanceof z.ZodError) {
    const issues = err.issues.slice(0, 3).map((i) => `${i.path.map(String).join('.') || '$'}: ${i.message}`);
    return `the output does not match the schema: ${issues.join('; ')}`;
  }
  if (err instanceof SyntaxError) return 'the output is not valid JSON';
  return `the output could not be read (${err instanceof Error ? err.message : String(err)})`;
}

/**
 * One strict JSON-schema chat completion: heartbeats while waiting, stores the raw output with
 * usage and cost, and validates it. Output that is not valid JSON for the schema is stored too
 * (parsed = null, for debugging) and fails the attempt retryably: the next sample may be fine.
 *
 * The schema sent and the parser are the openai package's own (`zodResponseFormat`): every
 * property required, nullable instead of optional (an optional property fails here, before any
 * request), objects closed. The call goes through `chat.completions.create` with that format and
 * then its parser, rather than `chat.completions.parse`, because `parse` throws on invalid output
 * without handing back the completion, and its raw text and token usage must be stored.
 */
export async function requestStructured<T>(deps: ActivityDeps, log: Logger, call: StructuredCall<T>): Promise<StructuredResult<T>> {
  const ctx = Context.current();
  const requested = deps.config.OPENAI_MODEL;
  const accepted = zodResponseFormat(call.schema, call.schemaName);
  const asked = call.requestSchema ? zodResponseFormat(call.requestSchema, call.schemaName) : accepted;
  const started = Date.now();
  const heartbeat = setInterval(() => ctx.heartbeat({ kind: call.kind, waitingSeconds: Math.round((Date.now() - started) / 1000) }), HEARTBEAT_EVERY_MS);
  let completion: OpenAI.Chat.ChatCompletion;
  try {
    completion = await deps.openai.chat.completions.create(
      { model: requested, messages: call.messages, response_format: asked },
      { signal: ctx.cancellationSignal },
    );
  } catch (err) {
    // A cancelled analysis aborts the request; report the cancellation, not the abort.
    if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
    // Where and what exactly failed goes to the log only: the failure's message is shown to people.
    log.warn('model call failed', {
      kind: call.kind,
      model: requested,
      baseUrl: deps.openai.baseURL,
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
  else if (choice?.finish_reason === 'content_filter') problem = 'the output was stopped by the content filter';
  else {
    try {
      parsed = accepted.$parseRaw(raw);
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
  log.info('model call finished', {
    kind: call.kind,
    model,
    standIn,
    promptTokens,
    completionTokens,
    durationMs: Date.now() - started,
    responseId,
    valid: parsed !== null,
  });
  if (parsed === null) {
    throw ApplicationFailure.retryable(
      `Model output for "${call.kind}" rejected: ${problem ?? 'empty output'} (raw output kept in ai_responses ${responseId})`,
      FailureType.InvalidModelOutput,
    );
  }
  return { responseId, parsed, model, standIn };
}

export function createAiAnalysisActivities(deps: ActivityDeps) {
  return {
    /** One insight call of `ai_analysis`; returns the ai_responses id for the report step. */
    async analyzeInsight(input: InsightInput): Promise<string> {
      const loaded = await loadAnalysis(deps, input.analysisId);
      return trackAttempt(deps, { analysisId: input.analysisId, version: input.version, step: 'ai_analysis' }, async (log) => {
        const analysis = analysisForPrompt(loaded);
        const user = [`Task: ${insightInstructions[input.kind]}`, ...siteHeader(analysis, input.instructions), ...pagesSection(analysis)].join('\n');
        const result = await requestStructured(deps, log, {
          analysisId: input.analysisId,
          version: input.version,
          kind: input.kind,
          schemaName: `insight_${input.kind}`,
          schema: insightSchemas[input.kind] as z.ZodType<object>,
          messages: [
            { role: 'system', content: ANALYST_SYSTEM_PROMPT },
            { role: 'user', content: user },
          ],
        });
        return result.responseId;
      });
    },
  };
}
