import { planAnswer } from './stand-in-kit/answer.js';
import { completion, simulatedFailure, startChatServer, type ChatRequest, type StandInLogger } from './stand-in-kit/http.js';
import { SchemaFiller } from './stand-in-kit/schema.js';

/**
 * LOCAL STAND-IN for an OpenAI-compatible endpoint: the cooperative one. It is NOT an AI model. It
 * fills the requested JSON schema mechanically with text copied from the prompt's passages, so
 * `npm run dev -- --stand-in-ai` and the plumbing tests can run the whole pipeline without a model.
 * Its model name `local-stand-in` marks every response, and the product labels such reports as
 * written by a stand-in.
 *
 * It reads prompts generically, as any model would (src/dev/stand-in-kit/prompt.ts): a line
 * `[<id>] <text>` in a user message is a passage; every other line is instructions or headers,
 * which it never copies. It imports no product code and follows no rule written for the
 * product's checker, so passing through it proves plumbing, not quality: quality claims are
 * tested against src/dev/misbehaving-ai.ts, which makes the mistakes real models make.
 *
 * What it answers (src/dev/stand-in-kit/schema.ts):
 *   - strings: whole passage sentences, verbatim; label-like keys (name, role, title, theme, tone,
 *     segment, channel, ...) get short capitalised phrases of passages, distinct within a response
 *     and varied with the request (a re-ask gets others; labels the prompt lists as taken are
 *     avoided); keys ending in `url` get the URL of the page the sibling text came from;
 *   - arrays of string enums (evidence, passage IDs): 1-3 values of the enum, first the IDs of the
 *     passages the sibling strings came from;
 *   - minItems/maxItems, const, enum, nullable (the non-null branch), integer/number/boolean.
 *   - json_schema: that schema. json_object, or no response_format (text): the schema written after
 *     "JSON schema:" in the prompt, else a generic `{text, evidence}` object (`{}` without
 *     passages); text mode answers that JSON as plain content.
 * Deterministic: every choice is seeded by a hash of the request.
 *
 * Routes: POST /v1/chat/completions (non-streaming), GET /v1/models. Test controls: failNext,
 * replyNext, setLatency, lastRequest, received.
 */

export const STAND_IN_MODEL = 'local-stand-in';

type ReceivedRequest = { model?: string; messages?: { role: string; content: unknown }[]; response_format?: unknown; max_tokens?: number };

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
  lastRequest(): ReceivedRequest | undefined;
  /** Every chat completion request body received, in order. */
  received(): ReceivedRequest[];
  stop(): Promise<void>;
}

/** The cooperative answer's content for a request: the filled schema as JSON. */
function answerContent(request: ChatRequest): string {
  const plan = planAnswer(request);
  return JSON.stringify(new SchemaFiller(plan.schema, plan.prompt, plan.seed).fillRoot());
}

export async function startStandInAi(opts: { port?: number; host?: string; logger?: StandInLogger } = {}): Promise<StandInAi> {
  let latencyMs = 0;
  const failures: number[] = [];
  const cannedReplies: string[] = [];
  const who = 'local stand-in AI';

  const server = await startChatServer({
    host: opts.host,
    port: opts.port,
    model: STAND_IN_MODEL,
    who,
    logger: opts.logger,
    async answer(request) {
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      const failure = failures.shift();
      if (failure !== undefined) {
        opts.logger?.info(`${who}: simulated failure`, { status: failure });
        return simulatedFailure(failure, who);
      }
      return completion(request, STAND_IN_MODEL, { content: cannedReplies.shift() ?? answerContent(request) });
    },
  });

  return {
    baseUrl: server.baseUrl,
    requests: server.requests,
    failNext(n, status = 500) {
      for (let i = 0; i < n; i++) failures.push(status);
    },
    replyNext(content, n = 1) {
      for (let i = 0; i < n; i++) cannedReplies.push(content);
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    lastRequest: () => server.received().at(-1),
    received: server.received,
    stop: server.stop,
  };
}
