/** Why a URL was refused before anything was resolved or fetched. */
export class InvalidUrlError extends Error {
  override name = 'InvalidUrlError';
}

/** A well-formed URL that is refused on purpose (scheme, credentials): `URL_NOT_ALLOWED`, not a validation error. */
export class RefusedUrlError extends InvalidUrlError {
  override name = 'RefusedUrlError';
}

/** Query parameters that only carry campaign tracking: dropping them lets one page have one cache key. */
const TRACKING_PARAMS = new Set(['gclid', 'dclid', 'gbraid', 'wbraid', 'fbclid', 'msclkid', 'yclid', 'mc_cid', 'mc_eid', '_hsenc', '_hsmi']);

function isTrackingParam(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith('utm_') || TRACKING_PARAMS.has(lower);
}

/**
 * The canonical form of a page URL: the cache key in `website_content` and the crawl's dedupe key.
 *
 * - http and https only; credentials in the URL are refused (they would be sent to the site).
 * - Host lowercased (IDNs become punycode), trailing dot dropped, default port dropped.
 * - Fragment dropped; utm_* and click-id parameters dropped; other parameters kept in their order.
 * - The path is kept as written. The root path is always '/'; any other trailing slash is kept,
 *   because `/about` and `/about/` are different resources to some servers (one may 404).
 *   Crawl dedupe treats them as one page (see `dedupeKey` in site-links).
 * - A bare host such as `example.com` is read as `https://example.com/`.
 */
export function normalizeUrl(input: string): string {
  const trimmed = input.trim();
  if (trimmed === '') throw new InvalidUrlError('The URL is empty.');
  // "example.com/about" has no scheme; anything with one ("ftp:", "javascript:") is judged below.
  const withScheme = /^[a-z][a-z\d+.-]*:/i.test(trimmed) && !/^[^:/]+:\d+(\/|$)/.test(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new InvalidUrlError(`"${input}" is not a valid URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RefusedUrlError(`Only http and https URLs can be analyzed, not ${url.protocol.slice(0, -1)}.`);
  }
  if (url.username || url.password) throw new RefusedUrlError('URLs with a user name or password are not accepted.');
  const host = url.hostname.replace(/\.$/, '');
  if (host === '') throw new InvalidUrlError(`"${input}" has no host name.`);
  url.hostname = host;
  url.hash = '';
  for (const name of [...url.searchParams.keys()]) {
    if (isTrackingParam(name)) url.searchParams.delete(name);
  }
  // URLSearchParams re-serializes the query; leave it alone when nothing was dropped.
  if ([...url.searchParams.keys()].length === 0) url.search = '';
  return url.toString();
}

/** The site a URL belongs to: its host without a leading `www.` (what `analyses.domain` holds). */
export function siteDomain(url: string): string {
  return domainKey(new URL(url).hostname);
}

/** A lowercase host name as `analyses.domain` keeps it: no trailing dot, no leading `www.`. */
export function domainKey(hostname: string): string {
  return hostname.toLowerCase().replace(/\.$/, '').replace(/^www\./, '');
}

/** host[:port] without a leading `www.`: what two URLs of one site share. */
function siteHost(url: string): string {
  const { host } = new URL(url);
  return host.replace(/\.(?=:\d+$|$)/, '').replace(/^www\./, '');
}

/**
 * Whether two URLs are on the same site: the same host and port once `www.` is ignored (http and
 * https count as one site). Other subdomains (docs., blog.) count as other sites: each host needs
 * its own address check, and without a public-suffix list "registrable domain" cannot be computed
 * correctly anyway. Another port is another server, so another site.
 */
export function isSameSite(a: string, b: string): boolean {
  try {
    return siteHost(a) === siteHost(b);
  } catch {
    return false;
  }
}

// Address classification lives in address.ts; re-exported for the callers that import it from here.
export { classifyAddress, type AddressClass } from './address.js';
