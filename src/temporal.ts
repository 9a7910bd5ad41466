import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Client, Connection, isGrpcServiceError, type TLSConfig } from '@temporalio/client';
import { LOCAL_TEMPORAL_ADDRESS, type Config } from './config.js';
import { clientTelemetryInterceptors } from './telemetry/client.js';
import { errorText, temporalConnectError } from './temporal-errors.js';

/** What a Temporal connection needs from the configuration. */
export type TemporalConnectionConfig = Pick<
  Config,
  'TEMPORAL_ADDRESS' | 'TEMPORAL_API_KEY' | 'TEMPORAL_TLS_CERT' | 'TEMPORAL_TLS_KEY' | 'TEMPORAL_TLS_CA' | 'TEMPORAL_TLS_SERVER_NAME'
>;

/** The options both kinds of connection accept: the client's `Connection` and the worker's `NativeConnection`. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

/**
 * The one place connection options are made from configuration. TLS is on when any security
 * variable is set (an API key is never sent in the clear). Certificate files are read on every
 * call, so a process that reconnects or restarts picks up rotated certificates.
 */
export function temporalConnectionOptions(config: TemporalConnectionConfig): TemporalConnectionOptions {
  const address = config.TEMPORAL_ADDRESS ?? LOCAL_TEMPORAL_ADDRESS;
  const { TEMPORAL_API_KEY: apiKey, TEMPORAL_TLS_CERT: cert, TEMPORAL_TLS_KEY: key, TEMPORAL_TLS_CA: ca, TEMPORAL_TLS_SERVER_NAME: serverName } = config;
  if (!apiKey && !cert && !key && !ca && !serverName) return { address };
  const tls: TLSConfig = {
    ...(serverName ? { serverNameOverride: serverName } : {}),
    ...(ca ? { serverRootCACertificate: readFileSync(ca) } : {}),
    ...(cert && key ? { clientCertPair: { crt: readFileSync(cert), key: readFileSync(key) } } : {}),
  };
  return { address, tls, ...(apiKey ? { apiKey } : {}) };
}

/**
 * A client connection (API, search-attribute setup), or an error naming the cause and the
 * variable to fix. grpc-js reports a failed TLS handshake only as "Failed to connect before the
 * deadline"; one unretried call on a fresh channel brings back the transport's own reason.
 */
export async function connectTemporalClient(config: TemporalConnectionConfig): Promise<Connection> {
  const options = temporalConnectionOptions(config);
  try {
    return await Connection.connect(options);
  } catch (err) {
    const detail = isGrpcServiceError((err as Error).cause) ? undefined : await lastTransportError(options);
    throw temporalConnectError(err, config, detail);
  }
}

async function lastTransportError(options: TemporalConnectionOptions): Promise<string | undefined> {
  const probe = Connection.lazy({ ...options, interceptors: [] });
  try {
    await probe.withDeadline(Date.now() + 5_000, () => probe.workflowService.getSystemInfo({}));
    return undefined;
  } catch (err) {
    const text = errorText(err);
    // Without TLS grpc-js keeps no reason ("Last error: null"): a plain TCP connect tells refused from reachable.
    return /Last error: null/.test(text) ? `${text}; ${await tcpOutcome(options.address)}` : text;
  } finally {
    await probe.close();
  }
}

function tcpOutcome(address: string): Promise<string> {
  const at = address.lastIndexOf(':');
  const socket = net.connect({ host: address.slice(0, at), port: Number(address.slice(at + 1)), timeout: 5_000 });
  return new Promise<string>((resolve) => {
    socket.once('connect', () => resolve('a TCP connection opens, but the server closed the gRPC connection'));
    socket.once('timeout', () => resolve('a TCP connection timed out'));
    socket.once('error', (err) => resolve(`a TCP connection fails: ${err.message}`));
  }).finally(() => socket.destroy());
}

/** One connection and client per process: connections are expensive, and the API shares this one. */
export async function connectTemporal(
  config: TemporalConnectionConfig & Pick<Config, 'TEMPORAL_NAMESPACE'>,
): Promise<{ connection: Connection; client: Client }> {
  const connection = await connectTemporalClient(config);
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, interceptors: clientTelemetryInterceptors() });
  return { connection, client };
}
