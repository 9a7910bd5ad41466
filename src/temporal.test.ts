import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { temporalConnectError } from './temporal-errors.js';
import { temporalConnectionOptions } from './temporal.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'temporal-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}
// The configuration checks only that each file is readable PEM of the right kind; TLS itself is the integration test's.
const certPath = file('client.pem', '-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n');
const keyPath = file('client.key', '-----BEGIN PRIVATE KEY-----\nMIIBkey\n-----END PRIVATE KEY-----\n');
const caPath = file('ca.pem', '-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n');
const ADDRESS = 'my-ns.a1b2c.tmprl.cloud:7233';

describe('Temporal connection options from configuration', () => {
  it('no security variable: a plain connection to the address (the local dev server by default)', () => {
    expect(temporalConnectionOptions(loadConfig({}))).toEqual({ address: '127.0.0.1:7233' });
    expect(temporalConnectionOptions(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233' }))).toEqual({ address: 'temporal:7233' });
  });

  it('an API key turns TLS on and is passed as the apiKey option', () => {
    const options = temporalConnectionOptions(loadConfig({ TEMPORAL_ADDRESS: ADDRESS, TEMPORAL_API_KEY: ' secret-key ' }));
    expect(options).toEqual({ address: ADDRESS, tls: {}, apiKey: 'secret-key' });
  });

  it('mutual TLS: the certificate, key and CA files are read; the server name overrides the checked name', () => {
    const options = temporalConnectionOptions(
      loadConfig({ TEMPORAL_ADDRESS: ADDRESS, TEMPORAL_TLS_CERT: certPath, TEMPORAL_TLS_KEY: keyPath, TEMPORAL_TLS_CA: caPath, TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' }),
    );
    expect(options.address).toBe(ADDRESS);
    expect(options.apiKey).toBeUndefined();
    expect(Buffer.from(options.tls!.clientCertPair!.crt).toString()).toBe(readFileSync(certPath, 'utf8'));
    expect(Buffer.from(options.tls!.clientCertPair!.key).toString()).toBe(readFileSync(keyPath, 'utf8'));
    expect(Buffer.from(options.tls!.serverRootCACertificate!).toString()).toBe(readFileSync(caPath, 'utf8'));
    expect(options.tls!.serverNameOverride).toBe('temporal.internal');
  });

  it('an API key and a client certificate together are both used', () => {
    const options = temporalConnectionOptions(loadConfig({ TEMPORAL_ADDRESS: ADDRESS, TEMPORAL_API_KEY: 'k', TEMPORAL_TLS_CERT: certPath, TEMPORAL_TLS_KEY: keyPath }));
    expect(options.apiKey).toBe('k');
    expect(options.tls?.clientCertPair).toBeDefined();
  });
});

describe('bad combinations stop start-up, naming the variable', () => {
  it('a certificate without its key, or a key without its certificate', () => {
    expect(() => loadConfig({ TEMPORAL_ADDRESS: ADDRESS, TEMPORAL_TLS_CERT: certPath })).toThrow(/TEMPORAL_TLS_KEY: required when TEMPORAL_TLS_CERT is set/);
    expect(() => loadConfig({ TEMPORAL_ADDRESS: ADDRESS, TEMPORAL_TLS_KEY: keyPath })).toThrow(/TEMPORAL_TLS_CERT: required when TEMPORAL_TLS_KEY is set/);
  });

  it('a file that does not exist, cannot be read, or holds the wrong kind of PEM', () => {
    const missing = path.join(dir, 'nope.pem');
    expect(() => loadConfig({ TEMPORAL_ADDRESS: ADDRESS, TEMPORAL_TLS_CA: missing })).toThrow(`TEMPORAL_TLS_CA: cannot read the file ${missing} (no such file)`);
    expect(() => loadConfig({ TEMPORAL_ADDRESS: ADDRESS, TEMPORAL_TLS_CA: dir })).toThrow(/TEMPORAL_TLS_CA: cannot read the file .* \(it is a directory\)/);
    // Swapped certificate and key.
    expect(() => loadConfig({ TEMPORAL_ADDRESS: ADDRESS, TEMPORAL_TLS_CERT: keyPath, TEMPORAL_TLS_KEY: certPath })).toThrow(
      /TEMPORAL_TLS_CERT: the file .*client\.key holds no PEM certificate[\s\S]*TEMPORAL_TLS_KEY: the file .*client\.pem holds no PEM private key/,
    );
    if (process.getuid?.() !== 0) {
      // Root reads any file, so an unreadable file can only be made for other users.
      const locked = file('locked.pem', readFileSync(certPath, 'utf8'));
      chmodSync(locked, 0o000);
      expect(() => loadConfig({ TEMPORAL_ADDRESS: ADDRESS, TEMPORAL_TLS_CA: locked })).toThrow(/TEMPORAL_TLS_CA: cannot read the file .* \(permission denied\)/);
    }
  });

  it('credentials without TEMPORAL_ADDRESS (the local dev server has no TLS)', () => {
    expect(() => loadConfig({ TEMPORAL_API_KEY: 'k' })).toThrow(/TEMPORAL_ADDRESS: required when TEMPORAL_API_KEY is set/);
    expect(() => loadConfig({ TEMPORAL_TLS_CERT: certPath, TEMPORAL_TLS_KEY: keyPath })).toThrow(/TEMPORAL_ADDRESS: required when TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY are set/);
  });

  it('a server name that is not a host name', () => {
    expect(() => loadConfig({ TEMPORAL_ADDRESS: ADDRESS, TEMPORAL_TLS_SERVER_NAME: 'https://temporal.example/' })).toThrow(/TEMPORAL_TLS_SERVER_NAME: must be a host name/);
  });
});

describe('a refused connection says what to change', () => {
  // Errors as the SDK reported them on this machine (integration test: src/temporal.int.test.ts).
  const withKey = { TEMPORAL_ADDRESS: ADDRESS, TEMPORAL_API_KEY: 'the-secret-key' };
  const withCert = { TEMPORAL_ADDRESS: ADDRESS, TEMPORAL_TLS_CERT: certPath, TEMPORAL_TLS_KEY: keyPath };
  const cases: [string, object, Error, RegExp][] = [
    [
      'wrong API key (client)',
      withKey,
      new Error('Failed to connect to Temporal server', { cause: new Error('16 UNAUTHENTICATED: Request unauthorized') }),
      /over TLS with API key: the server refused the API key: check TEMPORAL_API_KEY/,
    ],
    [
      'wrong API key (worker)',
      withKey,
      new Error(`Failed to call GetSystemInfo: code: 'The request does not have valid authentication credentials', message: "Request unauthorized"`),
      /the server refused the API key: check TEMPORAL_API_KEY/,
    ],
    [
      'no client certificate (worker)',
      { TEMPORAL_ADDRESS: ADDRESS, TEMPORAL_TLS_CA: caPath },
      new Error('tonic::transport::Error(Transport, hyper::Error(Io, Custom { kind: InvalidData, error: "received fatal alert: CertificateRequired" }))'),
      /asks for a client certificate \(mutual TLS\) and none was sent: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY/,
    ],
    [
      'no client certificate, the alert not read: a broken pipe (worker, seen in CI)',
      { TEMPORAL_ADDRESS: ADDRESS, TEMPORAL_TLS_CA: caPath },
      new Error(`Failed to call GetSystemInfo: code: 'Unknown error', message: "transport error", source: tonic::transport::Error(Transport, hyper::Error(Io, Custom { kind: BrokenPipe, error: "stream closed because of a broken pipe" }))`),
      /most likely asks for a client certificate \(mutual TLS\) and none was sent: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY/,
    ],
    [
      'client certificate from another CA, the refusal read as a reset (worker, TLS 1.3 under load)',
      withCert,
      new Error(`Failed to call GetSystemInfo: code: 'Unknown error', message: "transport error", source: tonic::transport::Error(Transport, hyper::Error(Io, Kind(ConnectionReset)))`),
      /most likely refusing the client certificate in TEMPORAL_TLS_CERT/,
    ],
    [
      'untrusted server certificate (client)',
      withCert,
      new Error('14 UNAVAILABLE: No connection established. Last error: Error: self-signed certificate in certificate chain'),
      /not signed by a CA this machine trusts: set TEMPORAL_TLS_CA/,
    ],
    [
      'server certificate for another name (worker)',
      withCert,
      new Error('InvalidCertificate(NotValidForNameContext { expected: DnsName("my-ns.a1b2c.tmprl.cloud"), presented: [] })'),
      /not issued for the name my-ns\.a1b2c\.tmprl\.cloud: set TEMPORAL_TLS_SERVER_NAME/,
    ],
    [
      'a plain server behind TLS settings (worker)',
      withKey,
      new Error('ConnectError(Custom { kind: InvalidData, error: InvalidMessage(InvalidContentType) })'),
      /does not speak TLS on this port/,
    ],
    [
      'nothing listening (client)',
      { TEMPORAL_ADDRESS: ADDRESS },
      new Error('14 UNAVAILABLE: No connection established. Last error: null; a TCP connection fails: connect ECONNREFUSED 10.0.0.1:7233'),
      /without TLS: nothing accepts connections there/,
    ],
    ['an unknown failure keeps the SDK words', withKey, new Error('something new'), /: the connection failed \(something new\)$/],
  ];
  it.each(cases)('%s', (_label, config, err, expected) => {
    const error = temporalConnectError(err, config);
    expect(error.message).toMatch(new RegExp(`^Cannot connect to Temporal at ${ADDRESS.replaceAll('.', '\\.')} `));
    expect(error.message).toMatch(expected);
    expect(error.message).not.toContain('the-secret-key');
    expect(error.cause).toBe(err);
  });
});
