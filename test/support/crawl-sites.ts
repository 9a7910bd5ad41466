import http from 'node:http';
import { listenOnUnusedPort } from './unused-port.js';

/** One request as the site saw it. */
export interface SeenRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  at: number;
}

export interface Answer {
  status?: number;
  body?: string;
  type?: string;
  headers?: Record<string, string>;
  delayMs?: number;
}

/** A fixed answer, or one computed from the request (conditional requests, user-agent checks). */
export type CrawlRoute = string | Answer | ((req: http.IncomingMessage) => Answer);

export interface CrawlTestSite {
  /** The site's root, e.g. `http://127.0.0.1:43123/`. */
  url: string;
  requests: SeenRequest[];
  /** Requests for one path. */
  hits(path: string): SeenRequest[];
  /** Most requests in flight at once. */
  maxInFlight: number;
  routes: Record<string, CrawlRoute>;
  close(): Promise<void>;
}

/**
 * A site on 127.0.0.1 that records every request with its headers and time, and how many were in
 * flight at once. Routes are looked up per request (a test may add routes naming the site's own
 * URL after it started); a route may be a function of the request. Anything else is a 404.
 */
export async function serveCrawlSite(routes: Record<string, CrawlRoute>): Promise<CrawlTestSite> {
  const requests: SeenRequest[] = [];
  let inFlight = 0;
  const site: CrawlTestSite = {
    url: '',
    requests,
    hits: (path) => requests.filter((r) => r.path === path),
    maxInFlight: 0,
    routes,
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    requests.push({ path, headers: req.headers, at: Date.now() });
    inFlight++;
    site.maxInFlight = Math.max(site.maxInFlight, inFlight);
    const route = routes[path];
    const answer: Answer = route === undefined ? { status: 404, body: 'not found', type: 'text/plain' } : typeof route === 'string' ? { body: route } : typeof route === 'function' ? route(req) : route;
    const { status = 200, body = '', headers = {}, delayMs = 0 } = answer;
    const type = answer.type ?? (path.endsWith('.xml') ? 'application/xml' : path === '/robots.txt' ? 'text/plain' : 'text/html; charset=utf-8');
    const send = () => {
      inFlight--;
      if (!res.destroyed) res.writeHead(status, { 'content-type': type, ...headers }).end(status === 304 ? undefined : body);
    };
    if (delayMs > 0) setTimeout(send, delayMs).unref();
    else send();
  });
  server.keepAliveTimeout = 100;
  site.url = `http://127.0.0.1:${await listenOnUnusedPort(server)}/`;
  site.close = () =>
    new Promise<void>((resolve, reject) => {
      if (!server.listening) return resolve();
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    });
  return site;
}

/** A page with a title, a heading, its body and the links given. */
export function htmlPage(title: string, body: string, head = ''): string {
  return `<!doctype html><html lang="en"><head><title>${title}</title>${head}</head><body><main><h1>${title}</h1>${body}</main></body></html>`;
}

/** A long legal page: many paragraphs of terms (about `paragraphs` × 300 bytes). */
export function legalPage(paragraphs = 200): string {
  const p = Array.from(
    { length: paragraphs },
    (_, i) => `<p>${i + 1}. The customer shall indemnify the provider against all claims arising from the use of the service, subject to the limitations set out in section ${i + 2} of these terms.</p>`,
  );
  return htmlPage('Terms of Service', p.join(''));
}
