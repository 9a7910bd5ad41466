import { gotScraping } from 'got-scraping';
import { isSameSite, normalizeUrl } from '../src/domain/url.js';
import { checkHostOnce, type HostCheck } from './host-check.js';

const REQUEST_TIMEOUT_MS = 15_000;
const MAX_BODY_BYTES = 5 * 1024 * 1024;
const MAX_REDIRECTS = 5;

export interface Fetched {
  finalUrl: string;
  statusCode: number;
  contentType: string | null;
  body: string;
}

/** Why a response was not read; these are answers from the site, not transport failures. */
export class RefusedResponse extends Error {
  override name = 'RefusedResponse';
  constructor(
    message: string,
    readonly reason: 'not_accepted' | 'too_large' | 'cross_site_redirect' | 'too_many_redirects',
  ) {
    super(message);
  }
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
  hosts: HostCheck;
  /** got-scraping keeps one consistent browser fingerprint for requests sharing this object. */
  session: object;
  /** Which successful content types to download; others are refused after the headers. */
  accept: (contentType: string) => boolean;
}

export const isHtml = (type: string) => /^\s*(text\/html|application\/xhtml\+xml)\b/i.test(type);
export const anyType = () => true;

/**
 * GET with our limits: each hop's host checked first, redirects followed by hand and only within
 * the site, 15 s per request, at most 5 MB, nothing downloaded whose type is not wanted.
 * HTTP error statuses are returned, not thrown; transport failures throw got's errors.
 */
export async function fetchResource(url: string, opts: FetchOptions): Promise<Fetched> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    await checkHostOnce(opts.hosts, current);
    let refused: RefusedResponse | undefined;
    const request = gotScraping({
      url: current,
      signal: opts.signal,
      sessionToken: opts.session,
      responseType: 'buffer',
      throwHttpErrors: false,
      followRedirect: false,
      retry: { limit: 0 },
      timeout: { request: REQUEST_TIMEOUT_MS },
    });
    request.on('request', (req) => {
      req.once('response', (res) => {
        const status = res.statusCode ?? 0;
        const type = res.headers['content-type'] ?? '';
        const length = Number(res.headers['content-length'] ?? 0);
        if (status >= 200 && status < 300 && !opts.accept(type)) {
          refused = new RefusedResponse(`${current} is ${type || 'of no declared type'}, not a page.`, 'not_accepted');
        } else if (length > MAX_BODY_BYTES) {
          refused = new RefusedResponse(`${current} is larger than ${MAX_BODY_BYTES} bytes.`, 'too_large');
        }
        if (refused) request.cancel();
      });
    });
    request.on('downloadProgress', ({ transferred }) => {
      if (transferred > MAX_BODY_BYTES && !refused) {
        refused = new RefusedResponse(`${current} is larger than ${MAX_BODY_BYTES} bytes.`, 'too_large');
        request.cancel();
      }
    });
    let response;
    try {
      response = await request;
    } catch (err) {
      if (refused) throw refused;
      throw err;
    }
    const location = response.headers.location;
    if (response.statusCode >= 300 && response.statusCode < 400 && location) {
      const next = normalizeUrl(new URL(location, current).toString());
      if (!isSameSite(next, url)) {
        throw new RefusedResponse(`${current} redirects to another site (${next}).`, 'cross_site_redirect');
      }
      current = next;
      continue;
    }
    const contentType = response.headers['content-type'] ?? null;
    return { finalUrl: current, statusCode: response.statusCode, contentType, body: decodeBody(response.body, contentType) };
  }
  throw new RefusedResponse(`${url} redirects more than ${MAX_REDIRECTS} times.`, 'too_many_redirects');
}
