import { createRequire } from 'node:module';
import path from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { swaggerUI } from '@hono/swagger-ui';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context.js';
import { API_VERSION } from '../envelope.js';
import { ApiError } from '../errors.js';
import { API_BASE } from '../routes/shared.js';
import { analysisIdParam, commonHeaders, errorResponses, registerErrorComponents, requestHeaderDocs } from './schemas.js';

export const OPENAPI_PATH = `${API_BASE}/openapi.json`;
export const DOCS_PATH = `${API_BASE}/docs`;
/** Swagger UI's own files, served from node_modules: the docs work with no internet. */
const DOCS_ASSETS = `${DOCS_PATH}/assets`;
const SWAGGER_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js'] as const;

/** The description of the API and the docs page: public, like /health (no key, not counted). */
export function isPublicDescription(path: string): boolean {
  return path === OPENAPI_PATH || path === DOCS_PATH || path.startsWith(`${DOCS_ASSETS}/`);
}

/** The event stream answers for as long as the analysis runs: no request timeout for it. */
export function isEventStream(method: string, path: string): boolean {
  return method === 'GET' && /^\/api\/v2\/analysis\/[^/]+\/events$/.test(path);
}

const DESCRIPTION = `Turns a company's website into an evidence-backed persona report. Start an analysis, follow its
progress (poll \`GET /analysis/{id}\` or stream \`/analysis/{id}/events\`), read the report, regenerate it.

Every response but report bodies in Markdown, HTML or PDF and the event stream is the envelope
\`{ success, data?, error?: { code, message, details? }, metadata: { requestId, timestamp, version } }\`.
An unknown method on a known path answers 405 with \`Allow\`. Request headers read by every route
under /api/v2 but /health and these docs: ${Object.entries(requestHeaderDocs)
  .map(([name, text]) => `\`${name}\` (${text})`)
  .join('; ')}.`;

/**
 * Describes what the app serves without being a zod-openapi route: the event stream (its own
 * file, routes/events.ts, registers it as a plain hono route). The route/document test keeps the
 * two in step.
 */
function registerEventStream(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: `${API_BASE}/analysis/{id}/events`,
    summary: 'Live progress as Server-Sent Events',
    description:
      'One event per step change and per crawl or model sub-step (pages read n/N, model calls n/N), then the final status. ' +
      'Each event has an `id:`; reconnect with `Last-Event-ID` (EventSource does) or `?lastEventId=` to resume without gaps or repeats. ' +
      'Served by every API instance from PostgreSQL. Not subject to the request timeout.',
    tags: ['analysis'],
    request: {
      params: analysisIdParam,
      query: z.object({ lastEventId: z.string().regex(/^\d+$/).optional().meta({ description: 'For clients that cannot set headers; the header wins.' }) }),
      headers: z.object({ 'Last-Event-ID': z.string().regex(/^\d+$/).optional().meta({ description: 'The ID of the last event received.' }) }),
    },
    responses: {
      200: {
        description: 'The stream: `event:` is the kind, `data:` a JSON object, `id:` the resume point.',
        headers: commonHeaders,
        content: { 'text/event-stream': { schema: z.string() } },
      },
      ...errorResponses({ 400: 'VALIDATION_ERROR: Last-Event-ID is not an event ID of this stream.', 404: undefined }),
    },
  });
}

const documents = new WeakMap<OpenAPIHono<AppEnv>, ReturnType<typeof openApiDocument>>();

/** The OpenAPI 3.1 document of `app`: every zod-openapi route plus what registerEventStream adds. */
export function openApiDocument(app: OpenAPIHono<AppEnv>) {
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'Persona Analyzer API', version: API_VERSION, description: DESCRIPTION },
    tags: [
      { name: 'analysis', description: 'Start, follow, cancel and delete analyses.' },
      { name: 'report', description: 'Reports, their versions and differences.' },
      { name: 'service', description: 'Health of the service.' },
    ],
    security: [{ apiKey: [] }],
  });
}

/** Adds the event stream's description, the document at OPENAPI_PATH and Swagger UI at DOCS_PATH. */
export function mountApiDescription(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key (`npm run keys` or API_KEYS): needed once any key exists; reads may be open (API_READS_OPEN).',
  });
  registerErrorComponents(app.openAPIRegistry);
  registerEventStream(app);
  app.get(OPENAPI_PATH, (c) => {
    // Built on first request, when every route (the events route included) is registered.
    const document = documents.get(app) ?? openApiDocument(app);
    documents.set(app, document);
    return c.json(document);
  });
  app.get(
    DOCS_PATH,
    swaggerUI({
      url: OPENAPI_PATH,
      title: 'Persona Analyzer API',
      // The middleware appends /swagger-ui-dist/<file>; served below, never from a CDN.
      baseUrl: DOCS_ASSETS,
      persistAuthorization: true,
    }),
  );
  const swaggerDist = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const files = new Set<string>(SWAGGER_FILES);
  app.get(
    `${DOCS_ASSETS}/swagger-ui-dist/:file`,
    async (c, next) => {
      if (!files.has(c.req.param('file'))) throw ApiError.notFound();
      return next();
    },
    serveStatic({ root: swaggerDist, rewriteRequestPath: (p) => p.slice(`${DOCS_ASSETS}/swagger-ui-dist`.length) }),
  );
}
