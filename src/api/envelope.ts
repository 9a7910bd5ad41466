import type { Context, TypedResponse } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import packageJson from '../../package.json' with { type: 'json' };
import type { AppEnv } from './context.js';
import type { ApiError } from './errors.js';

/** The contract's response shape: every response, success or error, 2xx to 5xx. */
export interface ApiResponse<T> {
  success: boolean;
  data?: T;
  error?: { code: string; message: string; details?: unknown };
  metadata: { requestId: string; timestamp: string; version: string };
}

/**
 * A Response that @hono/zod-openapi's typed handlers accept for any status they declare: the
 * document, not the handler's return type, is the contract, checked against real answers by tests.
 */
export type ApiReply = Response & TypedResponse<never, never, never>;

export function reply(res: Response): ApiReply {
  return res as ApiReply;
}

/** The build that answered; the API's own version is in the path (/api/v2). */
export const API_VERSION: string = packageJson.version;

function metadata(c: Context<AppEnv>): ApiResponse<never>['metadata'] {
  return { requestId: c.get('requestId'), timestamp: new Date().toISOString(), version: API_VERSION };
}

export function ok<T>(c: Context<AppEnv>, data: T, status: ContentfulStatusCode = 200): ApiReply {
  const body: ApiResponse<T> = { success: true, data, metadata: metadata(c) };
  return reply(c.json(body, status));
}

/** `data` is for the rare error that still has a payload worth reading, e.g. a failed health report. */
export function fail(c: Context<AppEnv>, error: ApiError, data?: unknown): ApiReply {
  const body: ApiResponse<unknown> = {
    success: false,
    ...(data === undefined ? {} : { data }),
    error: {
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
    },
    metadata: metadata(c),
  };
  return reply(c.json(body, error.status));
}
