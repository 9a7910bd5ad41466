import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { findPlaceholder } from '../domain/quality.js';

/**
 * LOCAL STAND-IN for an OpenAI-compatible endpoint. It is not an AI model: it fills the requested
 * JSON schema mechanically with sentences and phrases copied from the prompt, so tests and the
 * offline dev mode can run the whole pipeline without a model. Its reports say so (the model name
 * `local-stand-in` marks every response, and the renderers print a notice).
 *
 * It reads prompts by the convention documented in src/domain/insights.ts:
 *   `=== PAGE <url> ===` / `Title: <title>` / text ... `=== END PAGES ===`,
 *   `Names already taken: a; b`, `Roles already taken: a; b`.
 * It fills the strict schemas openai's zodResponseFormat emits (`$ref`s into `definitions`
 * included). A property named `quote` gets a sentence copied verbatim from the page that its sibling
 * `sourceUrl` names, so the quality check can verify the evidence. Output is deterministic: the
 * same request yields the same response.
 *
 * Routes: POST /v1/chat/completions (non-streaming), GET /v1/models. Test controls: failNext,
 * replyNext, setLatency, lastRequest.
 */

export const STAND_IN_MODEL = 'local-stand-in';

export interface StandInAi {
  /** e.g. http://127.0.0.1:PORT/v1, ready for the openai client's baseURL. */
  baseUrl: string;
  /** Chat completion requests received so far, failed ones included. */
  requests(): number;
  /** The next `n` chat completion requests fail with `status` (default 500) and an OpenAI-style error body. */
  failNext(n: number, status?: number): void;
  /** The next `n` chat completion requests answer with `content` as is (to test invalid model output). */
  replyNext(content: string, n?: number): void;
  /** Wait this long before answering each chat completion request (to test heartbeats and cancellation). */
  setLatency(ms: number): void;
  /** The body of the last chat completion request, to check what a prompt contained. */
  lastRequest(): { model?: string; messages?: { role: string; content: unknown }[]; response_format?: unknown } | undefined;
  stop(): Promise<void>;
}

interface StandInLogger {
  info(message: string, meta?: Record<string, unknown>): unknown;
}

interface PromptPage {
  url: string;
  title: string;
  sentences: string[];
}

interface PromptFacts {
  pages: PromptPage[];
  phrases: string[];
  sentences: string[];
  urls: string[];
  takenNames: string[];
  takenRoles: string[];
}

type Schema = { [key: string]: unknown };

// ---------------------------------------------------------------------------------------------
// Reading the prompt

const MIN_SENTENCE_WORDS = 5;
const MAX_SENTENCE_WORDS = 40;
const STOP_PHRASES = new Set(['this', 'that', 'these', 'there', 'their', 'with', 'what', 'when', 'your', 'from', 'und', 'oder', 'wir', 'sie', 'ihr', 'ihre', 'unsere', 'wenn', 'mehr', 'title', 'page', 'write']);

function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

function usable(text: string): boolean {
  return findPlaceholder(text) === null && !/=== |https?:\/\//.test(text);
}

/** Whole sentences; for text without sentence punctuation, windows of ten words (still verbatim). */
function sentencesOf(text: string): string[] {
  const flat = text.replace(/\s+/g, ' ').trim();
  const sentences = flat
    .split(/(?<=[.!?])\s+(?=[\p{Lu}\p{N}"„“])/u)
    .map((s) => s.trim())
    .filter((s) => /[.!?]$/.test(s) && words(s).length >= MIN_SENTENCE_WORDS && words(s).length <= MAX_SENTENCE_WORDS)
    .filter(usable);
  if (sentences.length > 0) return sentences;
  const all = words(flat);
  const windows: string[] = [];
  for (let i = 0; i + MIN_SENTENCE_WORDS <= all.length && windows.length < 20; i += 10) {
    const window = all.slice(i, i + 10).join(' ');
    if (usable(window)) windows.push(window);
  }
  return windows;
}

/** Capitalised word runs ("Structural Engineering", "Steuerrecht"): short, text-derived labels. */
function phrasesOf(text: string): string[] {
  const found = text.match(/\p{Lu}[\p{L}\p{N}&'’-]+(?:[ -]\p{Lu}[\p{L}\p{N}&'’-]+){0,3}/gu) ?? [];
  return found
    .map((p) => p.replace(/[-’']+$/, ''))
    .filter((p) => p.length >= 4 && p.length <= 48 && !STOP_PHRASES.has(p.toLowerCase()) && usable(p));
}

function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: string; content?: unknown };
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content)) {
      return m.content.map((part: { type?: string; text?: string }) => (part.type === 'text' ? (part.text ?? '') : '')).join('\n');
    }
  }
  return '';
}

function listAfter(prompt: string, label: string): string[] {
  const line = new RegExp(`^${label}:(.*)$`, 'm').exec(prompt)?.[1] ?? '';
  return line
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
}

function readPrompt(prompt: string): PromptFacts {
  const pages: PromptPage[] = [];
  const pagesPart = prompt.split('=== END PAGES ===')[0] ?? '';
  const blocks = pagesPart.split(/^=== PAGE (\S+) ===$/m);
  // split with a capture group: [before, url1, body1, url2, body2, ...]
  for (let i = 1; i + 1 < blocks.length; i += 2) {
    const url = blocks[i] ?? '';
    const lines = (blocks[i + 1] ?? '').replace(/^\n/, '').split('\n');
    const title = lines[0]?.startsWith('Title:') ? lines.shift()!.slice('Title:'.length).trim() : '';
    pages.push({ url, title, sentences: sentencesOf(lines.join('\n')) });
  }
  const bodyText = pages.length ? pages.flatMap((p) => p.sentences).join(' ') : prompt;
  const titlePhrases = pages.flatMap((p) => p.title.split(/\s+[|–—:·-]\s+/)).map((t) => t.trim()).filter((t) => t.length >= 4 && t.length <= 48 && usable(t));
  const phrases = [...new Set([...titlePhrases, ...phrasesOf(bodyText).filter((p) => p.includes(' ')), ...phrasesOf(bodyText)])];
  const sentences = pages.length ? pages.flatMap((p) => p.sentences) : sentencesOf(prompt);
  const urls = pages.length ? pages.map((p) => p.url) : [...new Set(prompt.match(/https?:\/\/[^\s"')<>]+/g) ?? [])];
  return {
    pages: pages.filter((p) => p.sentences.length > 0),
    phrases: phrases.length ? phrases : ['Core Offering', 'Main Audience', 'Key Benefit', 'Service Team'],
    sentences: sentences.length ? sentences : ['The site gives little text to work with here.'],
    urls,
    takenNames: listAfter(prompt, 'Names already taken'),
    takenRoles: listAfter(prompt, 'Roles already taken'),
  };
}

// ---------------------------------------------------------------------------------------------
// Filling a JSON schema

/** FNV-1a: a small stable hash, so choices depend only on the request. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function pick<T>(items: readonly T[], n: number): T {
  return items[n % items.length]!;
}

function decodePointerToken(token: string): string {
  let decoded = token;
  try {
    decoded = decodeURIComponent(token);
  } catch {
    // not URI-encoded: use it as written
  }
  return decoded.replace(/~1/g, '/').replace(/~0/g, '~');
}

const SHORT_FIELD = /name$|^role$|title|segment|theme|tone|size|industr|model$|^channels?$/i;
const ROMAN = ['II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X'];

class SchemaFiller {
  /** Short labels used so far, per property name: items of one array get distinct names. */
  private readonly used = new Map<string, Set<string>>();

  constructor(
    private readonly root: Schema,
    private readonly facts: PromptFacts,
    private readonly seed: number,
  ) {
    for (const n of facts.takenNames) this.usedFor('name').add(n.toLowerCase());
    for (const r of facts.takenRoles) this.usedFor('role').add(r.toLowerCase());
  }

  private usedFor(key: string): Set<string> {
    const k = key.toLowerCase();
    if (!this.used.has(k)) this.used.set(k, new Set());
    return this.used.get(k)!;
  }

  /**
   * Follows a local `$ref` (`#/definitions/x`, `#/$defs/x`, or any pointer into the document) to
   * the schema it names. Pointer tokens are URI-decoded, then JSON-pointer-unescaped (~1 is /,
   * ~0 is ~), as openai's zodResponseFormat writes them for its `schemaDefinitions`. A ref that
   * points nowhere, or round in a circle, reads as an empty schema.
   */
  private resolve(schema: Schema, seen: ReadonlySet<string> = new Set()): Schema {
    const ref = schema.$ref;
    if (typeof ref !== 'string' || !ref.startsWith('#')) return schema;
    if (seen.has(ref)) return {};
    let node: unknown = this.root;
    for (const token of ref.slice(1).split('/').filter(Boolean)) {
      const key = decodePointerToken(token);
      node = node && typeof node === 'object' && Object.hasOwn(node, key) ? (node as Schema)[key] : undefined;
    }
    return this.resolve(node && typeof node === 'object' ? (node as Schema) : {}, new Set([...seen, ref]));
  }

  fill(schemaIn: Schema, key: string, path: string, page?: PromptPage): unknown {
    const schema = this.resolve(schemaIn);
    const n = this.seed + hash(path);
    if ('const' in schema) return schema.const;
    if (Array.isArray(schema.enum)) return pick(schema.enum, n);
    const variants = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
    if (Array.isArray(variants)) {
      const nonNull = variants.find((v) => this.resolve(v).type !== 'null') ?? variants[0] ?? {};
      return this.fill(nonNull, key, path, page);
    }
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    const type = types.find((t) => t !== 'null') ?? types[0];
    switch (type) {
      case 'object':
        return this.fillObject(schema, path);
      case 'array':
        return this.fillArray(schema, key, path, page);
      case 'string':
        return this.fillString(key, n, page);
      case 'integer':
        return typeof schema.minimum === 'number' ? Math.ceil(schema.minimum) : 3;
      case 'number':
        return typeof schema.minimum === 'number' ? schema.minimum : 3;
      case 'boolean':
        return n % 2 === 0;
      case 'null':
        return null;
      default:
        return this.fillString(key, n, page);
    }
  }

  private fillObject(schema: Schema, path: string): Record<string, unknown> {
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    // Evidence objects: choose the page first, so the quote comes from the page its URL names.
    const page = 'quote' in props && this.facts.pages.length ? pick(this.facts.pages, this.seed + hash(path)) : undefined;
    return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, this.fill(v, k, `${path}.${k}`, page)]));
  }

  private fillArray(schema: Schema, key: string, path: string, page?: PromptPage): unknown[] {
    const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
    const max = typeof schema.maxItems === 'number' ? schema.maxItems : Math.max(min, 3);
    const count = Math.min(Math.max(Math.min(3, max), min, 1), max);
    const items = (schema.items ?? {}) as Schema;
    return Array.from({ length: count }, (_, i) => this.fill(items, key, `${path}[${i}]`, page));
  }

  private fillString(key: string, n: number, page?: PromptPage): string {
    if (key === 'quote') {
      const source = page ?? (this.facts.pages.length ? pick(this.facts.pages, n) : undefined);
      return source ? pick(source.sentences, n) : pick(this.facts.sentences, n);
    }
    if (/url$/i.test(key)) return page?.url ?? (this.facts.urls.length ? pick(this.facts.urls, n) : 'https://stand-in.invalid/');
    if (SHORT_FIELD.test(key)) return this.distinctLabel(key, n);
    return pick(this.facts.sentences, n);
  }

  /** A text-derived label not used before for this property; "<label> II" once labels run out. */
  private distinctLabel(key: string, n: number): string {
    const used = this.usedFor(key);
    const { phrases } = this.facts;
    for (let round = 0; round <= ROMAN.length; round++) {
      for (let i = 0; i < phrases.length; i++) {
        const base = pick(phrases, n + i);
        const label = round === 0 ? base : `${base} ${ROMAN[round - 1]}`;
        if (!used.has(label.toLowerCase())) {
          used.add(label.toLowerCase());
          return label;
        }
      }
    }
    return `${pick(phrases, n)} ${n}`;
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function completionContent(body: Record<string, unknown>): string {
  const format = body.response_format as { type?: string; json_schema?: { name?: string; schema?: Schema } } | undefined;
  const prompt = lastUserText(body.messages);
  if (format?.type === 'json_schema' && format.json_schema?.schema) {
    const schema = format.json_schema.schema;
    const facts = readPrompt(prompt);
    const filler = new SchemaFiller(schema, facts, hash(`${format.json_schema.name ?? ''}\n${prompt}`));
    return JSON.stringify(filler.fill(schema, '', '$'));
  }
  if (format?.type === 'json_object') return JSON.stringify({ note: 'Written by a local stand-in, not a real AI model.' });
  return 'This reply comes from a local stand-in, not a real AI model.';
}

function errorBody(status: number): { error: { message: string; type: string; param: null; code: string | null } } {
  const kinds: Record<number, [string, string | null, string]> = {
    401: ['invalid_request_error', 'invalid_api_key', 'Incorrect API key provided'],
    403: ['invalid_request_error', 'unsupported_country_region_territory', 'Access denied'],
    404: ['invalid_request_error', 'model_not_found', 'The model does not exist or you do not have access to it'],
    429: ['requests', 'rate_limit_exceeded', 'Rate limit reached'],
  };
  const [type, code, text] = kinds[status] ?? (status >= 500 ? ['server_error', null, 'The server had an error'] : ['invalid_request_error', null, 'Bad request']);
  return { error: { message: `${text} (simulated failure from the local stand-in AI).`, type, param: null, code } };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

export async function startStandInAi(opts: { port?: number; host?: string; logger?: StandInLogger } = {}): Promise<StandInAi> {
  const host = opts.host ?? '127.0.0.1';
  let requestCount = 0;
  let latencyMs = 0;
  let lastBody: Record<string, unknown> | undefined;
  const failures: number[] = [];
  const cannedReplies: string[] = [];

  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method === 'GET' && path === '/v1/models') {
        send(res, 200, { object: 'list', data: [{ id: STAND_IN_MODEL, object: 'model', created: 0, owned_by: 'local-stand-in' }] });
        return;
      }
      if (req.method !== 'POST' || path !== '/v1/chat/completions') {
        send(res, 404, { error: { message: `The local stand-in AI has no route ${req.method} ${path}`, type: 'invalid_request_error', param: null, code: null } });
        return;
      }
      requestCount++;
      const body = await readJson(req);
      lastBody = body;
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      const failure = failures.shift();
      if (failure !== undefined) {
        opts.logger?.info('local stand-in AI: simulated failure', { status: failure });
        send(res, failure, errorBody(failure));
        return;
      }
      const content = cannedReplies.shift() ?? completionContent(body);
      const promptTokens = estimateTokens(JSON.stringify(body.messages ?? []));
      const completionTokens = estimateTokens(content);
      send(res, 200, {
        id: `chatcmpl-stand-in-${requestCount}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: STAND_IN_MODEL,
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
        usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      });
    })().catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) send(res, 400, { error: { message: `local stand-in AI could not read the request: ${message}`, type: 'invalid_request_error', param: null, code: null } });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}/v1`;
  let stopping: Promise<void> | undefined;
  opts.logger?.info('local stand-in AI listening (not a real AI model)', { baseUrl });

  return {
    baseUrl,
    requests: () => requestCount,
    failNext(n, status = 500) {
      for (let i = 0; i < n; i++) failures.push(status);
    },
    replyNext(content, n = 1) {
      for (let i = 0; i < n; i++) cannedReplies.push(content);
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    lastRequest: () => lastBody as ReturnType<StandInAi['lastRequest']>,
    // Idempotent: a test's afterAll may stop what the test already stopped.
    stop: () =>
      (stopping ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      })),
  };
}
