import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../api/context.js';
import { labelsModule } from '../domain/report-labels.js';
import { fail } from '../api/envelope.js';
import { ApiError } from '../api/errors.js';

/**
 * The web page at `GET /`: plain ES modules and CSS from src/web/public (copied beside the compiled
 * code by `npm run build`), no build step. Two browser libraries are served from node_modules as
 * their own ESM files: openapi-fetch (the typed client the OpenAPI document describes) and
 * eventsource-parser (reads the event stream from a fetch, which, unlike EventSource, can send the
 * API key).
 */

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

function moduleFile(pkg: string, file: string): string {
  // require.resolve finds the package from here whatever the working directory; its entry is in dist/.
  const entry = createRequire(import.meta.url).resolve(pkg);
  return path.join(path.dirname(entry), file);
}

const VENDOR: Record<string, string> = {
  'openapi-fetch.js': moduleFile('openapi-fetch', 'index.mjs'),
  'eventsource-parser.js': moduleFile('eventsource-parser', 'index.js'),
};

/**
 * Report text comes from scraped pages and a model: the page builds its DOM with text nodes only,
 * and this policy is the second line of defence (no inline script, no other origin).
 */
export const WEB_PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const pageHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (c.res.status !== 200) return;
  c.res.headers.set('Content-Security-Policy', WEB_PAGE_CSP);
  // Small files: always revalidate, so a deploy is picked up on the next load.
  c.res.headers.set('Cache-Control', 'no-cache');
});

export function webPage(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('/', pageHeaders);
  app.use('/web/*', pageHeaders);
  app.get('/', serveStatic({ root: PUBLIC_DIR, path: 'index.html' }));
  for (const [name, file] of Object.entries(VENDOR)) app.get(`/web/vendor/${name}`, serveStatic({ path: file }));
  // The report's words for the API's codes, from the one table the Markdown report uses too.
  const labels = labelsModule();
  app.get('/web/labels.js', (c) => c.body(labels, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }));
  app.get(
    '/web/*',
    serveStatic({ root: PUBLIC_DIR, rewriteRequestPath: (p) => p.replace(/^\/web\//, '/') }),
    // Answered here: the app's fallback would see a GET route on this path and say 405.
    (c) => fail(c, ApiError.notFound(`There is no file ${c.req.path} on this web page.`)),
  );
  return app;
}
