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

/**
 * What an endpoint error means for the call: a permanent fault fails at once (`failure`); a
 * transient one (down, hanging, throttling, failing) is waited for (`cause`, a phrase for the
 * status: "could not be reached (connection refused; …)"); anything else is not the endpoint's.
 */
export type EndpointFault =
  | { kind: 'permanent'; failure: Error }
  | { kind: 'transient'; cause: string; requestedDelayMs?: number }
  | { kind: 'other'; error: Error };

const TLS_CODE = /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH)/;

/**
 * Why a connection failed, from the socket error the transport raised. Said without the endpoint's
 * address (status readers are not necessarily its operators); the worker's log has it.
 */
function connectionCause(err: unknown): string {
  const code = String((err as { code?: unknown } | undefined)?.code ?? '');
  if (code === 'ECONNREFUSED') return 'could not be reached (connection refused; check that it runs and OPENAI_BASE_URL)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'could not be reached (its host name does not resolve; check OPENAI_BASE_URL)';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') return 'dropped the connection';
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ECONNABORTED') return 'could not be reached (no route, or no answer to connect)';
  if (TLS_CODE.test(code)) return `could not be reached (TLS error ${code})`;
  return 'could not be reached (check that it runs and OPENAI_BASE_URL)';
}

/**
 * Sorts an endpoint error. Configuration errors (bad key, unknown model, no access, no quota, a
 * request the endpoint cannot serve) are permanent, with a message that names the variable to fix;
 * outages, rate limits and timeouts are transient. Permanent messages never carry the endpoint's
 * own error text: that goes to the log.
 */
export function classifyEndpointError(err: unknown, ctx: FailureContext): EndpointFault {
  const { model, modelVariable: variable } = ctx;
  if (err instanceof APIConnectionTimeoutError) {
    return { kind: 'transient', cause: `no answer within ${seconds(ctx.timeoutMs)} (AI_TIMEOUT_SECONDS)` };
  }
  if (err instanceof APIConnectionError) {
    return { kind: 'transient', cause: connectionCause(err.cause) };
  }
  if (!(err instanceof APIError) || typeof err.status !== 'number') return { kind: 'other', error: err instanceof Error ? err : new Error(String(err)) };

  const permanent = (failure: Error): EndpointFault => ({ kind: 'permanent', failure });
  const status = err.status;
  if (status === 401) {
    return permanent(notConfigured('The AI endpoint rejected the API key (HTTP 401): check OPENAI_API_KEY, or point OPENAI_BASE_URL at a local OpenAI-compatible server.'));
  }
  if (status === 403) {
    return permanent(notConfigured(`The AI endpoint denied this API key access to model "${model}" (HTTP 403): check OPENAI_API_KEY and ${variable}.`));
  }
  if (status === 404) {
    return permanent(
      notConfigured(
        `The AI endpoint does not know model "${model}" (HTTP 404): check ${variable}, and that OPENAI_BASE_URL is the API's base address (often ending in /v1).`,
      ),
    );
  }
  if (status === 429) {
    if (err.code === 'insufficient_quota' || err.type === 'insufficient_quota') {
      return permanent(
        ApplicationFailure.create({
          message:
            'The AI account of OPENAI_API_KEY has no quota or credit left (HTTP 429 insufficient_quota): add credit or raise its usage limit, or set OPENAI_API_KEY to a key of another account.',
          type: FailureType.AiQuotaExceeded,
          nonRetryable: true,
        }),
      );
    }
    const delay = retryDelayMs(err.headers);
    return delay === undefined
      ? { kind: 'transient', cause: 'it is rate-limiting requests (HTTP 429)' }
      : { kind: 'transient', cause: `it is rate-limiting requests (HTTP 429) and asked to wait ${seconds(delay)}`, requestedDelayMs: delay };
  }
  if (status === 400 || status === 422) {
    if (CONTEXT_TOO_LONG.test(errorText(err))) {
      return permanent(
        notConfigured(
          `The request is longer than model "${model}" can read (HTTP ${status}): choose a model with a larger context window (${variable}), or analyze fewer pages.`,
        ),
      );
    }
    if (rejectsFormat(err) && ctx.mode !== 'text') {
      const what = ctx.mode === 'json_schema' ? 'JSON-schema output' : 'JSON-object output';
      const fix = ctx.modeConfigured ? 'set OPENAI_STRUCTURED_OUTPUT=auto' : 'set OPENAI_STRUCTURED_OUTPUT=text';
      return permanent(notConfigured(`The AI endpoint does not accept ${what} for model "${model}" (HTTP ${status}): ${fix}, or choose another model (${variable}).`));
    }
    return permanent(notConfigured(`The AI endpoint could not process the request for model "${model}" (HTTP ${status}): check ${variable}.`));
  }
  return { kind: 'transient', cause: `it answered HTTP ${status}${status >= 500 ? ' (a server error)' : ''}` };
}
