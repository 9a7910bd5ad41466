import { ApplicationFailure } from '@temporalio/activity';
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { FailureType } from '../src/domain/failures.js';
import type { StructuredOutputMode } from '../src/model-client.js';


export interface FailureContext {
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
export function rejectsFormat(err: unknown): boolean {
  if (!(err instanceof APIError)) return false;
  if (err.status === 422) return true;
  return err.status === 400 && /response_format|json_schema|json_object|schema|structured/i.test(errorText(err));
}

/** A rejection of this one schema (OpenAI's strict-mode rules), not of json_schema mode as such. */
export function rejectsThisSchema(err: unknown): boolean {
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

