import { readdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { listenOnUnusedPort } from './unused-port.js';

export type Route =
  | string
  | {
      status?: number;
      body: string | Buffer;
      type?: string;
      headers?: Record<string, string>;
      /** Answer only after this long (a slow site). */
      delayMs?: number;
    };

export interface TestSite {
  /** The site's root, e.g. `http://127.0.0.1:43123/`. */
  url: string;
  /** Requests seen per path (without the query), so tests can tell what was fetched and how often. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.json': 'application/json',
  '.pdf': 'application/pdf',
};

function defaultType(routePath: string): string {
  if (routePath === '/robots.txt') return TYPES['.txt']!;
  return TYPES[path.extname(routePath)] ?? TYPES['.html']!;
}

/**
 * A local website on 127.0.0.1 (a port no earlier site of the run had) serving fixed routes; anything else is a 404.
 * A string route is served with a type guessed from its path (text/html by default). Routes are
 * looked up per request, so a test may add routes that name the site's own URL after it started.
 */
export async function serveSite(routes: Record<string, Route>): Promise<TestSite> {
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    hits.set(pathname, (hits.get(pathname) ?? 0) + 1);
    const route = routes[pathname];
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const { status = 200, body, type = defaultType(pathname), headers = {}, delayMs = 0 } = typeof route === 'string' ? { body: route } : route;
    const answer = () => {
      if (!res.destroyed) res.writeHead(status, { 'content-type': type, ...headers }).end(body);
    };
    if (delayMs > 0) setTimeout(answer, delayMs).unref();
    else answer();
  });
  // Keep-alive sockets would hold close() open until they time out.
  server.keepAliveTimeout = 100;
  const port = await listenOnUnusedPort(server);
  return {
    url: `http://127.0.0.1:${port}/`,
    hits,
    // Idempotent: a test may close a site early (to get a refused port) and its afterAll again.
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (!server.listening) return resolve();
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/**
 * Every file of a directory at `/<file name>`, and at `/` an index page linking to each HTML file
 * (unless the directory has an index.html of its own).
 */
export async function serveFixtures(dir: string): Promise<TestSite> {
  const routes: Record<string, Route> = {};
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    routes[`/${name}`] = { body: await readFile(path.join(dir, name)), type: TYPES[path.extname(name)] ?? 'application/octet-stream' };
  }
  if (!names.includes('index.html')) {
    const links = names.filter((n) => n.endsWith('.html')).map((n) => `<li><a href="/${n}">${n}</a></li>`);
    routes['/'] = `<!doctype html><html lang="en"><head><title>Fixtures</title></head><body><ul>${links.join('')}</ul></body></html>`;
  } else {
    routes['/'] = routes['/index.html']!;
  }
  return serveSite(routes);
}
