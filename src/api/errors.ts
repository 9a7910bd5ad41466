import { isGrpcServiceError } from '@temporalio/client';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';

/**
 * The one place that decides which error code and HTTP status a failure becomes. Routes throw
 * `ApiError` for outcomes they expect; everything else is classified here, and whatever is not
 * recognised becomes a generic 500 whose details stay in the log.
 */

export type ErrorCode =
  | 'VALIDATION_ERROR'
  | 'NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'METHOD_NOT_ALLOWED'
  | 'REQUEST_TIMEOUT'
  | 'RATE_LIMITED'
  | 'URL_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'REPORT_NOT_READY'
  | 'ANALYSIS_NOT_READY'
  | 'NO_REPORT_TO_REGENERATE'
  | 'ALREADY_FINISHED'
  | 'SERVICE_UNAVAILABLE'
  | 'PDF_UNAVAILABLE'
  | 'INTERNAL_ERROR';

export interface FieldError {
  /** Dotted path into the request part that failed, e.g. `url`, `options.maxPages`; '' for the whole body. */
  path: string;
  message: string;
}

export class ApiError extends Error {
  override name = 'ApiError';

  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    /** Shown to the person using the frontend. */
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static validation(message: string, fields: FieldError[]): ApiError {
    return new ApiError(400, 'VALIDATION_ERROR', message, { fields });
  }

  static notFound(message = 'Nothing exists at this address.'): ApiError {
    return new ApiError(404, 'NOT_FOUND', message);
  }

  static unavailable(cause?: unknown): ApiError {
    return new ApiError(
      503,
      'SERVICE_UNAVAILABLE',
      'The service is temporarily unavailable. Please try again in a moment.',
      undefined,
      { cause },
    );
  }
}

const INTERNAL_MESSAGE = 'Something went wrong on our side. Please try again; if it keeps happening, contact support with the request ID.';

/** One field error per problem; an unknown key is reported at its own path so a form can point at it. */
export function fieldErrors(error: z.core.$ZodError): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...path, key].join('.'), message: 'This field is not supported.' }));
    }
    return [{ path: path.join('.'), message: issue.message }];
  });
}

export function validationError(error: z.core.$ZodError, where = 'request'): ApiError {
  return ApiError.validation(`Some fields of the ${where} are invalid.`, fieldErrors(error));
}

// gRPC status codes (grpc-js is not a direct dependency): the server cannot be reached or did not
// answer in time. Anything else from Temporal is a bug or a state the routes handle themselves.
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

export function isTemporalUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e) && (e.code === GRPC_UNAVAILABLE || e.code === GRPC_DEADLINE_EXCEEDED)) return true;
  }
  return false;
}

// node-postgres and pg-pool errors that mean "no database right now", not "bad query".
const DB_UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P03', '53300']);

export function isDatabaseUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && DB_UNAVAILABLE_CODES.has(code)) return true;
  const message = err instanceof Error ? err.message : '';
  return /timeout exceeded when trying to connect|Connection terminated/i.test(message);
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof z.core.$ZodError) return validationError(err);
  if (err instanceof HTTPException) return fromHttpException(err);
  if (isTemporalUnavailable(err) || isDatabaseUnavailable(err)) return ApiError.unavailable(err);
  return new ApiError(500, 'INTERNAL_ERROR', INTERNAL_MESSAGE, undefined, { cause: err });
}

/** Hono's own middleware reports with HTTPException; keep its status, give it one of our codes. */
function fromHttpException(err: HTTPException): ApiError {
  switch (err.status) {
    case 400:
      return ApiError.validation('The request could not be read.', [{ path: '', message: err.message }]);
    case 401:
      return new ApiError(401, 'UNAUTHORIZED', 'Sign in or provide a valid API key.');
    case 404:
      return ApiError.notFound();
    case 413:
      return new ApiError(413, 'PAYLOAD_TOO_LARGE', 'The request body is too large.');
    case 415:
      // zod-openapi's media-type gate; our own JSON checks normally answer first, with more detail.
      return ApiError.validation('Send the request body as JSON with the header Content-Type: application/json.', [{ path: '', message: err.message }]);
    case 429:
      return new ApiError(429, 'RATE_LIMITED', 'Too many requests. Please wait a moment and try again.');
    case 504:
      // hono/timeout (REQUEST_TIMEOUT_SECONDS); the work may still finish, so reads show the outcome.
      return new ApiError(504, 'REQUEST_TIMEOUT', 'The server took too long to answer. Please try again in a moment.');
    default:
      return new ApiError(500, 'INTERNAL_ERROR', INTERNAL_MESSAGE, undefined, { cause: err });
  }
}
