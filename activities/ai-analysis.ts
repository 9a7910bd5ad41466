import { ApplicationFailure, Context } from '@temporalio/activity';
import OpenAI from 'openai';
import type { z } from 'zod';
import { analysisOptionsSchema } from '../src/domain/requests.js';
import type { Corpus } from '../src/domain/corpus.js';
import { FailureType } from '../src/domain/failures.js';
import {
  ANALYST_SYSTEM_PROMPT,
  formatPagesForPrompt,
  insightInstructions,
  insightSchemas,
  languageLine,
  outputLanguage,
  toStrictJsonSchema,
} from '../src/domain/insights.js';
import type { Logger } from '../src/logger.js';
import { estimateCostUsd, isStandInModel } from '../src/openai.js';
import { aiResponsesRepository } from '../src/repositories/ai-responses.js';
import { trackAttempt } from './tracking.js';
import type { ActivityDeps, InsightInput } from './types.js';

const HEARTBEAT_EVERY_MS = 5_000;

/** Retryable: the endpoint was down, slow or rate-limiting; a later attempt may succeed. */
export const AI_UNAVAILABLE = 'AiUnavailable';

export interface AnalysisForPrompt {
  id: string;
  url: string;
  domain: string;
  language: string;
  personaCount: number;
  corpus: Corpus;
}

/** The analysis row as the prompts need it; bad input (missing row, no content) is not retryable. */
export async function loadAnalysisForPrompt(deps: ActivityDeps, analysisId: string): Promise<AnalysisForPrompt> {
  const row = await deps.db
    .selectFrom('analyses')
    .select(['id', 'url', 'domain', 'options', 'corpus', 'language'])
    .where('id', '=', analysisId)
    .executeTakeFirst();
  if (!row) throw ApplicationFailure.nonRetryable(`Analysis ${analysisId} does not exist`, FailureType.AnalysisNotFound);
  const corpus = row.corpus as Corpus | null;
  if (!corpus || corpus.pages.length === 0) {
    throw ApplicationFailure.nonRetryable(`Analysis ${analysisId} has no cleaned content to analyse`, FailureType.NoContent);
  }
  const options = analysisOptionsSchema.safeParse(row.options);
  return {
    id: row.id,
    url: row.url,
    domain: row.domain,
    // The requested language wins over the detected one.
    language: outputLanguage((options.success ? options.data.language : undefined) ?? row.language ?? corpus.language),
    personaCount: options.success ? options.data.personaCount : 3,
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
 */
export function toActivityFailure(err: unknown, ctx: { model: string; baseUrl: string }): Error {
  if (err instanceof OpenAI.APIError && typeof err.status === 'number') {
    const detail = err.message.replace(/\s+/g, ' ').slice(0, 300);
    const fix: Record<number, string> = {
      400: `The AI endpoint rejected the request. Check that model "${ctx.model}" supports JSON-schema structured output.`,
      401: `The AI endpoint at ${ctx.baseUrl} refused the API key. Set OPENAI_API_KEY, or point OPENAI_BASE_URL at a local OpenAI-compatible server.`,
      403: `The AI endpoint at ${ctx.baseUrl} denied access for this API key or model.`,
      404: `The AI endpoint at ${ctx.baseUrl} does not know model "${ctx.model}" or the path. Check OPENAI_MODEL and OPENAI_BASE_URL.`,
      422: `The AI endpoint could not process the request for model "${ctx.model}".`,
    };
    const advice = fix[err.status];
    if (advice) {
      return ApplicationFailure.create({
        message: `${advice} (HTTP ${err.status}: ${detail})`,
        type: FailureType.AiNotConfigured,
        nonRetryable: true,
      });
    }
    return ApplicationFailure.create({ message: `The AI endpoint failed (HTTP ${err.status}): ${detail}`, type: AI_UNAVAILABLE });
  }
  if (err instanceof OpenAI.APIConnectionError) {
    // Includes APIConnectionTimeoutError.
    return ApplicationFailure.create({ message: `The AI endpoint at ${ctx.baseUrl} could not be reached: ${err.message}`, type: AI_UNAVAILABLE });
  }
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * One strict JSON-schema chat completion: heartbeats while waiting, stores the raw output with
 * usage and cost, and validates it. Output that is not valid JSON for the schema is stored too
 * (parsed = null, for debugging) and fails the attempt retryably: the next sample may be fine.
 */
export async function requestStructured<T>(deps: ActivityDeps, log: Logger, call: StructuredCall<T>): Promise<StructuredResult<T>> {
  const ctx = Context.current();
  const requested = deps.config.OPENAI_MODEL;
  const started = Date.now();
  const heartbeat = setInterval(() => ctx.heartbeat({ kind: call.kind, waitingSeconds: Math.round((Date.now() - started) / 1000) }), HEARTBEAT_EVERY_MS);
  let completion: OpenAI.Chat.ChatCompletion;
  try {
    completion = await deps.openai.chat.completions.create(
      {
        model: requested,
        messages: call.messages,
        response_format: {
          type: 'json_schema',
          json_schema: { name: call.schemaName, strict: true, schema: toStrictJsonSchema(call.requestSchema ?? call.schema) },
        },
      },
      { signal: ctx.cancellationSignal },
    );
  } catch (err) {
    // A cancelled analysis aborts the request; report the cancellation, not the abort.
    if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
    throw toActivityFailure(err, { model: requested, baseUrl: deps.openai.baseURL });
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
      const result = call.schema.safeParse(JSON.parse(raw));
      if (result.success) parsed = result.data;
      else problem = `the output does not match the schema: ${result.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '$'}: ${i.message}`).join('; ')}`;
    } catch {
      problem = 'the output is not valid JSON';
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
      return trackAttempt(deps, { analysisId: input.analysisId, version: input.version, step: 'ai_analysis' }, async (log) => {
        const analysis = await loadAnalysisForPrompt(deps, input.analysisId);
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
