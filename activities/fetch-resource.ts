import { STATUS_CODES } from 'node:http';
import { ApplicationFailure } from '@temporalio/common';
import { gotScraping, type Response } from 'got-scraping';
import { urlRefusal } from '../src/domain/address.js';
import { FailureType } from '../src/domain/failures.js';
import { isSameSite, normalizeUrl } from '../src/domain/url.js';
import { checkHostOnce, type HostCheck } from './host-check.js';

/** Total time for one request, body included: a server trickling bytes is cut off here. */
const REQUEST_TIMEOUT_MS = 15_000;
/** Body size after decompression: a gzip bomb stops here, not when it has filled the memory. */
const MAX_BODY_BYTES = 5 * 1024 * 1024;
const MAX_REDIRECTS = 5;
/** Used when the caller passes none (SCRAPE_USER_AGENT is passed in production). */
const FALLBACK_USER_AGENT = 'PersonaAnalyzer';

export interface Fetched {
  finalUrl: string;
  statusCode: number;
  contentType: string | null;
  body: string;
  /** Response validators, for conditional requests later. */
  etag: string | null;
  lastModified: string | null;
}

/** Why a response was not read; these are answers from the site, not transport failures. */
export class RefusedResponse extends Error {
  override name = 'RefusedResponse';
  constructor(
    message: string,
    readonly reason: 'not_accepted' | 'too_large' | 'cross_site_redirect' | 'too_many_redirects' | 'redirect_loop',
  ) {
    super(message);
  }
}

/** Why a request got no answer, in words for people; `code` keeps the system's error code. */
export type FetchFailureReason = 'timeout' | 'dns' | 'tls' | 'connection_refused' | 'connection_reset' | 'unreachable' | 'bad_response';

export class FetchFailure extends Error {
  override name = 'FetchFailure';
  constructor(
    message: string,
    readonly reason: FetchFailureReason,
    readonly code: string,
    /** Whether trying again later may succeed (timeouts, resets) or not (a bad certificate, no such host). */
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const TLS_CODE = /^(CERT_|ERR_TLS_|ERR_SSL_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_(VERIFY|GET)_|EPROTO$|HOSTNAME_MISMATCH$)/;

/** `HTTP 503 (Service Unavailable)`: the status a site answered, with its name. */
export function httpStatusText(status: number): string {
  const name = STATUS_CODES[status];
  return name ? `HTTP ${status} (${name})` : `HTTP ${status}`;
}

/** What is wrong with a site's TLS, from the error code Node's TLS stack gives, in words. */
function tlsProblem(code: string): string {
  if (code === 'CERT_HAS_EXPIRED') return 'its certificate has expired';
  if (code === 'CERT_NOT_YET_VALID') return 'its certificate is not valid yet';
  if (code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN') return 'its certificate is self-signed, not issued by a trusted authority';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') return 'its certificate is for another name';
  if (code.startsWith('UNABLE_TO_')) return 'its certificate was not issued by a trusted authority, or the site does not send the whole chain';
  if (code === 'CERT_REVOKED') return 'its certificate was revoked';
  return 'its certificate or TLS setup is not valid';
}

/** got's and the system's errors as a FetchFailure; ours (refusals, cancellation) pass through. */
function describeTransportError(err: unknown, url: string, timeoutMs: number): unknown {
  if (err instanceof ApplicationFailure || err instanceof RefusedResponse || err instanceof FetchFailure) return err;
  const e = err as { name?: string; code?: string; message?: string; cause?: unknown };
  // An ApplicationFailure raised in our lookup or agent arrives wrapped by got.
  if (e.cause instanceof ApplicationFailure) return e.cause;
  if (e.name === 'AbortError' || e.name === 'CancelError') return err;
  const host = new URL(url).host;
  const code = e.code ?? (e.cause as { code?: string } | undefined)?.code ?? '';
  const fail = (message: string, reason: FetchFailureReason, transient: boolean) => new FetchFailure(message, reason, code || reason, transient, { cause: err });
  if (e.name === 'TimeoutError' || code === 'ETIMEDOUT') {
    return fail(`${host} did not send ${url} within ${Math.round(timeoutMs / 100) / 10} s (timeout).`, 'timeout', true);
  }
  const hostname = new URL(url).hostname;
  if (code === 'ENOTFOUND') return fail(`The name ${hostname} could not be found (DNS).`, 'dns', false);
  if (code === 'EAI_AGAIN') return fail(`The name ${hostname} could not be looked up: its name server did not answer (DNS).`, 'dns', true);
  if (TLS_CODE.test(code)) {
    return fail(`The secure connection to ${host} failed (TLS): ${tlsProblem(code)} (${code}).`, 'tls', false);
  }
  if (code === 'ECONNREFUSED') return fail(`${host} refused the connection: no web server answers there (ECONNREFUSED).`, 'connection_refused', false);
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE') {
    return fail(`${host} closed the connection before answering.`, 'connection_reset', true);
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') return fail(`${host} cannot be reached from here: there is no network route to it (${code}).`, 'unreachable', true);
  if (/^HPE_|^Z_|^ERR_HTTP/.test(code) || e.name === 'ParseError' || e.name === 'ReadError') {
    return fail(`${host} sent a response that cannot be read (${code || e.message}).`, 'bad_response', false);
  }
  return fail(`${host} could not be read (${code || e.message || String(err)}).`, 'connection_reset', true);
}

function charsetOf(contentType: string | null, head: Buffer): string {
  const declared = /charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType ?? '')?.[1];
  if (declared) return declared;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  const meta = /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head.subarray(0, 2048).toString('latin1'))?.[1];
  return meta ?? 'utf-8';
}

function decodeBody(body: Buffer, contentType: string | null): string {
  try {
    return new TextDecoder(charsetOf(contentType, body)).decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body); // unknown charset label
  }
}

export interface FetchOptions {
  signal: AbortSignal;
  /** The address checks of this attempt; every connection goes through its agents. */
  hosts: HostCheck;
  /** Kept for callers that still pass it; requests no longer imitate a browser session. */
  session?: object;
  /** Which successful content types to download; others are refused after the headers. */
  accept: (contentType: string) => boolean;
  /** The User-Agent header of every request (SCRAPE_USER_AGENT). */
  userAgent?: string;
  /** Extra request headers (e.g. conditional request validators). */
  headers?: Record<string, string>;
  /** Overrides of the limits (tests use short ones). */
  timeoutMs?: number;
  maxBytes?: number;
}

export const isHtml = (type: string) => /^\s*(text\/html|application\/xhtml\+xml)\b/i.test(type);
export const anyType = () => true;

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? (value[0] ?? null) : (value ?? null));

/**
 * GET with our limits: each hop's URL and host checked first (scheme, port, addresses, through the
 * check's pinning agents: HTTP/1.1 only, since HTTP/2 sessions would bypass them), redirects
 * followed by hand and only within the site, 15 s per request in total, at most 5 MB after
 * decompression, nothing downloaded whose type is not wanted. HTTP error statuses are returned,
 * not thrown; a refused destination throws an ApplicationFailure (UrlNotAllowed, SiteUnreachable),
 * a refused response a RefusedResponse, a transport failure a FetchFailure saying why.
 */
export async function fetchResource(url: string, opts: FetchOptions): Promise<Fetched> {
  const timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const maxBytes = opts.maxBytes ?? MAX_BODY_BYTES;
  const seen = new Set<string>();
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    seen.add(current);
    const refusal = urlRefusal(current, opts.hosts.policy);
    if (refusal) {
      const message = hop === 0 ? refusal : `${url} redirects to ${current}: ${refusal}`;
      throw ApplicationFailure.create({ type: FailureType.UrlNotAllowed, message, nonRetryable: true });
    }
    try {
      await checkHostOnce(opts.hosts, current);
    } catch (err) {
      if (hop > 0 && err instanceof ApplicationFailure && err.type === FailureType.UrlNotAllowed) {
        throw ApplicationFailure.create({ type: err.type, message: `${url} redirects to ${current}: ${err.message}`, nonRetryable: true });
      }
      throw err;
    }

    let refused: RefusedResponse | undefined;
    const request = gotScraping({
      url: current,
      signal: opts.signal,
      responseType: 'buffer',
      throwHttpErrors: false,
      followRedirect: false,
      retry: { limit: 0 },
      // HTTP/2 sessions (http2-wrapper) connect outside the agents: HTTP/1.1 keeps every connection pinned.
      http2: false,
      agent: opts.hosts.agents,
      dnsLookup: opts.hosts.lookup,
      https: { rejectUnauthorized: true, ...(opts.hosts.ca !== undefined ? { certificateAuthority: opts.hosts.ca } : {}) },
      timeout: { request: timeoutMs },
      // An honest crawler: one User-Agent, no generated browser headers (whose ALPN probe would also
      // open a connection of its own), a strict HTTP parser.
      useHeaderGenerator: false,
      insecureHTTPParser: false,
      headers: {
        'user-agent': opts.userAgent ?? FALLBACK_USER_AGENT,
        accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8',
        ...opts.headers,
      },
    });
    request.on('request', (req) => {
      req.once('response', (res) => {
        const status = res.statusCode ?? 0;
        const type = res.headers['content-type'] ?? '';
        const length = Number(res.headers['content-length'] ?? 0);
        if (status >= 200 && status < 300 && !opts.accept(type)) {
          refused = new RefusedResponse(`${current} is ${type || 'of no declared type'}, not a page.`, 'not_accepted');
        } else if (length > maxBytes && !res.headers['content-encoding']) {
          refused = new RefusedResponse(`${current} is larger than ${maxBytes} bytes.`, 'too_large');
        }
        if (refused) request.cancel();
      });
    });
    // `transferred` counts the body after decompression (got-scraping decompresses before got sees it).
    request.on('downloadProgress', ({ transferred }) => {
      if (transferred > maxBytes && !refused) {
        refused = new RefusedResponse(`${current} is larger than ${maxBytes} bytes.`, 'too_large');
        request.cancel();
      }
    });
    let response: Response<Buffer>;
    try {
      response = (await request) as Response<Buffer>;
    } catch (err) {
      if (refused) throw refused;
      throw describeTransportError(err, current, timeoutMs);
    }
    if (response.body.length > maxBytes) throw new RefusedResponse(`${current} is larger than ${maxBytes} bytes.`, 'too_large');
    const location = response.headers.location;
    if (response.statusCode >= 300 && response.statusCode < 400 && location) {
      let next: string;
      try {
        next = normalizeUrl(new URL(location, current).toString());
      } catch {
        throw new RefusedResponse(`${current} redirects to an address that cannot be followed (${location.slice(0, 200)}).`, 'cross_site_redirect');
      }
      if (!isSameSite(next, url)) {
        throw new RefusedResponse(`${current} redirects to another site (${next}).`, 'cross_site_redirect');
      }
      if (seen.has(next)) throw new RefusedResponse(`${url} redirects in a loop (back to ${next}).`, 'redirect_loop');
      current = next;
      continue;
    }
    const contentType = header(response.headers['content-type']);
    return {
      finalUrl: current,
      statusCode: response.statusCode,
      contentType,
      body: decodeBody(response.body, contentType),
      etag: header(response.headers.etag),
      lastModified: header(response.headers['last-modified']),
    };
  }
  throw new RefusedResponse(`${url} redirects more than ${MAX_REDIRECTS} times.`, 'too_many_redirects');
}
