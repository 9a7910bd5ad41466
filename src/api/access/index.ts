import { createMiddleware } from 'hono/factory';
import type { ApiDeps, AppEnv } from '../context.js';
import { ApiError } from '../errors.js';
import { clientAddress, trustedProxies } from './client-ip.js';
import { databaseKeyStore, keyChecker, type Caller, type KeyStore } from './keys.js';
import { consume, postgresRateLimits, type Bucket, type RateLimits } from './rate-limit.js';

export type { Caller, KeyStore } from './keys.js';
export { memoryRateLimits, type RateLimits } from './rate-limit.js';

/** Start, regenerate, cancel and delete: the requests that start or change work. */
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function bucketOf(method: string): Bucket {
  return WRITE_METHODS.has(method) ? 'writes' : 'reads';
}

/**
 * Who may call the API and how often, for every route under /api/v2 but /health:
 * 1. the caller is recognised from `Authorization: Bearer` (an API_KEYS entry or a stored key);
 * 2. one request is counted against the caller's allowance: by key when a valid one was shown,
 *    else by client address, so failed guesses count against the guesser's address;
 * 3. a key is demanded when any exists (API_KEYS, or any row in api_keys, revoked ones included:
 *    revoking the last key must not open the API), for writes always, for reads unless
 *    API_READS_OPEN. 401 UNAUTHORIZED for a missing or unknown key, 403 FORBIDDEN for a revoked one.
 */
export function apiAccess(deps: ApiDeps) {
  const { config } = deps;
  const store: KeyStore = deps.access?.keys ?? databaseKeyStore(deps.db, deps.logger);
  const limits: RateLimits = deps.access?.rateLimits ?? postgresRateLimits(deps.db, config);
  const identify = keyChecker(config.API_KEYS, store);
  const isTrusted = trustedProxies(config.TRUSTED_PROXIES);

  const keysExist = async (caller: Caller) =>
    config.API_KEYS.length > 0 || caller.kind === 'key' || caller.kind === 'revoked' || (await store.anyExists());

  return createMiddleware<AppEnv>(async (c, next) => {
    // CORS preflights carry no credentials by design; the cors middleware has answered them already.
    if (c.req.method === 'OPTIONS') return next();
    const caller = await identify(c.req.header('Authorization'));
    const address = clientAddress(c, isTrusted);
    c.set('caller', caller);
    c.set('clientAddress', address);

    const bucket = bucketOf(c.req.method);
    const decision = await consume(limits, bucket, caller.kind === 'key' ? `key:${caller.id}` : `ip:${address}`);
    for (const [name, value] of Object.entries(decision.headers)) c.header(name, value);
    if (!decision.allowed) {
      c.get('log').info('rate limited', { bucket, client: caller.kind === 'key' ? { keyId: caller.id } : { address } });
      throw new ApiError(429, 'RATE_LIMITED', `Too many requests. Please wait ${decision.headers['Retry-After']} s and try again.`, {
        retryAfterSeconds: Number(decision.headers['Retry-After']),
      });
    }

    const needsKey = (bucket === 'writes' || !config.API_READS_OPEN) && (await keysExist(caller));
    if (caller.kind === 'revoked' && needsKey) {
      throw new ApiError(403, 'FORBIDDEN', 'This API key has been revoked. Ask for a new one.');
    }
    if (caller.kind !== 'key' && needsKey) {
      c.header('WWW-Authenticate', caller.kind === 'anonymous' ? 'Bearer' : 'Bearer error="invalid_token"');
      throw new ApiError(
        401,
        'UNAUTHORIZED',
        caller.kind === 'anonymous'
          ? 'This request needs an API key: send it as Authorization: Bearer <key>.'
          : 'This API key is not valid. Check that it was copied whole.',
      );
    }
    if (caller.kind === 'key') c.get('log').debug('api key accepted', { keyId: caller.id });
    return next();
  });
}
