import { zValidator } from '@hono/zod-validator';
import type { MiddlewareHandler, ValidationTargets } from 'hono';
import { createMiddleware } from 'hono/factory';
import { bodyLimit } from 'hono/body-limit';
import type { z } from 'zod';
import type { AppEnv } from './context.js';
import { ApiError, validationError } from './errors.js';

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
 * Hono's json validator silently validates `{}` when the Content-Type is not JSON, which would
 * tell the client "url is required" when the real problem is how it sent the body. This checks the
 * media type and the JSON syntax first, reading a clone so the validator still gets the body.
 * `optional`: a request without a body counts as `{}` (regenerate with defaults).
 */
function requireJsonBody(optional: boolean): MiddlewareHandler<AppEnv> {
  return createMiddleware<AppEnv>(async (c, next) => {
    const contentType = c.req.header('Content-Type');
    const mediaType = contentType?.split(';')[0]?.trim() ?? '';
    const text = await c.req.raw.clone().text();
    if (optional && text.trim() === '') {
      if (JSON_MEDIA_TYPE.test(mediaType)) c.req.raw = new Request(c.req.raw, { body: '{}' });
      return next();
    }
    if (!JSON_MEDIA_TYPE.test(mediaType)) {
      throw ApiError.validation('Send the request body as JSON with the header Content-Type: application/json.', [
        { path: '', message: `Expected Content-Type application/json, got ${mediaType ? `"${mediaType}"` : 'none'}.` },
      ]);
    }
    try {
      JSON.parse(text);
    } catch {
      throw ApiError.validation('The request body is not valid JSON.', [{ path: '', message: 'Malformed JSON.' }]);
    }
    return next();
  });
}

const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `The request body must be at most ${MAX_BODY_BYTES / 1024} KB.`);
  },
});

/** Size limit, JSON media type and syntax, then the schema: each failure a 4xx in the envelope. */
export function jsonBody<Schema extends z.ZodType>(schema: Schema, options: { optional?: boolean } = {}) {
  return [limitBody, requireJsonBody(options.optional ?? false), validate('json', schema)] as const;
}
