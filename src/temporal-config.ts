import { readFileSync } from 'node:fs';
import { z } from 'zod';

/*
 * The rules for TEMPORAL_API_KEY and TEMPORAL_TLS_* (see src/temporal.ts for how they become
 * connection options). Checked when the configuration loads, so a wrong combination or an
 * unreadable file stops start-up with the variable's name, not at the first connection.
 */

const PEM_MARKERS = {
  certificate: /-----BEGIN CERTIFICATE-----/,
  'private key': /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
} as const;

/** A file path whose file can be read now and holds a PEM certificate or private key. */
export function pemFile(kind: keyof typeof PEM_MARKERS) {
  return z.string().superRefine((file, ctx) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : String(code ?? err);
      ctx.addIssue({ code: 'custom', message: `cannot read the file ${file} (${why}); expected the path of a PEM ${kind}` });
      return;
    }
    if (!PEM_MARKERS[kind].test(text)) {
      ctx.addIssue({ code: 'custom', message: `the file ${file} holds no PEM ${kind} (no "-----BEGIN ${kind === 'certificate' ? 'CERTIFICATE' : 'PRIVATE KEY'}-----" line)` });
    }
  });
}

export interface TemporalSecuritySettings {
  TEMPORAL_ADDRESS?: string | undefined;
  TEMPORAL_API_KEY?: string | undefined;
  TEMPORAL_TLS_CERT?: string | undefined;
  TEMPORAL_TLS_KEY?: string | undefined;
  TEMPORAL_TLS_CA?: string | undefined;
  TEMPORAL_TLS_SERVER_NAME?: string | undefined;
}

/** The variables that turn TLS on; any one of them is set: the connection is secured. */
export const TEMPORAL_SECURITY_VARIABLES = ['TEMPORAL_API_KEY', 'TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_CA', 'TEMPORAL_TLS_SERVER_NAME'] as const;

/** Combinations that cannot work; each issue names the variable to set. */
export function checkTemporalSecurity(config: TemporalSecuritySettings, ctx: z.RefinementCtx): void {
  if (config.TEMPORAL_TLS_CERT && !config.TEMPORAL_TLS_KEY) {
    ctx.addIssue({ code: 'custom', path: ['TEMPORAL_TLS_KEY'], message: 'required when TEMPORAL_TLS_CERT is set: the path of the client certificate\'s private key (PEM)' });
  }
  if (config.TEMPORAL_TLS_KEY && !config.TEMPORAL_TLS_CERT) {
    ctx.addIssue({ code: 'custom', path: ['TEMPORAL_TLS_CERT'], message: 'required when TEMPORAL_TLS_KEY is set: the path of the client certificate (PEM) that goes with the key' });
  }
  const set = TEMPORAL_SECURITY_VARIABLES.filter((name) => config[name]);
  if (set.length > 0 && !config.TEMPORAL_ADDRESS) {
    // Without an address the local dev server is used (or started by `npm run dev`), and it has no TLS.
    ctx.addIssue({
      code: 'custom',
      path: ['TEMPORAL_ADDRESS'],
      message: `required when ${set.join(', ')} ${set.length > 1 ? 'are' : 'is'} set: the secured cluster's host:port (e.g. my-ns.a1b2c.tmprl.cloud:7233); the local dev server has no TLS`,
    });
  }
}
