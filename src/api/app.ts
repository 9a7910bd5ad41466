import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { PatternRouter } from 'hono/router/pattern-router';
import { secureHeaders } from 'hono/secure-headers';
import { timeout } from 'hono/timeout';
import type { Logger } from '../logger.js';
import { apiAccess } from './access/index.js';
import type { ApiDeps, AppEnv } from './context.js';
import { fail } from './envelope.js';
import { ApiError, toApiError } from './errors.js';
import { analysisRoutes } from './routes/analysis.js';
import { eventsRoutes } from './routes/events.js';
import { healthRoute } from './routes/health.js';
import { isWellFormedText, validationHook } from './validation.js';
import { isEventStream, isPublicDescription, mountApiDescription } from './openapi/document.js';
import { API_BASE } from './routes/shared.js';
import { webPage } from '../web/static.js';
import { apiTelemetry } from '../telemetry/api-metrics.js';

export type { ApiDeps, AppEnv } from './context.js';

/**
 * Every log line of a request carries its ID (hono's request-id middleware keeps an incoming
 * X-Request-Id only when it is at most 255 of [A-Za-z0-9_=-], else makes a UUID, and echoes it).
 */
function requestLog(logger: Logger) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const requestId = c.get('requestId');
    const log = logger.child({ requestId });
    c.set('log', log);
    const started = performance.now();
    await next();
    // Responses built as a raw Response (not through c) miss the header the middleware set.
    if (!c.res.headers.has('X-Request-Id')) c.res.headers.set('X-Request-Id', requestId);
    log.info('request', {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    });
  });
}

/**
 * A refused request whose body was not (fully) read leaves bytes on the connection; Node would
 * have to drain them before the next request, and a pooling client (Node's fetch) then sees its
 * next request fail on a dropped connection. Closing after an error on a request with a body is
 * the clean way: the client opens a fresh connection.
 */
const closeAfterRefusedBody = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  const hasBody = (c.req.header('Content-Length') ?? '0') !== '0' || c.req.header('Transfer-Encoding') !== undefined;
  if (hasBody && c.res.status >= 400) c.res.headers.set('Connection', 'close');
});

/** C0 controls and DEL, once percent-decoded; a path or query holding them is never one of ours. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

function decodeParts(text: string): string[] | undefined {
  try {
    return text.split(/[/?&=]/).map((part) => decodeURIComponent(part.replace(/\+/g, ' ')));
  } catch {
    return undefined;
  }
}

/** Malformed percent-encoding or control characters in the path or query: 400 before any route runs. */
const saneRequestTarget = createMiddleware<AppEnv>(async (c, next) => {
  const url = new URL(c.req.url);
  const parts = decodeParts(url.pathname + url.search);
  if (!parts) {
    throw ApiError.validation('The address of this request is malformed.', [{ path: '', message: 'Invalid percent-encoding in the path or query string.' }]);
  }
  if (parts.some((p) => CONTROL_CHARACTERS.test(p) || !isWellFormedText(p))) {
    throw ApiError.validation('The address of this request contains a NUL byte or another control character.', [
      { path: '', message: 'Control characters are not allowed in the path or query string.' },
    ]);
  }
  return next();
});

/**
 * 405 with `Allow` when the path exists with other methods, else 404. The methods come from the
 * routes actually registered (matched with hono's own router), so the answer cannot drift from them.
 */
function methodNotAllowed(app: Hono<AppEnv, any, any>) {
  let router: PatternRouter<string> | undefined;
  return (c: Context<AppEnv>): Response => {
    if (!router) {
      router = new PatternRouter<string>();
      for (const route of app.routes) if (route.method !== 'ALL') router.add('ALL', route.path, route.method);
    }
    const [matches] = router.match(c.req.method, c.req.path);
    const methods = new Set(matches.map(([method]) => method));
    if (methods.size === 0) return fail(c, ApiError.notFound(`There is no ${c.req.method} ${c.req.path} in this API.`));
    if (methods.has('GET')) methods.add('HEAD');
    const allow = [...methods].sort().join(', ');
    c.header('Allow', allow);
    return fail(c, new ApiError(405, 'METHOD_NOT_ALLOWED', `${c.req.method} is not supported here; use ${allow}.`, { allow: [...methods].sort() }));
  };
}

function describe(err: unknown): Record<string, unknown> {
  return err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : { value: String(err) };
}

/**
 * The HTTP API. Every response, errors included, is the ApiResponse envelope (report bodies in
 * markdown/html excepted), carries X-Request-Id, and every log line of a request has its requestId.
 * Order: request ID and log, connection hygiene, secure headers, CORS, timeout, a sane address,
 * then (under /api/v2 but /health and the API's description) API keys and rate limits, then the
 * routes. Routes are @hono/zod-openapi routes: the OpenAPI document at /api/v2/openapi.json is
 * generated from the schemas they validate with (see openapi/).
 */
export function createApp(deps: ApiDeps): OpenAPIHono<AppEnv> {
  const { config } = deps;
  // Routes validate with the zod schemas the OpenAPI document is generated from; failures keep our envelope.
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  // First: the request's span and metrics cover everything below, and its log line carries the trace ID.
  const telemetry = apiTelemetry(deps);
  app.use('*', telemetry.middleware);
  app.use('*', requestId(), requestLog(deps.logger), closeAfterRefusedBody, secureHeaders());
  if (config.CORS_ORIGINS.length > 0) {
    app.use(
      '*',
      cors({
        origin: [...config.CORS_ORIGINS],
        allowMethods: ['GET', 'HEAD', 'POST', 'DELETE'],
        allowHeaders: ['Content-Type', 'Authorization', 'Idempotency-Key', 'X-Request-Id', 'Last-Event-ID'],
        exposeHeaders: ['X-Request-Id', 'Location', 'RateLimit', 'RateLimit-Policy', 'Retry-After'],
        maxAge: 600,
      }),
    );
  }
  const requestTimeout = timeout(config.REQUEST_TIMEOUT_SECONDS * 1000, () => new HTTPException(504));
  // The event stream stays open while the analysis runs; every other request has the deadline.
  app.use('*', (c, next) => (isEventStream(c.req.method, c.req.path) ? next() : requestTimeout(c, next)), saneRequestTarget);
  const access = apiAccess(deps);
  // Health and the API's description need no key and are not counted.
  app.use(`${API_BASE}/*`, async (c, next) =>
    c.req.path === `${API_BASE}/health` || isPublicDescription(c.req.path) ? next() : access(c, next),
  );

  app.onError((err, c) => {
    const apiError = toApiError(err);
    const log = c.get('log') ?? deps.logger;
    const cause = (apiError === err ? apiError.cause : err) ?? err;
    if (apiError.code === 'SERVICE_UNAVAILABLE' || apiError.code === 'REQUEST_TIMEOUT') {
      // A dependency's outage, not a bug: one line per request, without a stack to page through.
      log.warn('request failed: dependency unavailable', { code: apiError.code, error: cause instanceof Error ? cause.message : String(cause) });
    } else if (apiError.code === 'PDF_UNAVAILABLE') {
      // This server's setup (no Chromium), said to the client with how to fix it; not a bug.
      log.warn('request refused: PDF rendering unavailable', { code: apiError.code });
    } else if (apiError.status >= 500) {
      // The client gets a generic message and the request ID; the stack stays here.
      log.error('request failed', { code: apiError.code, error: describe(cause) });
    }
    return fail(c, apiError);
  });
  app.notFound(methodNotAllowed(app));

  app.route(API_BASE, healthRoute(deps));
  app.route(API_BASE, analysisRoutes(deps));
  app.route(API_BASE, eventsRoutes(deps));
  mountApiDescription(app);
  // Prometheus scrapes outside /api/v2: no API key, no rate limit (restrict it at the network).
  app.get('/metrics', telemetry.metrics);
  app.route('/', webPage());
  return app;
}
