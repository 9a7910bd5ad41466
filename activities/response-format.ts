import { zodResponseFormat } from 'openai/helpers/zod';
import type { AnswerSchemas } from '../src/domain/report.js';

type ResponseFormat = ReturnType<typeof zodResponseFormat>;
type JsonSchema = { definitions?: Record<string, { items?: object }> } & Record<string, unknown>;

/**
 * Converting a request's zod schema to the JSON schema sent as `response_format` took ~1.5 ms of worker
 * CPU per model call (most of what zod cost per analysis), while requests of one shape differ only
 * in the passage-ID enum. So each shape (and name) is converted once, and a call gets that JSON with
 * its own passage IDs in the `passage_ids` definition; the rest is shared and never changed.
 */
const converted = new Map<string, ResponseFormat>();

/** What the request sends as `response_format` for a strict schema. */
export function responseFormat(schemas: AnswerSchemas<unknown>, name: string): ResponseFormat {
  const key = `${name}\u0000${schemas.shape}`;
  let format = converted.get(key);
  if (!format) converted.set(key, (format = zodResponseFormat(schemas.request, name, { schemaDefinitions: schemas.definitions })));
  const schema = format.json_schema.schema as JsonSchema;
  const ids = schema.definitions?.passage_ids;
  // A request that cites nothing (a summary alone) has no passage_ids in its schema.
  if (!schemas.passageIds || !ids?.items) return format;
  return {
    ...format,
    json_schema: {
      ...format.json_schema,
      schema: { ...schema, definitions: { ...schema.definitions, passage_ids: { ...ids, items: { ...ids.items, enum: [...schemas.passageIds] } } } },
    },
  };
}
