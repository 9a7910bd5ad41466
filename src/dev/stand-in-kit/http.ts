/**
 * STAND-IN KIT (not an AI model): the HTTP side shared by the local stand-ins for an
 * OpenAI-compatible endpoint. A plain node:http server on 127.0.0.1 (port 0 by default) with
 * `GET /v1/models` and `POST /v1/chat/completions` (non-streaming), OpenAI-shaped completions with
 * `usage` token estimates, and OpenAI-shaped error bodies. Node built-ins only; no product code.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequest {
  model?: string;
  messages?: { role: string; content: unknown }[];
  response_format?: unknown;
  max_tokens?: number;
  [key: string]: unknown;
}

export interface ChatReply {
  status: number;
  body: unknown;
}

export interface StandInLogger {
  info(message: string, meta?: Record<string, unknown>): unknown;
}

export interface ChatServer {
  /** e.g. http://127.0.0.1:PORT/v1, ready for the openai client's baseURL. */
  baseUrl: string;
  /** Chat completion requests received so far, failed and unreadable ones included. */
  requests(): number;
  /** Every chat completion request body read, in order. */
  received(): ChatRequest[];
  /** Idempotent. */
  stop(): Promise<void>;
}

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export interface OpenAiErrorFields {
  type?: string;
  code?: string | null;
  param?: string | null;
}

/** An error as OpenAI writes it: `{ error: { message, type, param, code } }`. */
export function apiError(status: number, message: string, fields: OpenAiErrorFields = {}): ChatReply {
  return {
    status,
    body: { error: { message, type: fields.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error'), param: fields.param ?? null, code: fields.code ?? null } },
  };
}

/** The error OpenAI would send for `status`, marked as simulated by `who`. */
export function simulatedFailure(status: number, who: string): ChatReply {
  const kinds: Record<number, [string, string | null, string]> = {
    400: ['invalid_request_error', null, 'Bad request'],
    401: ['invalid_request_error', 'invalid_api_key', 'Incorrect API key provided'],
    403: ['invalid_request_error', 'unsupported_country_region_territory', 'Access denied'],
    404: ['invalid_request_error', 'model_not_found', 'The model does not exist or you do not have access to it'],
    429: ['requests', 'rate_limit_exceeded', 'Rate limit reached'],
  };
  const [type, code, text] = kinds[status] ?? (status >= 500 ? ['server_error', null, 'The server had an error'] : ['invalid_request_error', null, 'Bad request']);
  return apiError(status, `${text} (simulated failure from the ${who}).`, { type, code });
}

/** A chat completion as OpenAI shapes it, with token estimates. */
export function completion(
  request: ChatRequest,
  model: string,
  message: { content: string | null; refusal?: string | null },
  finishReason: 'stop' | 'length' = 'stop',
): ChatReply {
  const promptTokens = estimateTokens(JSON.stringify(request.messages ?? []));
  const completionTokens = estimateTokens(message.content ?? message.refusal ?? '');
  return {
    status: 200,
    body: {
      id: `chatcmpl-${model}-${Date.now().toString(36)}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: message.content, refusal: message.refusal ?? null },
          finish_reason: finishReason,
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    },
  };
}

async function readJson(req: IncomingMessage): Promise<ChatRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the body is not a JSON object');
  return parsed as ChatRequest;
}

function send(res: ServerResponse, reply: ChatReply): void {
  const json = JSON.stringify(reply.body);
  res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

export async function startChatServer(opts: {
  host?: string;
  port?: number;
  /** The one model `GET /v1/models` lists. */
  model: string;
  /** How errors and logs name this server, e.g. "local stand-in AI". */
  who: string;
  logger?: StandInLogger;
  answer(request: ChatRequest): ChatReply | Promise<ChatReply>;
}): Promise<ChatServer> {
  const host = opts.host ?? '127.0.0.1';
  let count = 0;
  const bodies: ChatRequest[] = [];

  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method === 'GET' && path === '/v1/models') {
        send(res, { status: 200, body: { object: 'list', data: [{ id: opts.model, object: 'model', created: 0, owned_by: 'local-stand-in' }] } });
        return;
      }
      if (req.method !== 'POST' || path !== '/v1/chat/completions') {
        send(res, apiError(404, `The ${opts.who} has no route ${req.method} ${path}.`, { code: 'unknown_url' }));
        return;
      }
      count++;
      const body = await readJson(req);
      bodies.push(body);
      if (body.stream === true) {
        send(res, apiError(400, `The ${opts.who} does not stream; send stream: false.`, { param: 'stream', code: 'unsupported_value' }));
        return;
      }
      send(res, await opts.answer(body));
    })().catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) send(res, apiError(400, `The ${opts.who} could not read the request: ${message}`));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}/v1`;
  opts.logger?.info(`${opts.who} listening (a stand-in, not a real AI model)`, { baseUrl });
  let stopping: Promise<void> | undefined;

  return {
    baseUrl,
    requests: () => count,
    received: () => [...bodies],
    // Idempotent: a test's afterAll may stop what the test already stopped.
    stop: () =>
      (stopping ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      })),
  };
}
