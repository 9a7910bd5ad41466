import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/*
 * A private certificate authority made for one test with Debian's openssl: a CA, and leaf
 * certificates it signs, written as PEM files (the product reads certificates from file paths).
 * Leaves carry subjectAltName and CA:FALSE, as strict verifiers (rustls in the Temporal worker's
 * core) require.
 */

export interface TestCa {
  dir: string;
  /** The CA certificate's path. */
  caPath: string;
  /** A leaf for `names` (DNS names and IP addresses), signed by this CA. */
  issue(name: string, purpose: 'server' | 'client', names?: string[]): { certPath: string; keyPath: string };
  remove(): void;
}

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function createTestCa(label = 'test'): TestCa {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${label}-pki-`));
  const file = (name: string) => path.join(dir, name);
  openssl(['req', '-x509', ...newKey, '-days', '2', '-subj', `/CN=${label} CA`, '-keyout', file('ca.key'), '-out', file('ca.pem')]);
  return {
    dir,
    caPath: file('ca.pem'),
    issue(name, purpose, names = [name]) {
      const san = names.map((n) => (net.isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
      const ext = file(`${name}.ext`);
      writeFileSync(
        ext,
        [`subjectAltName=${san}`, 'basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', `extendedKeyUsage=${purpose === 'server' ? 'serverAuth' : 'clientAuth'}`].join('\n'),
      );
      const keyPath = file(`${name}.key`);
      const certPath = file(`${name}.pem`);
      openssl(['req', ...newKey, '-subj', `/CN=${name}`, '-keyout', keyPath, '-out', file(`${name}.csr`)]);
      openssl(['x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', certPath]);
      return { certPath, keyPath };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
