import { zValidator } from '@hono/zod-validator';
import type { MiddlewareHandler, ValidationTargets } from 'hono';
import { createMiddleware } from 'hono/factory';
import { bodyLimit } from 'hono/body-limit';
import type { z } from 'zod';
import type { AppEnv } from './context.js';
import { ApiError, validationError, type FieldError } from './errors.js';

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;
/** Start and regenerate bodies are a URL, a few options and at most 2000 characters of instructions. */
const MAX_BODY_BYTES = 64 * 1024;

const WHERE: Partial<Record<keyof ValidationTargets, string>> = {
  json: 'request body',
  query: 'query string',
  header: 'request headers',
};

/**
 * zod through @hono/zod-validator, failing with our envelope (400 VALIDATION_ERROR with field
 * details) instead of the validator's default body. The hook throws so that app.onError renders it.
 */
export function validate<Target extends keyof ValidationTargets, Schema extends z.ZodType>(
  target: Target,
  schema: Schema,
) {
  return zValidator(target, schema, (result) => {
    if (!result.success) throw validationError(result.error, WHERE[target]);
  });
}

/**
 * The zod-openapi routes' validation hook (the apps' defaultHook): the same envelope as validate().
 */
export function validationHook(result: { success: boolean; target: keyof ValidationTargets; error?: unknown }): void {
  if (!result.success) throw validationError(result.error as z.core.$ZodError, WHERE[result.target]);
}

/** Our bodies are a few levels deep; anything deeper is not a request we could mean. */
const MAX_JSON_DEPTH = 16;
/** C0 controls but tab, line feed and carriage return, and DEL: never meaningful in our fields. */
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** String.prototype.isWellFormed, which the project's TypeScript lib does not declare yet. */
export function isWellFormedText(text: string): boolean {
  return !UNPAIRED_SURROGATE.test(text);
}

/**
 * What no field of ours may hold, whatever its schema: NUL and other control characters (PostgreSQL
 * text and jsonb refuse NUL outright), lone UTF-16 surrogates (`"\ud800"` is valid JSON but not
 * text), and nesting deeper than any request needs. Walks iteratively so depth cannot overflow
 * the stack. Returns the first problem as a field error.
 */
function unacceptableJson(value: unknown): FieldError | undefined {
  const pending: { value: unknown; path: string[] }[] = [{ value, path: [] }];
  while (pending.length > 0) {
    const { value: v, path } = pending.pop()!;
    if (path.length > MAX_JSON_DEPTH) return { path: path.join('.'), message: `Nested more than ${MAX_JSON_DEPTH} levels deep.` };
    const strings = typeof v === 'string' ? [v] : v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : [];
    for (const text of strings) {
      if (CONTROL_CHARACTERS.test(text)) return { path: path.join('.'), message: 'Contains a NUL byte or another control character.' };
      if (!isWellFormedText(text)) return { path: path.join('.'), message: 'Contains an unpaired UTF-16 surrogate, which is not text.' };
    }
    if (Array.isArray(v)) v.forEach((item, i) => pending.push({ value: item, path: [...path, String(i)] }));
    else if (v && typeof v === 'object') for (const [key, item] of Object.entries(v)) pending.push({ value: item, path: [...path, key] });
  }
  return undefined;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Hono's json validator silently validates `{}` when the Content-Type is not JSON, which would
 * tell the client "url is required" when the real problem is how it sent the body. This checks the
 * media type, UTF-8 (invalid bytes are refused, not replaced), the JSON syntax and the characters
 * first, reading a clone so the validator still gets the body.
 * `optional`: a request without a body counts as `{}` (regenerate with defaults).
 */
function requireJsonBody(optional: boolean): MiddlewareHandler<AppEnv> {
  return createMiddleware<AppEnv>(async (c, next) => {
    const contentType = c.req.header('Content-Type');
    const mediaType = contentType?.split(';')[0]?.trim() ?? '';
    const bytes = await c.req.raw.clone().arrayBuffer();
    let text: string;
    try {
      text = UTF8.decode(bytes);
    } catch {
      throw ApiError.validation('The request body is not valid UTF-8 text.', [{ path: '', message: 'Invalid UTF-8 byte sequence.' }]);
    }
    if (optional && text.trim() === '') {
      // Whatever its Content-Type, an empty body means "the defaults": the schema validates `{}`.
      const headers = new Headers(c.req.raw.headers);
      headers.set('Content-Type', 'application/json');
      headers.delete('Content-Length');
      c.req.raw = new Request(c.req.raw, { body: '{}', headers });
      return next();
    }
    if (!JSON_MEDIA_TYPE.test(mediaType)) {
      throw ApiError.validation('Send the request body as JSON with the header Content-Type: application/json.', [
        { path: '', message: `Expected Content-Type application/json, got ${mediaType ? `"${mediaType}"` : 'none'}.` },
      ]);
    }
    const charset = /;\s*charset="?([^";\s]+)/i.exec(contentType ?? '')?.[1];
    if (charset && !/^utf-?8$/i.test(charset)) {
      throw ApiError.validation('Send the request body as UTF-8.', [{ path: '', message: `Unsupported charset "${charset}".` }]);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw ApiError.validation('The request body is not valid JSON.', [{ path: '', message: 'Malformed JSON.' }]);
    }
    const problem = unacceptableJson(parsed);
    if (problem) throw ApiError.validation('Some fields of the request body are invalid.', [problem]);
    return next();
  });
}

const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `The request body must be at most ${MAX_BODY_BYTES / 1024} KB.`);
  },
});

/**
 * Size limit, JSON media type, UTF-8, syntax and characters: each failure a 4xx in the envelope.
 * The route's schema (its OpenAPI request body, see routes/) validates after these.
 */
export function jsonBodyChecks(options: { optional?: boolean } = {}): MiddlewareHandler<AppEnv>[] {
  return [limitBody, requireJsonBody(options.optional ?? false)];
}
