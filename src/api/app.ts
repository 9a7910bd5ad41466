import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Logger } from '../logger.js';
import type { ApiDeps, AppEnv } from './context.js';
import { fail } from './envelope.js';
import { ApiError, toApiError } from './errors.js';
import { analysisRoutes } from './routes/analysis.js';
import { healthRoute } from './routes/health.js';
import { API_BASE } from './routes/shared.js';

export type { ApiDeps, AppEnv } from './context.js';

/** An incoming ID is kept only if it is short and cannot break a log line or a header. */
const SANE_REQUEST_ID = /^[\w.:@=+/-]{1,128}$/;

function requestContext(logger: Logger) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const incoming = c.req.header('X-Request-Id');
    const requestId = incoming && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const log = logger.child({ requestId });
    c.set('requestId', requestId);
    c.set('log', log);
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    // Responses built as a raw Response (not through c) miss the header set above.
    if (!c.res.headers.has('X-Request-Id')) c.res.headers.set('X-Request-Id', requestId);
    log.info('request', {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    });
  });
}

function describe(err: unknown): Record<string, unknown> {
  return err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : { value: String(err) };
}

/**
 * The HTTP API. Every response, errors included, is the ApiResponse envelope (report bodies in
 * markdown/html excepted), carries X-Request-Id, and every log line of a request has its requestId.
 */
export function createApp(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('*', requestContext(deps.logger));

  app.onError((err, c) => {
    const apiError = toApiError(err);
    const log = c.get('log') ?? deps.logger;
    if (apiError.status >= 500) {
      // The client gets a generic message and the request ID; the stack stays here.
      const cause = apiError === err ? apiError.cause : err;
      log.error('request failed', { code: apiError.code, error: describe(cause ?? err) });
    }
    return fail(c, apiError);
  });
  app.notFound((c) => fail(c, ApiError.notFound(`There is no ${c.req.method} ${c.req.path} in this API.`)));

  app.route(API_BASE, healthRoute(deps));
  app.route(API_BASE, analysisRoutes(deps));
  return app;
}
