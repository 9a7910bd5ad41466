import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A FAULT PROXY for an HTTP endpoint (here: in front of the local stand-in AI). It forwards every
 * request to `upstream` untouched, unless told at run time to misbehave the way real endpoints do:
 * answer an error status, hang past the client's timeout, send malformed JSON, or be down
 * (connections refused). It counts what it did, so a test can tell how many answers a client was
 * actually given (what a paid endpoint would bill). It knows nothing of the product: no product imports.
 */

export type FaultMode =
  /** Forward (after `delayMs`, if set). */
  | 'pass'
  /** Answer `status` with an OpenAI-style error body, without forwarding. */
  | 'error'
  /** Hold the request and never answer; the client's own timeout must end it. */
  | 'hang'
  /** Answer 200 with a JSON body cut off halfway (unparseable), without forwarding. */
  | 'malformed-body'
  /** Forward, then cut each choice's message content in half: a well-formed envelope whose content is broken JSON. */
  | 'malformed-content'
  /** Stop listening and drop open connections: every connection attempt is refused. */
  | 'down';

/** Counts of POST requests (model calls). */
export interface FaultCounts {
  /** Requests that reached the proxy. */
  received: number;
  /** Upstream answers handed to a client in full (pass and malformed-content): what a paid endpoint bills. */
  delivered: number;
  /** Error statuses answered in 'error' mode. */
  errors: number;
  /** Requests held in 'hang' mode. */
  hung: number;
  /** Bodies cut off in 'malformed-body' mode. */
  malformed: number;
  /** Requests whose client went away before an answer was sent (timeouts, killed processes). */
  abandoned: number;
}

export interface FaultProxy {
  /** The proxy's base URL with the upstream's path, e.g. http://127.0.0.1:PORT/v1. */
  baseUrl: string;
  mode(): FaultMode;
  /** Switches behaviour for requests that arrive from now on; 'down' and back re-binds the same port. */
  setMode(mode: FaultMode, opts?: { status?: number }): Promise<void>;
  /** Wait this long before forwarding each request in 'pass' mode (a slow model). */
  setDelay(ms: number): void;
  counts(): FaultCounts;
  /** Model calls received and not yet answered or abandoned. */
  inFlight(): number;
  close(): Promise<void>;
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  let mode: FaultMode = 'pass';
  let errorStatus = 500;
  let delayMs = 0;
  let inFlight = 0;
  const counts: FaultCounts = { received: 0, delivered: 0, errors: 0, hung: 0, malformed: 0, abandoned: 0 };
  const held = new Set<http.ServerResponse>();
  const sockets = new Set<Socket>();

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    // Only POSTs (model calls) are counted; a GET (e.g. a health check's model list) meets the same faults uncounted.
    const counted = req.method === 'POST';
    if (counted) {
      counts.received++;
      inFlight++;
    }
    let settled = false;
    const settle = (what?: keyof FaultCounts) => {
      if (settled) return;
      settled = true;
      if (!counted) return;
      inFlight--;
      if (what) counts[what]++;
    };
    // 'close' on the response before it finished: the client hung up (a timeout, a killed worker).
    res.once('close', () => settle(res.writableFinished ? undefined : 'abandoned'));
    const body = await readBody(req);
    const current = mode;
    if (current === 'error') {
      const text = JSON.stringify({ error: { message: `fault proxy: simulated ${errorStatus}`, type: 'server_error', code: null } });
      res.writeHead(errorStatus, { 'content-type': 'application/json' }).end(text, () => settle('errors'));
      return;
    }
    if (current === 'hang') {
      // Open until the client gives up (then counted as abandoned too) or hanging stops.
      if (counted) counts.hung++;
      res.once('close', () => held.delete(res));
      held.add(res);
      return;
    }
    if (current === 'malformed-body') {
      const text = '{"id":"chatcmpl-fault","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"{\\"na';
      res.writeHead(200, { 'content-type': 'application/json' }).end(text, () => settle('malformed'));
      return;
    }
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    // The client went away while we waited: nothing is forwarded, nothing is billed.
    if (settled) return;
    let answer: { status: number; headers: http.IncomingHttpHeaders; body: Buffer };
    try {
      answer = await forward(target, req, body);
    } catch (err) {
      if (!res.destroyed) res.writeHead(502, { 'content-type': 'text/plain' }).end(`fault proxy: upstream failed: ${(err as Error).message}`);
      return settle();
    }
    let out = answer.body;
    if (current === 'malformed-content' && answer.status === 200) out = cutContent(out);
    if (settled) return;
    const headers = { ...answer.headers, 'content-length': String(out.length) };
    delete headers['transfer-encoding'];
    delete headers.connection;
    res.writeHead(answer.status, headers).end(out, () => settle(answer.status < 300 ? 'delivered' : undefined));
  };

  const server = http.createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 1_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await listen(server, 0);
  const { port } = server.address() as AddressInfo;

  const dropConnections = () => {
    for (const res of held) res.destroy();
    held.clear();
    for (const socket of sockets) socket.destroy();
  };

  return {
    baseUrl: `http://127.0.0.1:${port}${target.pathname.replace(/\/$/, '')}`,
    mode: () => mode,
    async setMode(next, opts = {}) {
      if (opts.status !== undefined) errorStatus = opts.status;
      const was = mode;
      mode = next;
      // Held requests end when hanging stops: a client that had not given up yet sees a dropped connection.
      if (was === 'hang' && next !== 'hang') {
        for (const res of held) res.destroy();
        held.clear();
      }
      if (next === 'down' && was !== 'down') {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          dropConnections();
        });
      } else if (was === 'down' && next !== 'down') {
        await listen(server, port);
      }
    },
    setDelay(ms) {
      delayMs = ms;
    },
    counts: () => ({ ...counts }),
    inFlight: () => inFlight,
    async close() {
      dropConnections();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', () => resolve(Buffer.concat(chunks)));
  });
}

function forward(target: URL, req: http.IncomingMessage, body: Buffer) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
    const out = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.once('error', reject);
      },
    );
    out.once('error', reject);
    out.end(body);
  });
}

/** Halves every `choices[].message.content` string of a chat completion; anything else is returned as is. */
function cutContent(body: Buffer): Buffer {
  try {
    const json = JSON.parse(body.toString('utf8')) as { choices?: { message?: { content?: unknown } }[] };
    for (const choice of json.choices ?? []) {
      const content = choice.message?.content;
      if (typeof content === 'string') choice.message!.content = content.slice(0, Math.floor(content.length / 2));
    }
    return Buffer.from(JSON.stringify(json));
  } catch {
    return body;
  }
}
