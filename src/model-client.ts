import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type OpenAI from 'openai';
import pLimit from 'p-limit';
import type { Config, STRUCTURED_OUTPUT_SETTINGS } from './config.js';
import { DEFAULT_AI_OUTAGE_MINUTES } from './domain/model-outage.js';
import { mergePrices, type PriceTable } from './domain/pricing.js';
import type { Logger } from './logger.js';
import { createOpenAIClient } from './openai.js';

/** How a request asks for JSON: a strict schema, any JSON object, or nothing (JSON read out of prose). */
export type StructuredOutputMode = 'json_schema' | 'json_object' | 'text';
export type StructuredOutputSetting = (typeof STRUCTURED_OUTPUT_SETTINGS)[number];

/** The AI variables of the config; what is left out takes its documented default. */
export type ModelClientConfig = Pick<Config, 'OPENAI_MODEL'> &
  Partial<
    Pick<
      Config,
      | 'OPENAI_API_KEY'
      | 'OPENAI_BASE_URL'
      | 'OPENAI_FALLBACK_MODEL'
      | 'OPENAI_STRUCTURED_OUTPUT'
      | 'AI_TIMEOUT_SECONDS'
      | 'AI_MAX_CONCURRENCY'
      | 'AI_PRICES'
      | 'AI_BUDGET_USD'
      | 'AI_BUDGET_TOKENS'
      | 'AI_OUTAGE_MINUTES'
    >
  >;

export const DEFAULT_AI_TIMEOUT_SECONDS = 120;
export const DEFAULT_AI_MAX_CONCURRENCY = 4;

export interface SlotOptions {
  /** Stops the wait for a slot (and whatever `send` does with it): a cancelled activity's signal. */
  signal?: AbortSignal;
  /** Called when the slot is acquired, just before `send` runs: the request's own time starts here. */
  onAcquired?: () => void;
}

/**
 * The AI endpoint as a worker process sees it: one per process, shared by every activity, created
 * with the worker and handed to the activities in their dependencies.
 *
 * - `openai`: the client (no retries of its own: Temporal retries, visibly). Its requests go through
 *   node:http rather than the global fetch, whose 300 s header and body timeouts would cut off a
 *   slow local model before AI_TIMEOUT_SECONDS; the time limit is the per-request `timeoutMs`.
 * - `withSlot`: at most AI_MAX_CONCURRENCY requests in flight. A call waiting here is not timed
 *   out (the timeout starts with the request) and stops waiting when its signal aborts.
 * - the structured-output mode detected per model (OPENAI_STRUCTURED_OUTPUT=auto), so one probe
 *   per process and model is enough.
 */
export interface ModelClient {
  readonly openai: OpenAI;
  /** The endpoint's base URL: for logs only, never for messages people see. */
  readonly baseURL: string;
  readonly model: string;
  /** Used instead of `model` from an activity's third attempt on. */
  readonly fallbackModel: string | undefined;
  readonly structuredOutput: StructuredOutputSetting;
  /** How long one request may take once sent (AI_TIMEOUT_SECONDS), in ms. */
  readonly timeoutMs: number;
  readonly maxConcurrency: number;
  /** Built-in prices with AI_PRICES on top. */
  readonly prices: PriceTable;
  /** How long a call waits for an endpoint that is down, hanging, throttling or failing (AI_OUTAGE_MINUTES). */
  readonly outageMinutes: number;
  /** Per analysis; absent limits are not enforced. */
  readonly budget: { readonly usd?: number; readonly tokens?: number };
  /** Requests holding a slot now. */
  readonly inFlight: number;
  /** Calls waiting for a slot now. */
  readonly waiting: number;
  /** Runs `send` once one of the AI_MAX_CONCURRENCY slots is free, and frees it after. */
  withSlot<R>(send: () => Promise<R>, options?: SlotOptions): Promise<R>;
  /** The mode `auto` settled on for `model` at this endpoint, if it has. */
  knownMode(model: string): StructuredOutputMode | undefined;
  rememberMode(model: string, mode: StructuredOutputMode): void;
  /** Closes idle keep-alive connections (tests; a worker simply exits). */
  close(): void;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

export function createModelClient(config: ModelClientConfig, logger?: Logger): ModelClient {
  const timeoutSeconds = config.AI_TIMEOUT_SECONDS ?? DEFAULT_AI_TIMEOUT_SECONDS;
  const timeoutMs = Math.max(1, Math.round(timeoutSeconds * 1000));
  const maxConcurrency = config.AI_MAX_CONCURRENCY ?? DEFAULT_AI_MAX_CONCURRENCY;
  const transport = createNodeFetch();
  const openai = createOpenAIClient(config, { timeoutMs, fetch: transport.fetch });
  const limit = pLimit(maxConcurrency);
  const modes = new Map<string, StructuredOutputMode>();
  const key = (model: string) => `${openai.baseURL}\u0000${model}`;

  return {
    openai,
    baseURL: openai.baseURL,
    model: config.OPENAI_MODEL,
    fallbackModel: config.OPENAI_FALLBACK_MODEL,
    structuredOutput: config.OPENAI_STRUCTURED_OUTPUT ?? 'auto',
    timeoutMs,
    maxConcurrency,
    prices: mergePrices(config.AI_PRICES),
    outageMinutes: config.AI_OUTAGE_MINUTES ?? DEFAULT_AI_OUTAGE_MINUTES,
    budget: {
      ...(config.AI_BUDGET_USD !== undefined ? { usd: config.AI_BUDGET_USD } : {}),
      ...(config.AI_BUDGET_TOKENS !== undefined ? { tokens: config.AI_BUDGET_TOKENS } : {}),
    },
    get inFlight() {
      return limit.activeCount;
    },
    get waiting() {
      return limit.pendingCount;
    },

    withSlot<R>(send: () => Promise<R>, options: SlotOptions = {}): Promise<R> {
      const { signal } = options;
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      // A call cancelled while queued gives up its place at once; when its turn comes, the slot is
      // handed straight on (the queued function returns without sending anything).
      const queued = limit(async () => {
        if (signal?.aborted) throw abortReason(signal);
        options.onAcquired?.();
        return send();
      });
      if (!signal) return queued;
      return new Promise<R>((resolve, reject) => {
        const onAbort = () => reject(abortReason(signal));
        signal.addEventListener('abort', onAbort, { once: true });
        queued.then(
          (value) => {
            signal.removeEventListener('abort', onAbort);
            resolve(value);
          },
          (err: unknown) => {
            signal.removeEventListener('abort', onAbort);
            reject(err);
          },
        );
      });
    },

    knownMode: (model) => modes.get(key(model)),
    rememberMode(model, mode) {
      if (modes.get(key(model)) === mode) return;
      modes.set(key(model), mode);
      logger?.info('structured output mode detected', { model, mode, baseUrl: openai.baseURL });
    },
    close: transport.close,
  };
}

// ---------------------------------------------------------------------------------------------
// Transport: a fetch over node:http(s), with no time limit of its own.

type FetchInit = NonNullable<Parameters<typeof fetch>[1]>;

function requestBody(body: FetchInit['body']): Buffer | Readable | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ReadableStream) return Readable.fromWeb(body as import('node:stream/web').ReadableStream);
  throw new TypeError(`Unsupported request body: ${Object.prototype.toString.call(body)}`);
}

function decoded(res: http.IncomingMessage): Readable {
  switch (String(res.headers['content-encoding'] ?? '').toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return res.pipe(zlib.createGunzip());
    case 'deflate':
      return res.pipe(zlib.createInflate());
    case 'br':
      return res.pipe(zlib.createBrotliDecompress());
    default:
      return res;
  }
}

/**
 * Node's global fetch (undici) stops waiting for response headers after 300 s and between body
 * chunks after 300 s, whatever the caller's timeout: a non-streamed answer from a slow local model
 * can take longer. This fetch sets no limit of its own; the openai client's timeout and the abort
 * signal end a request.
 */
export function createNodeFetch(): { fetch: typeof fetch; close(): void } {
  const proxyEnv = process.env.NODE_USE_ENV_PROXY ? { proxyEnv: process.env } : {};
  const agents = {
    'http:': new http.Agent({ keepAlive: true, ...proxyEnv }),
    'https:': new https.Agent({ keepAlive: true, ...proxyEnv }),
  };
  const nodeFetch = (input: Parameters<typeof fetch>[0], init: FetchInit = {}): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const signal = init.signal ?? undefined;
      if (signal?.aborted) return reject(abortReason(signal));
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return reject(new TypeError(`Unsupported protocol ${url.protocol}`));
      const method = (init.method ?? 'GET').toUpperCase();
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, name) => {
        headers[name] = value;
      });
      let body: Buffer | Readable | undefined;
      try {
        body = requestBody(init.body);
      } catch (err) {
        return reject(err);
      }
      if (Buffer.isBuffer(body)) headers['content-length'] = String(body.length);

      const lib = url.protocol === 'https:' ? https : http;
      const req = lib.request(url, { method, headers, agent: agents[url.protocol] });
      const onAbort = () => req.destroy(abortReason(signal!) as Error);
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      req.once('error', (err) => {
        done();
        reject(err);
      });
      req.once('response', (res) => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const item of [value ?? []].flat()) responseHeaders.append(name, item);
        }
        const status = res.statusCode ?? 502;
        const empty = method === 'HEAD' || status === 204 || status === 205 || status === 304;
        res.once('close', done);
        if (empty) res.resume();
        let stream: Readable | undefined;
        if (!empty) {
          stream = decoded(res);
          if (stream !== res) {
            responseHeaders.delete('content-encoding');
            responseHeaders.delete('content-length');
            res.once('error', (err) => stream!.destroy(err));
          }
        }
        resolve(
          new Response(stream ? (Readable.toWeb(stream) as unknown as ReadableStream) : null, {
            status: status < 200 || status > 599 ? 502 : status,
            statusText: res.statusMessage ?? '',
            headers: responseHeaders,
          }),
        );
      });
      if (body instanceof Readable) body.pipe(req);
      else req.end(body);
    });
  return {
    fetch: nodeFetch as typeof fetch,
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}
