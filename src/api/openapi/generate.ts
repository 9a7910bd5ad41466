import type { Client } from '@temporalio/client';
import { loadConfig } from '../../config.js';
import type { Db } from '../../database.js';
import { createLogger } from '../../logger.js';
import { createApp } from '../app.js';
import { openApiDocument } from './document.js';

/** Where `npm run openapi` writes; a test fails when these differ from what the code generates. */
export const CLIENT_FILES = {
  json: new URL('../client/openapi.json', import.meta.url),
  types: new URL('../client/schema.d.ts', import.meta.url),
};

/** Describing the app touches nothing: a database or Temporal call here is a bug. */
function unreachable<T>(name: string): T {
  return new Proxy({}, { get: (_t, prop) => (prop === 'then' ? undefined : () => { throw new Error(`${name} is not used to describe the API`); }) }) as T;
}

/** The app as the service builds it, with nothing behind it: enough to list its routes and describe it. */
export function appWithoutServices() {
  return createApp({
    db: unreachable<Db>('the database'),
    temporal: unreachable<Client>('Temporal'),
    taskQueue: 'openapi',
    logger: createLogger('error'),
    config: loadConfig({}),
  });
}

/** The document exactly as GET /api/v2/openapi.json serves it. */
export function describeApi() {
  return openApiDocument(appWithoutServices());
}
