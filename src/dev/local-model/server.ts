/**
 * A REAL small language model behind an OpenAI-compatible HTTP server of our own — not a stand-in.
 * It runs a GGUF model (SmolLM2-135M-Instruct by default, see install.ts) on the CPU with
 * node-llama-cpp, in this process, and answers like a llama.cpp server with one slot:
 *
 *   GET  /v1/models            -> { object: 'list', data: [{ id: <modelName>, object: 'model', ... }] }
 *   POST /v1/chat/completions  -> an OpenAI chat.completion (non-streaming only)
 *   GET  /health               -> { status: 'ok' }
 *
 * Chat completions:
 *   - messages: system/developer, user and assistant turns with string or text-part content, put
 *     through the model's own chat template (node-llama-cpp matches the GGUF's template; ChatML
 *     for SmolLM2). A trailing assistant message is continued.
 *   - response_format: `json_schema` -> output constrained by a grammar built from the schema
 *     (rewritten by grammar-schema.ts: local $refs inlined, anyOf/nullable rewritten, keywords the
 *     grammar cannot enforce dropped); `json_object` -> any JSON; none/`text` -> free text. The
 *     grammar guarantees syntax and shape, not sense: a 135M model writes poor content.
 *   - max_completion_tokens / max_tokens (default 1024, capped by the room left in the context),
 *     temperature (default 0: greedy, so answers are reproducible), seed.
 *   - finish_reason 'length' when cut at the token limit, else 'stop'; usage from real token counts
 *     (prompt_tokens is the whole templated prompt, as OpenAI counts it).
 *   - `model` in requests is ignored; answers carry the GGUF's file name.
 *   - 400 with an OpenAI-style body (`{ error: { message, type, param, code } }`) for
 *     `stream: true`, n > 1, tools, non-text content, an unusable schema, and a prompt longer than
 *     the context (code 'context_length_exceeded').
 *
 * One slot: requests are served strictly one at a time, in arrival order (parallel calls queue,
 * as with llama.cpp's server started with one slot). A client that disconnects while queued is
 * dropped; one that disconnects mid-generation stops it. The prompt prefix shared with the
 * previous request is reused from the context (the KV cache), as llama.cpp does.
 *
 * Threads default to 1: on two shared cores, two threads crawl (see the platform notes).
 * Seen on the 2-core dev machine, one thread, SmolLM2-135M Q4_1: load 2-3 s; prompt evaluation
 * 55-125 tok/s (slower when the cores are shared; a 1,800-token prompt took 18-31 s); generation
 * 50-70 tok/s on short prompts, ~22-26 tok/s after a 1,800-token prompt, 14-22 tok/s of that under
 * a JSON grammar. Put what requests share (system prompt, pages) first: that prefix is reused.
 *
 * Use:
 *   const files = await ensureLocalModel({ devDir: '.dev', log });          // install.ts
 *   const server = await startLocalModelServer({ ...files, log });
 *   new OpenAI({ baseURL: server.baseUrl, apiKey: 'any' });                  // model: server.modelName
 *   ... server.stats(); await server.stop();
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pLimit from 'p-limit';
import { parseChatRequest, RequestError, type ChatRequest, type OutputConstraint } from './chat-request.js';
import { importNodeLlamaCpp, type Llama, type LlamaChat, type LlamaContextSequence, type LlamaGrammar } from './llama-types.js';

export interface LocalModelServerOptions {
  /** The GGUF file (ensureLocalModel().modelPath). */
  modelPath: string;
  /** node-llama-cpp's entry module (ensureLocalModel().llamaModulePath). */
  llamaModulePath: string;
  /** Default 127.0.0.1: the server is for this machine only. */
  host?: string;
  /** Default 0: a free port, read it from `baseUrl`. */
  port?: number;
  /** CPU threads for evaluation; default 1. */
  threads?: number;
  /** Tokens; default the model's training context, at most 8192. Prompt + answer must fit. */
  contextSize?: number;
  /** When a request names no max_tokens; default 1024. */
  defaultMaxTokens?: number;
  /** The id in /v1/models and in answers; default the GGUF's file name without `.gguf`. */
  modelName?: string;
  /** One line per request (timings, tokens, tokens/s), and the model's own warnings. */
  log?: (line: string) => void;
}

/** What happened to one chat completion request; times are Date.now() values. */
export interface RequestRecord {
  id: string;
  status: number;
  /** When the request body had been read and it joined the queue. */
  queuedAt: number;
  /** When it got the slot (undefined if it never did: refused before, or its client left while queued). */
  startedAt?: number;
  /** When the slot was released (or the request was refused or dropped). */
  finishedAt: number;
  finishReason?: 'stop' | 'length' | 'aborted';
  output?: OutputConstraint['kind'];
  promptTokens: number;
  /** Prompt tokens actually evaluated; fewer than promptTokens when a prefix was reused. */
  promptEvalTokens: number;
  /** From getting the slot to the first generated token: prompt evaluation. */
  promptEvalMs: number;
  completionTokens: number;
  /** From the first generated token to the end. */
  generationMs: number;
}

export interface LocalModelStats {
  /** Chat completion requests answered with a completion (200); the token and time totals are theirs. */
  requests: number;
  promptTokens: number;
  promptEvalTokens: number;
  promptEvalMs: number;
  completionTokens: number;
  generationMs: number;
  /** Waiting for the slot right now. */
  queued: number;
  /** The last 200 chat completion requests, oldest first, refused ones included. */
  recent: RequestRecord[];
}

export interface LocalModelServer {
  /** e.g. http://127.0.0.1:PORT/v1, ready for the openai client's baseURL (any apiKey). */
  baseUrl: string;
  modelName: string;
  contextSize: number;
  /** Time to load the runtime, model and context, in ms. */
  loadMs: number;
  stats(): LocalModelStats;
  /** Stops generation, closes connections, frees the model. */
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;
const MAX_CONTEXT_SIZE = 8192;
const RECENT = 200;

export async function startLocalModelServer(opts: LocalModelServerOptions): Promise<LocalModelServer> {
  const log = opts.log ?? (() => {});
  const loadStarted = Date.now();
  const lib = await importNodeLlamaCpp(opts.llamaModulePath);
  let llama: Llama;
  try {
    llama = await lib.getLlama({
      gpu: false,
      build: 'never',
      progressLogs: false,
      logLevel: 'warn',
      logger: (level, message) => log(`[llama.cpp ${level}] ${message.trim()}`),
    });
  } catch (err) {
    throw new Error(
      `node-llama-cpp found no usable prebuilt binary for ${process.platform}-${process.arch}: ${(err as Error).message}\n` +
        `Fix: remove ${path.dirname(path.dirname(opts.llamaModulePath))} and run again to reinstall it.`,
    );
  }
  const model = await llama.loadModel({ modelPath: opts.modelPath });
  const context = await model.createContext({
    contextSize: opts.contextSize ?? Math.min(model.trainContextSize, MAX_CONTEXT_SIZE),
    threads: opts.threads ?? 1,
    sequences: 1,
  });
  const sequence = context.getSequence();
  // One LlamaChat on the one sequence: each request's history is compared with what the sequence
  // holds, and only the differing suffix is evaluated (prefix reuse).
  const chat = new lib.LlamaChat({ contextSequence: sequence });
  const modelName = opts.modelName ?? path.basename(opts.modelPath).replace(/\.gguf$/i, '');
  const loadMs = Date.now() - loadStarted;
  log(`[local-model] ${modelName} loaded in ${loadMs} ms (context ${context.contextSize} tokens, ${opts.threads ?? 1} thread(s), chat template ${chat.chatWrapper.wrapperName ?? '?'})`);

  const slot = pLimit(1);
  const grammars = new GrammarCache(llama);
  const inFlight = new Set<AbortController>();
  const recent: RequestRecord[] = [];
  const totals = { requests: 0, promptTokens: 0, promptEvalTokens: 0, promptEvalMs: 0, completionTokens: 0, generationMs: 0 };
  let seq = 0;

  const record = (r: RequestRecord) => {
    recent.push(r);
    if (recent.length > RECENT) recent.shift();
    if (r.startedAt === undefined || r.status !== 200) return;
    totals.requests++;
    totals.promptTokens += r.promptTokens;
    totals.promptEvalTokens += r.promptEvalTokens;
    totals.promptEvalMs += r.promptEvalMs;
    totals.completionTokens += r.completionTokens;
    totals.generationMs += r.generationMs;
  };

  const completions = async (req: IncomingMessage, res: ServerResponse, id: string) => {
    const queuedAt = Date.now();
    const rec: RequestRecord = { id, status: 200, queuedAt, finishedAt: queuedAt, promptTokens: 0, promptEvalTokens: 0, promptEvalMs: 0, completionTokens: 0, generationMs: 0 };
    const abort = new AbortController();
    // 'close' on the response before it finished means the client went away.
    res.on('close', () => {
      if (!res.writableFinished) abort.abort(new Error('client disconnected'));
    });
    inFlight.add(abort);
    try {
      const parsed = parseChatRequest(await readJson(req), { maxTokens: opts.defaultMaxTokens });
      rec.output = parsed.output.kind;
      rec.promptTokens = countPromptTokens(chat, model.tokenizer, parsed);
      if (rec.promptTokens >= context.contextSize) {
        throw new RequestError(
          `This model's maximum context length is ${context.contextSize} tokens. However, your messages resulted in ${rec.promptTokens} tokens. Please reduce the length of the messages.`,
          400,
          'messages',
          'context_length_exceeded',
        );
      }
      // Compiled while queued; the queue place is taken now, so requests are served in arrival order.
      const grammarReady = grammars.get(parsed.output);
      grammarReady.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
      const turn = slot(async () => {
        const grammar = await grammarReady;
        if (abort.signal.aborted) return undefined; // left while queued: its turn is skipped
        rec.startedAt = Date.now();
        try {
          return await generate(chat, sequence, parsed, grammar, context.contextSize - rec.promptTokens, abort.signal, rec);
        } finally {
          rec.finishedAt = Date.now();
        }
      });
      // A client that leaves while queued is done with (and recorded) at once, not when its turn comes.
      const leftWhileQueued = new Promise<undefined>((resolve) =>
        abort.signal.addEventListener('abort', () => rec.startedAt === undefined && resolve(undefined), { once: true }),
      );
      const answer = await Promise.race([turn, leftWhileQueued]);
      if (!answer || abort.signal.aborted) {
        rec.status = 499; // nginx's "client closed request": nobody is there to read an answer
        rec.finishReason = 'aborted';
        return;
      }
      rec.finishReason = answer.finishReason;
      sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created: Math.floor(rec.queuedAt / 1000),
        model: modelName,
        system_fingerprint: null,
        choices: [{ index: 0, message: { role: 'assistant', content: answer.content, refusal: null }, finish_reason: answer.finishReason, logprobs: null }],
        usage: { prompt_tokens: rec.promptTokens, completion_tokens: rec.completionTokens, total_tokens: rec.promptTokens + rec.completionTokens },
      });
    } catch (err) {
      if (abort.signal.aborted) {
        rec.status = 499; // the client left during prompt evaluation: LlamaChat throws then
        rec.finishReason = 'aborted';
        return;
      }
      const e = err instanceof RequestError ? err : new RequestError(`local model failed: ${(err as Error).message}`, 500);
      rec.status = e.status;
      sendError(res, e);
    } finally {
      inFlight.delete(abort);
      if (rec.startedAt === undefined) rec.finishedAt = Date.now();
      record(rec);
      log(describe(rec));
    }
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = `${req.method} ${url.pathname.replace(/\/+$/, '')}`;
    if (route === 'POST /v1/chat/completions') {
      void completions(req, res, `chatcmpl-${++seq}-${randomUUID().slice(0, 8)}`);
    } else if (route === 'GET /v1/models') {
      sendJson(res, 200, { object: 'list', data: [modelEntry(modelName, loadStarted)] });
    } else if (route === `GET /v1/models/${modelName}`) {
      sendJson(res, 200, modelEntry(modelName, loadStarted));
    } else if (route === 'GET /health') {
      sendJson(res, 200, { status: 'ok' });
    } else {
      sendError(res, new RequestError(`Unknown route: ${req.method} ${url.pathname}`, 404, null, 'not_found'));
    }
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://${host.includes(':') ? `[${host}]` : host}:${port}/v1`,
    modelName,
    contextSize: context.contextSize,
    loadMs,
    stats: () => ({ ...totals, queued: slot.pendingCount, recent: recent.map((r) => ({ ...r })) }),
    async stop() {
      for (const a of inFlight) a.abort(new Error('server stopping'));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await slot(async () => {}); // everything queued before has now finished or been dropped
      await llama.dispose();
    },
  };
}

interface Answer {
  content: string;
  finishReason: 'stop' | 'length';
}

async function generate(
  chat: LlamaChat,
  sequence: LlamaContextSequence,
  req: ChatRequest,
  grammar: LlamaGrammar | undefined,
  roomInContext: number,
  signal: AbortSignal,
  rec: RequestRecord,
): Promise<Answer | undefined> {
  const meter = { input: sequence.tokenMeter.usedInputTokens, output: sequence.tokenMeter.usedOutputTokens };
  const started = Date.now();
  let firstTokenAt: number | undefined;
  // Never let LlamaChat shift the context (drop history to make room): cap the answer instead.
  const maxTokens = Math.min(req.maxTokens, roomInContext);
  const result = await chat.generateResponse(req.history, {
    maxTokens,
    temperature: req.temperature,
    seed: req.seed,
    grammar,
    signal,
    stopOnAbortSignal: true,
    onToken: () => {
      firstTokenAt ??= Date.now();
    },
  });
  const ended = Date.now();
  rec.promptEvalTokens = sequence.tokenMeter.usedInputTokens - meter.input;
  rec.completionTokens = sequence.tokenMeter.usedOutputTokens - meter.output;
  rec.promptEvalMs = (firstTokenAt ?? ended) - started;
  rec.generationMs = ended - (firstTokenAt ?? ended);
  if (result.metadata.stopReason === 'abort') return undefined;
  return { content: result.response, finishReason: result.metadata.stopReason === 'maxTokens' ? 'length' : 'stop' };
}

/** The whole prompt as the model sees it (chat template included), in tokens. */
function countPromptTokens(chat: LlamaChat, tokenizer: unknown, req: ChatRequest): number {
  return chat.chatWrapper.generateContextState({ chatHistory: req.history }).contextText.tokenize(tokenizer).length;
}

/** Grammars compile in a few ms to a second for big schemas; the pipeline sends the same few schemas again and again. */
class GrammarCache {
  private readonly cache = new Map<string, Promise<LlamaGrammar>>();
  constructor(private readonly llama: Llama) {}

  async get(output: OutputConstraint): Promise<LlamaGrammar | undefined> {
    if (output.kind === 'text') return undefined;
    const key = output.kind === 'json_object' ? 'json' : JSON.stringify(output.schema);
    let grammar = this.cache.get(key);
    if (!grammar) {
      grammar = output.kind === 'json_object' ? this.llama.getGrammarFor('json') : this.llama.createGrammarForJsonSchema(output.schema);
      this.cache.set(key, grammar);
      if (this.cache.size > 64) this.cache.delete(this.cache.keys().next().value!);
    }
    try {
      return await grammar;
    } catch (err) {
      this.cache.delete(key);
      throw new RequestError(`response_format cannot be turned into a grammar: ${(err as Error).message}`, 400, 'response_format');
    }
  }
}

function describe(r: RequestRecord): string {
  const tps = (tokens: number, ms: number) => (ms > 0 ? `${((tokens * 1000) / ms).toFixed(1)} tok/s` : '-');
  if (r.startedAt === undefined) return `[local-model] ${r.id} ${r.status} after ${r.finishedAt - r.queuedAt} ms, not run (${r.status === 499 ? 'client left while queued' : 'refused'})`;
  return (
    `[local-model] ${r.id} ${r.status} ${r.output ?? ''} queued ${r.startedAt - r.queuedAt} ms, ` +
    `prompt ${r.promptTokens} tok (${r.promptEvalTokens} evaluated in ${r.promptEvalMs} ms, ${tps(r.promptEvalTokens, r.promptEvalMs)}), ` +
    `generated ${r.completionTokens} tok in ${r.generationMs} ms (${tps(r.completionTokens, r.generationMs)}), finish ${r.finishReason ?? '-'}`
  );
}

function modelEntry(id: string, created: number) {
  return { id, object: 'model', created: Math.floor(created / 1000), owned_by: 'local' };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new RequestError(`Request body larger than ${MAX_BODY_BYTES} bytes`, 413);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new RequestError('Request body is not valid JSON');
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function sendError(res: ServerResponse, e: RequestError): void {
  const type = e.status >= 500 ? 'server_error' : e.status === 404 ? 'not_found_error' : 'invalid_request_error';
  sendJson(res, e.status, { error: { message: e.message, type, param: e.param, code: e.code } });
}
