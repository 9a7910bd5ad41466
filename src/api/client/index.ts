import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema.js';

export type { components, operations, paths } from './schema.js';

/**
 * A typed client of the REST API (openapi-fetch over the types `npm run openapi` generates from
 * the OpenAPI document): paths, parameters, bodies and responses are checked by the compiler.
 * `baseUrl` is the service's origin, e.g. http://127.0.0.1:3000 (paths include /api/v2).
 */
export function createApiClient(baseUrl: string, options: { apiKey?: string; fetch?: typeof fetch } = {}): Client<paths> {
  return createClient<paths>({
    baseUrl,
    ...(options.apiKey ? { headers: { Authorization: `Bearer ${options.apiKey}` } } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}
