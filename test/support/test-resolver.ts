import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Resolver } from '../../activities/host-check.js';

/*
 * A test network that never leaves the machine: a resolver that answers from a map (no test asks
 * the machine's DNS), decoy listeners on loopback addresses that count every connection they get,
 * and an HTTP/2 server with a self-signed certificate made for the test.
 */

export interface TestResolver extends Resolver {
  /** Every name asked, in order. */
  calls: string[];
}

function notFound(hostname: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
  err.code = 'ENOTFOUND';
  err.syscall = 'getaddrinfo';
  return err;
}

/**
 * Answers from `names` (case-insensitive, trailing dot ignored); a function value is asked on every
 * lookup (DNS rebinding), an Error value is thrown; every other name is ENOTFOUND.
 */
export function testResolver(names: Record<string, string | string[] | Error | (() => string[])>): TestResolver {
  const table = new Map(Object.entries(names).map(([k, v]) => [k.toLowerCase().replace(/\.$/, ''), v]));
  const calls: string[] = [];
  const resolve = async (hostname: string) => {
    calls.push(hostname);
    const answer = table.get(hostname.toLowerCase().replace(/\.$/, ''));
    if (answer === undefined) throw notFound(hostname);
    if (answer instanceof Error) throw answer;
    if (typeof answer === 'function') return answer();
    return Array.isArray(answer) ? answer : [answer];
  };
  return Object.assign(resolve, { calls });
}

/** An error as the system resolver reports a name server that did not answer. */
export function temporaryDnsFailure(hostname: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`getaddrinfo EAI_AGAIN ${hostname}`);
  err.code = 'EAI_AGAIN';
  return err;
}

export interface Decoy {
  port: number;
  /** The addresses it listens on (those the machine supports). */
  hosts: string[];
  /** TCP connections accepted, all addresses together: a refused destination must leave it at 0. */
  connections(): number;
  close(): Promise<void>;
}

function listen(server: net.Server, host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => resolve(true));
  });
}

/**
 * Raw TCP listeners on one port of several loopback addresses (127.0.0.1, 127.0.0.2, ::1 by
 * default), counting connections and answering nothing. `port` 0 picks a free one.
 */
export async function startDecoy(hosts: string[] = ['127.0.0.1', '127.0.0.2', '::1'], port = 0): Promise<Decoy> {
  let count = 0;
  const servers: net.Server[] = [];
  const bound: string[] = [];
  let chosen = port;
  for (const host of hosts) {
    const server = net.createServer((socket) => {
      count++;
      socket.destroy();
    });
    if (await listen(server, host, chosen)) {
      chosen = (server.address() as net.AddressInfo).port;
      servers.push(server);
      bound.push(host);
    } else if (bound.length === 0 && host === hosts[0]) {
      throw new Error(`decoy: cannot listen on ${host}:${chosen}`);
    }
  }
  return {
    port: chosen,
    hosts: bound,
    connections: () => count,
    close: () => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined),
  };
}

export interface SelfSignedCertificate {
  key: string;
  cert: string;
}

/** A certificate for `names` (DNS names and IP addresses), made with the openssl command line. */
export function selfSignedCertificate(names: string[]): SelfSignedCertificate {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ssrf-cert-'));
  try {
    const san = names.map((n) => (net.isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${san}`, '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Http2Site {
  port: number;
  /** TCP connections accepted (TLS handshake or not; HTTP/2 and HTTP/1.1 alike). */
  connections(): number;
  /** Requests answered, with the protocol version each came in on. */
  requests: Array<{ path: string; httpVersion: string; userAgent: string | undefined }>;
  close(): Promise<void>;
}

/** An HTTP/2 server (HTTP/1.1 allowed too) on 127.0.0.1 with the given certificate, serving one HTML page. */
export async function startHttp2Site(certificate: SelfSignedCertificate, host = '127.0.0.1'): Promise<Http2Site> {
  let connections = 0;
  const requests: Http2Site['requests'] = [];
  const server = http2.createSecureServer({ ...certificate, allowHTTP1: true }, (req, res) => {
    requests.push({ path: req.url, httpVersion: req.httpVersion, userAgent: req.headers['user-agent'] });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>h2</title><p>Served over TLS.</p>');
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Sessions kept open by keep-alive would hold close() open.
        setTimeout(resolve, 200).unref();
      }),
  };
}
