/**
 * Reads an OpenAI chat completion request body into what the local model needs: the chat history
 * in node-llama-cpp's shape, the generation settings, and the kind of output constraint. Pure, so
 * the rules (what is refused with a 400, and how) are tested without a model.
 */
import { z } from 'zod';
import { toGrammarSchema, type GrammarSchema } from './grammar-schema.js';
import type { ChatHistoryItem } from './llama-types.js';

export const DEFAULT_MAX_TOKENS = 1024;

/** An OpenAI-style client error: the server answers `status` with `{ error: { message, type, param, code } }`. */
export class RequestError extends Error {
  override name = 'RequestError';
  constructor(
    message: string,
    readonly status = 400,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

const textPart = z.looseObject({ type: z.string(), text: z.string().optional() });
const message = z.looseObject({
  role: z.string(),
  content: z.union([z.string(), z.array(textPart), z.null()]).optional(),
});
const body = z.looseObject({
  model: z.string().optional(),
  messages: z.array(message).min(1),
  stream: z.boolean().nullish(),
  n: z.number().int().nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  seed: z.number().int().nullish(),
  tools: z.array(z.unknown()).nullish(),
  response_format: z
    .discriminatedUnion('type', [
      z.looseObject({ type: z.literal('text') }),
      z.looseObject({ type: z.literal('json_object') }),
      z.looseObject({
        type: z.literal('json_schema'),
        json_schema: z.looseObject({ name: z.string().optional(), schema: z.record(z.string(), z.unknown()) }),
      }),
    ])
    .nullish(),
});

export type OutputConstraint = { kind: 'text' } | { kind: 'json_object' } | { kind: 'json_schema'; name: string; schema: GrammarSchema };

export interface ChatRequest {
  /** Ends with an empty model turn: the turn the model writes. */
  history: ChatHistoryItem[];
  /** Asked for, or DEFAULT_MAX_TOKENS; the server also caps it by the room left in the context. */
  maxTokens: number;
  temperature: number | undefined;
  seed: number | undefined;
  output: OutputConstraint;
}

export function parseChatRequest(raw: unknown, defaults: { maxTokens?: number } = {}): ChatRequest {
  const parsed = body.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = issue.path.join('.') || null;
    throw new RequestError(`Invalid request body${param ? ` at '${param}'` : ''}: ${issue.message}`, 400, param);
  }
  const req = parsed.data;
  // Refuse what this server cannot do, as OpenAI refuses unsupported parameters, rather than ignore it.
  if (req.stream) throw new RequestError('stream: true is not supported by this local server; send stream: false', 400, 'stream', 'unsupported_value');
  if (req.n != null && req.n !== 1) throw new RequestError('only n: 1 is supported', 400, 'n', 'unsupported_value');
  if (req.tools?.length) throw new RequestError('tools are not supported by this local server', 400, 'tools', 'unsupported_parameter');

  const history: ChatHistoryItem[] = req.messages.map((m, i) => {
    const text = contentText(m.content, i);
    switch (m.role) {
      case 'system':
      case 'developer':
        return { type: 'system', text };
      case 'user':
        return { type: 'user', text };
      case 'assistant':
        return { type: 'model', response: [text] };
      default:
        throw new RequestError(`messages[${i}].role '${m.role}' is not supported (system, developer, user, assistant)`, 400, `messages.${i}.role`);
    }
  });
  // node-llama-cpp's LlamaChat writes into the last model turn; an assistant message at the end is continued.
  if (history.at(-1)?.type !== 'model') history.push({ type: 'model', response: [] });

  return {
    history,
    maxTokens: req.max_completion_tokens ?? req.max_tokens ?? defaults.maxTokens ?? DEFAULT_MAX_TOKENS,
    temperature: req.temperature ?? undefined,
    seed: req.seed ?? undefined,
    output: outputConstraint(req.response_format),
  };
}

function outputConstraint(format: z.infer<typeof body>['response_format']): OutputConstraint {
  if (!format || format.type === 'text') return { kind: 'text' };
  if (format.type === 'json_object') return { kind: 'json_object' };
  try {
    return { kind: 'json_schema', name: format.json_schema.name ?? 'response', schema: toGrammarSchema(format.json_schema.schema) };
  } catch (err) {
    throw new RequestError(`response_format.json_schema.schema cannot be enforced: ${(err as Error).message}`, 400, 'response_format');
  }
}

function contentText(content: z.infer<typeof message>['content'], index: number): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part, j) => {
      if (part.type !== 'text' || typeof part.text !== 'string') {
        throw new RequestError(`messages[${index}].content[${j}]: only text parts are supported, got '${part.type}'`, 400, `messages.${index}.content`);
      }
      return part.text;
    })
    .join('\n');
}
