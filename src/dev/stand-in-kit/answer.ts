/**
 * STAND-IN KIT (not an AI model): what a chat request asks for and the JSON a stand-in answers
 * with. Node built-ins only; no product code.
 *
 *   - `response_format: {type: 'json_schema', json_schema: {schema}}`: that schema;
 *   - `{type: 'json_object'}` or no response_format (text): the JSON object written after a line
 *     such as "... JSON schema:" in a message, if there is one; otherwise a generic object
 *     `{ "text": <a passage sentence>, "evidence": [<its passage ID>] }` (or `{}` when the prompt
 *     has no passages). Text mode answers the same JSON as plain content.
 */

import { hash } from './hash.js';
import type { ChatRequest } from './http.js';
import { readPrompt, type Prompt } from './prompt.js';
import type { Schema } from './schema.js';

export type OutputMode = 'json_schema' | 'json_object' | 'text';

export interface AnswerPlan {
  mode: OutputMode;
  /** The schema to fill (a generic one when the request gives none). */
  schema: Schema;
  /** Whether the schema came from the request (response_format or the prompt text). */
  schemaGiven: boolean;
  prompt: Prompt;
  /** Seeds every choice: a hash of the messages and the response format. */
  seed: number;
}

export function requestSeed(request: ChatRequest): number {
  return hash(JSON.stringify([request.messages ?? [], request.response_format ?? null]));
}

function genericSchema(prompt: Prompt): Schema {
  if (prompt.byId.size === 0) return { type: 'object', properties: {}, required: [], additionalProperties: false };
  return {
    type: 'object',
    properties: { text: { type: 'string' }, evidence: { type: 'array', minItems: 1, maxItems: 1, items: { type: 'string', enum: [...prompt.byId.keys()] } } },
    required: ['text', 'evidence'],
    additionalProperties: false,
  };
}

/** The schema inside a JSON object found in the prompt: the object itself, or its `schema` / `json_schema.schema`. */
function schemaOf(found: Record<string, unknown>): Schema | null {
  if ('type' in found || 'properties' in found || '$ref' in found || 'anyOf' in found) return found;
  const inner = (found.json_schema as { schema?: unknown } | undefined)?.schema ?? found.schema;
  return inner && typeof inner === 'object' && !Array.isArray(inner) ? (inner as Schema) : null;
}

export function planAnswer(request: ChatRequest): AnswerPlan {
  const prompt = readPrompt(request.messages);
  const seed = requestSeed(request);
  const format = request.response_format as { type?: string; json_schema?: { schema?: unknown } } | undefined;
  const given = format?.json_schema?.schema;
  if (format?.type === 'json_schema' && given && typeof given === 'object' && !Array.isArray(given)) {
    return { mode: 'json_schema', schema: given as Schema, schemaGiven: true, prompt, seed };
  }
  const mode: OutputMode = format?.type === 'json_object' ? 'json_object' : format?.type === 'json_schema' ? 'json_schema' : 'text';
  const inText = prompt.schemaInText ? schemaOf(prompt.schemaInText) : null;
  return { mode, schema: inText ?? genericSchema(prompt), schemaGiven: inText !== null, prompt, seed };
}
