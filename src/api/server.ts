import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { API_VERSION, type ApiResponse } from './envelope.js';

export interface RunningApi {
  /** e.g. http://127.0.0.1:3000 (the port actually bound, also when 0 was asked for). */
  url: string;
  /** Stops accepting connections and waits for requests in flight, cutting them off after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

/** Serves the app over HTTP/1.1; resolves once listening, rejects on EADDRINUSE and the like. */
export async function startApi(opts: { app: Hono<any>; port: number; hostname?: string }): Promise<RunningApi> {
  const hostname = opts.hostname ?? '127.0.0.1';
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: opts.app.fetch, port: opts.port, hostname }, () => {
      s.off('error', reject);
      resolve(s as Server);
    });
    s.once('error', reject);
  });
  server.on('clientError', answerUnparsable);
  const { port } = server.address() as AddressInfo;
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;

  let closing: Promise<void> | undefined;
  const close = (graceMs = 10_000) =>
    (closing ??= new Promise<void>((resolve, reject) => {
      // close() alone waits for keep-alive clients to hang up; idle ones are dropped now, busy ones after the grace.
      const force = setTimeout(() => server.closeAllConnections(), graceMs);
      force.unref();
      server.close((err) => {
        clearTimeout(force);
        if (err) reject(err);
        else resolve();
      });
      server.closeIdleConnections();
    }));
  return { url: `http://${host}:${port}`, close };
}

/**
 * A request Node's HTTP parser refuses (a NUL or other control byte in the request line, broken
 * framing, headers too large) never reaches the app. Node would answer a bare 400 with no body;
 * this answers in the envelope like every other error, then closes the connection.
 */
function answerUnparsable(err: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable || (err.code === 'ECONNRESET' && socket.destroyed)) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const [status, reason, code, message] = tooLarge
    ? [431, 'Request Header Fields Too Large', 'PAYLOAD_TOO_LARGE', 'The request headers or address are too large.']
    : [400, 'Bad Request', 'VALIDATION_ERROR', 'The request could not be read: it is not well-formed HTTP (for example a control character in the address).'];
  const body: ApiResponse<never> = {
    success: false,
    error: { code, message },
    metadata: { requestId: randomUUID(), timestamp: new Date().toISOString(), version: API_VERSION },
  };
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\n` +
      `X-Request-Id: ${body.metadata.requestId}\r\nConnection: close\r\n\r\n${json}`,
  );
}
