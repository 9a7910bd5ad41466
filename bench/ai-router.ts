import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A chat request body as an OpenAI-compatible endpoint receives it. */
export type ChatBody = { messages?: { role: string; content: unknown }[] } & Record<string, unknown>;

export interface Route {
  /** e.g. http://127.0.0.1:PORT/v1 */
  baseUrl: string;
}

export interface AiRouter {
  /** http://127.0.0.1:PORT/v1: the one OPENAI_BASE_URL the service is given. */
  baseUrl: string;
  /** Sends the chat requests about the site on this port to `route`. */
  route(sitePort: number, route: Route): void;
  /** The chat request bodies about the site on this port, in order. */
  received(sitePort: number): ChatBody[];
  /** Requests that named no known site (sent to the fallback). */
  unrouted(): number;
  stop(): Promise<void>;
}

/**
 * One OpenAI-compatible address in front of several endpoints, so analyses running at the same
 * time can each have a model endpoint of their own (a stand-in with its own behaviours). Every
 * prompt the product sends starts with the site message (`Website: <url>`); the router reads the
 * site's port there and forwards the request unchanged to that site's endpoint. Answers are passed
 * back unchanged; a client that goes away aborts the forwarded request. No time limit of its own:
 * a local model's queue may hold a request for many minutes.
 */
export async function startAiRouter(fallback: Route): Promise<AiRouter> {
  const routes = new Map<number, Route>();
  const bodies = new Map<number, ChatBody[]>();
  let unrouted = 0;

  const sitePortOf = (text: string): number | undefined => {
    const m = /Website: https?:\/\/(?:127\.0\.0\.1|localhost):(\d+)/.exec(text);
    return m ? Number(m[1]) : undefined;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let target = fallback;
      if (req.method === 'POST') {
        const port = sitePortOf(raw.toString('utf8'));
        const routed = port === undefined ? undefined : routes.get(port);
        if (routed && port !== undefined) {
          target = routed;
          try {
            bodies.get(port)!.push(JSON.parse(raw.toString('utf8')) as ChatBody);
          } catch {
            // not JSON: the endpoint will say so
          }
        } else unrouted++;
      }
      const base = new URL(target.baseUrl);
      const suffix = (req.url ?? '/').replace(/^\/v1/, '');
      const upstream = http.request(
        {
          host: base.hostname,
          port: base.port,
          // A fresh connection each time: a reused one the endpoint is just closing fails the request.
          agent: false,
          method: req.method,
          path: `${base.pathname.replace(/\/$/, '')}${suffix}`,
          headers: { ...forwardable(req.headers), host: base.host, 'content-length': String(raw.length) },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', (err) => {
        if (!res.headersSent) {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: `bench AI router: ${err.message}`, type: 'server_error' } }));
        } else res.destroy();
      });
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      upstream.end(raw);
    });
  });
  server.requestTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    route(sitePort, route) {
      routes.set(sitePort, route);
      bodies.set(sitePort, []);
    },
    received: (sitePort) => [...(bodies.get(sitePort) ?? [])],
    unrouted: () => unrouted,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function forwardable(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const { 'transfer-encoding': _te, connection: _c, 'keep-alive': _ka, ...rest } = headers;
  return rest;
}
