import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

/*
 * A stand-in for a secured Temporal cluster's front end: TLS (ALPN h2) on 127.0.0.1, forwarding
 * every gRPC stream unchanged to the test's plain dev server, which has no TLS flags. It can demand
 * a client certificate signed by the test CA (mutual TLS, refused in the TLS handshake as a real
 * cluster would) or a bearer API key in the `authorization` metadata (answered with gRPC
 * UNAUTHENTICATED, status 16, as Temporal Cloud does), and can deny whole services (PERMISSION_DENIED,
 * as Temporal Cloud does for the Operator API). It imports no product code.
 */

export interface GrpcTlsProxyOptions {
  /** host:port of the plain (h2c) Temporal server. */
  target: string;
  certPath: string;
  keyPath: string;
  /** Client certificates must be signed by this CA (mutual TLS); unset: none asked for. */
  clientCaPath?: string;
  /** Requests must carry `authorization: Bearer <apiKey>`; unset: not checked. */
  apiKey?: string;
  /** gRPC services answered with PERMISSION_DENIED (7), as Temporal Cloud answers OperatorService calls. */
  deniedServices?: string[];
}

export interface GrpcTlsProxy {
  address: string;
  /** gRPC methods forwarded (after the checks), e.g. `WorkflowService/PollWorkflowTaskQueue`. */
  forwarded: string[];
  /** Methods refused (missing or wrong API key, denied service). */
  refused: string[];
  /** Subject CNs of the client certificates of the TLS sessions that carried requests. */
  clientNames: Set<string>;
  stop(): Promise<void>;
}

/** `/temporal.api.workflowservice.v1.WorkflowService/StartWorkflowExecution` -> `WorkflowService/StartWorkflowExecution`. */
const method = (path: string | undefined) => (path ?? '').split('.').pop() ?? '';

export async function startGrpcTlsProxy(options: GrpcTlsProxyOptions): Promise<GrpcTlsProxy> {
  let upstream: http2.ClientHttp2Session | undefined;
  const connectUpstream = () => {
    if (!upstream || upstream.closed || upstream.destroyed) {
      upstream = http2.connect(`http://${options.target}`);
      upstream.on('error', () => {}); // a stream's own error reaches its caller below
    }
    return upstream;
  };
  const forwarded: string[] = [];
  const refused: string[] = [];
  const clientNames = new Set<string>();
  const sessions = new Set<http2.ServerHttp2Session>();

  const server = http2.createSecureServer({
    cert: readFileSync(options.certPath),
    key: readFileSync(options.keyPath),
    ALPNProtocols: ['h2'],
    ...(options.clientCaPath ? { ca: readFileSync(options.clientCaPath), requestCert: true, rejectUnauthorized: true } : {}),
  });
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers) => {
    const name = method(headers[':path']);
    if (options.apiKey !== undefined && headers.authorization !== `Bearer ${options.apiKey}`) {
      refused.push(name);
      const reason = headers.authorization ? 'the API key is not valid' : 'no API key was presented';
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': `Request unauthorized: ${reason}` },
        { endStream: true },
      );
      return;
    }
    if (options.deniedServices?.some((service) => name.startsWith(`${service}/`))) {
      refused.push(name);
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '7', 'grpc-message': `Request unauthorized: ${name} is not available here` },
        { endStream: true },
      );
      return;
    }
    forwarded.push(name);
    const cn = (stream.session?.socket as TLSSocket | undefined)?.getPeerCertificate?.()?.subject?.CN;
    if (cn) clientNames.add(String(cn));

    const request = connectUpstream().request({ ...headers });
    let trailers: http2.IncomingHttpHeaders | undefined;
    request.on('response', (responseHeaders, flags) => {
      if (stream.destroyed) return;
      // A trailers-only answer (an error with no body) ends the stream with its headers.
      const endStream = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
      stream.respond(responseHeaders, endStream ? { endStream: true } : { waitForTrailers: true });
    });
    request.on('trailers', (t) => (trailers = t));
    stream.on('wantTrailers', () => stream.sendTrailers(trailers ?? {}));
    stream.pipe(request);
    request.on('data', (chunk: Buffer) => stream.write(chunk));
    request.on('end', () => {
      if (!stream.destroyed && stream.headersSent && !stream.writableEnded) stream.end();
    });
    request.on('error', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    stream.on('error', () => request.close(http2.constants.NGHTTP2_CANCEL));
    stream.on('close', () => {
      if (!request.closed) request.close(http2.constants.NGHTTP2_CANCEL);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    forwarded,
    refused,
    clientNames,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.destroy();
      upstream?.destroy();
      await closed;
    },
  };
}
