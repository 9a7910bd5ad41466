import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

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
