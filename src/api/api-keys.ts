import { bearerAuth } from 'hono/bearer-auth';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './context.js';

/**
 * `Authorization: Bearer <key>` with one of API_KEYS (constant-time comparison by hono). A
 * malformed header is refused like a missing one, so every refusal is 401 UNAUTHORIZED.
 */
export function apiKeyAuth(keys: readonly string[]): MiddlewareHandler<AppEnv> {
  const unauthorized = () => new Response(null, { status: 401 });
  return bearerAuth({ token: [...keys], invalidAuthenticationHeader: { message: unauthorized } });
}
