import { LOCAL_TEMPORAL_ADDRESS } from './config.js';
import type { TemporalSecuritySettings } from './temporal-config.js';

/*
 * Why a Temporal connection failed, in words that say what to change. The SDK's own messages are
 * a gRPC status or a transport error string (rustls in the worker, OpenSSL in the client); these
 * rules read both. The raw detail stays at the end of the message for whoever digs further.
 */

export class TemporalConnectError extends Error {
  override name = 'TemporalConnectError';
}

interface Rule {
  test: RegExp;
  /** The cause and the fix, given how the connection was configured. */
  explain(setup: Setup): string | undefined;
}

interface Setup {
  address: string;
  tls: boolean;
  apiKey: boolean;
  clientCert: boolean;
  ca: boolean;
  serverName?: string | undefined;
}

const CLIENT_CERT_VARS = 'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY';

const RULES: Rule[] = [
  {
    test: /UNAUTHENTICATED|valid authentication credentials|\b16\b[^\n]*unauthori[sz]ed/i,
    explain: (s) =>
      s.apiKey
        ? 'the server refused the API key: check TEMPORAL_API_KEY (wrong, expired, revoked, or for another account)'
        : s.clientCert
          ? 'the server refused the credentials: check that the client certificate in TEMPORAL_TLS_CERT is accepted for this namespace'
          : `the server requires authentication: set TEMPORAL_API_KEY, or ${CLIENT_CERT_VARS}`,
  },
  {
    test: /PERMISSION_DENIED|permission denied|\b7\b[^\n]*denied/i,
    explain: () => 'the credentials are valid but not allowed to do this in the namespace: grant the API key or certificate access to TEMPORAL_NAMESPACE',
  },
  {
    test: /certificate ?required/i,
    explain: () => `the server asks for a client certificate (mutual TLS) and none was sent: set ${CLIENT_CERT_VARS}`,
  },
  {
    test: /unknown ?ca|bad ?certificate|certificate ?unknown|certificate ?revoked|decrypt ?error/i,
    explain: () => 'the server refused the client certificate in TEMPORAL_TLS_CERT: it is not signed by a CA the server trusts, has expired or was revoked',
  },
  {
    test: /NotValidForName|altnames|ALTNAME|certificate is not valid for/i,
    explain: (s) =>
      `the server's certificate is not issued for the name ${s.serverName ?? s.address.replace(/:\d+$/, '')}: ` +
      (s.serverName ? 'check TEMPORAL_TLS_SERVER_NAME' : 'set TEMPORAL_TLS_SERVER_NAME to a name the certificate holds'),
  },
  {
    test: /expired/i,
    explain: () => "the server's certificate (or its CA's) has expired or is not valid yet: check the cluster's certificate and this machine's clock",
  },
  {
    test: /UnknownIssuer|self[- ]signed|unable to (get|verify)[^\n]*(issuer|certificate)|certificate verify failed|UNABLE_TO_VERIFY/i,
    explain: (s) =>
      s.ca
        ? "the server's certificate is not signed by the CA in TEMPORAL_TLS_CA: point it at the CA that issued the cluster's certificate"
        : "the server's certificate is not signed by a CA this machine trusts: set TEMPORAL_TLS_CA to the path of the CA certificate that issued it",
  },
  {
    test: /InvalidContentType|wrong version number|packet length too long|InvalidMessage|http_request/i,
    explain: () =>
      'the server does not speak TLS on this port, but TLS is on because TEMPORAL_API_KEY or TEMPORAL_TLS_* is set: use the cluster\'s TLS port, or unset them for a cluster without TLS',
  },
  {
    test: /ECONNREFUSED|connection refused/i,
    explain: () => 'nothing accepts connections there: is the server running, and is TEMPORAL_ADDRESS right?',
  },
  {
    test: /ENOTFOUND|EAI_AGAIN|dns error|failed to lookup|name resolution/i,
    explain: () => 'the host name in TEMPORAL_ADDRESS does not resolve',
  },
  {
    // A peer that hangs up during or right after the TLS handshake: with a client certificate, it
    // refused it; with none, it asked for one. (Its alert saying so is not always read: seen in CI, a
    // server asking for a certificate reported as a broken pipe.)
    test: /UnexpectedEof|close_notify|ECONNRESET|ConnectionReset|BrokenPipe|broken pipe|socket hang up|closed the gRPC connection|Failed to connect\b(?! before)/i,
    explain: (s) =>
      s.clientCert
        ? 'the server closed the connection during the TLS handshake, most likely refusing the client certificate in TEMPORAL_TLS_CERT (not signed by a CA it trusts, expired or revoked)'
        : !s.tls
          ? 'the server closed the connection: if it requires TLS (Temporal Cloud, a secured cluster), set TEMPORAL_API_KEY, or TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY, or TEMPORAL_TLS_CA'
          : s.apiKey
            ? 'the server closed the connection during the TLS handshake: if it requires a client certificate (mutual TLS), set ' + CLIENT_CERT_VARS
            : `the server closed the connection during the TLS handshake: it most likely asks for a client certificate (mutual TLS) and none was sent: set ${CLIENT_CERT_VARS}`,
  },
  {
    test: /deadline|timed? ?out|timeout/i,
    explain: () => 'no answer before the connect timeout: is the address reachable from here, and is a firewall in between?',
  },
];

function describeSetup(s: Setup): string {
  if (!s.tls) return 'without TLS';
  const auth = [s.apiKey && 'API key', s.clientCert && 'client certificate'].filter(Boolean).join(' and ');
  return `over TLS${auth ? ` with ${auth}` : ''}`;
}

/** The error's own words and its causes', with gRPC's percent-encoding undone and the SDK's trailing noise cut. */
export function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const text = e instanceof Error ? e.message : String(e);
    if (text && !parts.includes(text)) parts.push(text);
    if (!(e instanceof Error)) break;
  }
  let text = parts.join(': ').replace(/\s*\(\d{4}-\d\d-\d\dT[^)]*\)/g, '').replace(/\.?\s*Resolution note:\s*$/, '').replace(/\s+/g, ' ').trim();
  try {
    text = decodeURIComponent(text);
  } catch {
    // not percent-encoded after all
  }
  return text;
}

/** A failed connection as an error that names the cause and the variable to fix; `detail` overrides the error's own text. */
export function temporalConnectError(err: unknown, config: TemporalSecuritySettings, detail = errorText(err)): TemporalConnectError {
  const setup: Setup = {
    address: config.TEMPORAL_ADDRESS ?? LOCAL_TEMPORAL_ADDRESS,
    tls: Boolean(config.TEMPORAL_API_KEY || config.TEMPORAL_TLS_CERT || config.TEMPORAL_TLS_KEY || config.TEMPORAL_TLS_CA || config.TEMPORAL_TLS_SERVER_NAME),
    apiKey: Boolean(config.TEMPORAL_API_KEY),
    clientCert: Boolean(config.TEMPORAL_TLS_CERT),
    ca: Boolean(config.TEMPORAL_TLS_CA),
    serverName: config.TEMPORAL_TLS_SERVER_NAME,
  };
  let reason: string | undefined;
  for (const rule of RULES) {
    if (rule.test.test(detail) && (reason = rule.explain(setup))) break;
  }
  const message = `Cannot connect to Temporal at ${setup.address} ${describeSetup(setup)}: ${reason ?? 'the connection failed'} (${detail})`;
  return new TemporalConnectError(message, { cause: err });
}
