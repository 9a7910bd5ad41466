import net from 'node:net';

/** Why a URL was refused before anything was resolved or fetched. */
export class InvalidUrlError extends Error {
  override name = 'InvalidUrlError';
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
    throw new InvalidUrlError(`Only http and https URLs can be analyzed, not ${url.protocol.slice(0, -1)}.`);
  }
  if (url.username || url.password) throw new InvalidUrlError('URLs with a user name or password are not accepted.');
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

export type AddressClass = 'public' | 'private' | 'loopback' | 'link-local' | 'metadata' | 'reserved';

function blockList(ranges: readonly string[]): net.BlockList {
  const list = new net.BlockList();
  for (const range of ranges) {
    const [address, prefix] = range.split('/') as [string, string | undefined];
    const family = net.isIPv6(address) ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return list;
}

// Checked in this order: the first match wins (metadata addresses sit inside link-local and ULA ranges).
const ADDRESS_CLASSES: ReadonlyArray<[Exclude<AddressClass, 'public'>, net.BlockList]> = [
  [
    'metadata',
    blockList([
      '169.254.169.254', // AWS, GCP, Azure, OpenStack, DigitalOcean instance metadata
      '169.254.170.2', // AWS ECS task metadata
      '100.100.100.200', // Alibaba Cloud metadata
      'fd00:ec2::254', // AWS IPv6 instance metadata
    ]),
  ],
  ['loopback', blockList(['127.0.0.0/8', '::1/128'])],
  ['link-local', blockList(['169.254.0.0/16', 'fe80::/10'])],
  [
    'private',
    blockList([
      '10.0.0.0/8',
      '172.16.0.0/12',
      '192.168.0.0/16',
      '100.64.0.0/10', // carrier-grade NAT: another operator's private network
      'fc00::/7', // unique local addresses (fd00::/8 in practice)
      'fec0::/10', // deprecated site-local
    ]),
  ],
  [
    'reserved',
    blockList([
      '0.0.0.0/8',
      '192.0.0.0/24',
      '192.0.2.0/24',
      '192.88.99.0/24',
      '198.18.0.0/15',
      '198.51.100.0/24',
      '203.0.113.0/24',
      '224.0.0.0/4', // multicast
      '240.0.0.0/4', // reserved, including 255.255.255.255
      '::/128',
      '::/96', // deprecated IPv4-compatible addresses
      '100::/64', // discard
      '64:ff9b:1::/48', // local-use NAT64
      '2001::/23', // IETF protocol assignments (Teredo, ORCHID, ...)
      '2001:db8::/32', // documentation
      '2002::/16', // 6to4: embeds an IPv4 address we would have to trust
      'ff00::/8', // multicast
    ]),
  ],
];

/** The eight 16-bit groups of an IPv6 address (valid input assumed, zone id removed). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const [a, b, c, d] = dotted[1].split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  if (tail === undefined) return left;
  const right = parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::a.b.c.d) IPv6 address. */
function embeddedIPv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  const mapped = g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff;
  const nat64 = g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0);
  if (!mapped && !nat64) return undefined;
  const [hi = 0, lo = 0] = g.slice(6);
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

/**
 * What kind of network an IP address belongs to. Only 'public' addresses may be crawled (unless
 * SCRAPE_ALLOW_PRIVATE_NETWORKS): everything else reaches the worker's own machine, its network or
 * its cloud's metadata service. Throws a TypeError for something that is not an IP address.
 */
export function classifyAddress(ip: string): AddressClass {
  const address = ip.trim().replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = net.isIP(address);
  if (family === 0) throw new TypeError(`Not an IP address: ${ip}`);
  if (family === 6) {
    const v4 = embeddedIPv4(address);
    if (v4 !== undefined) return classifyAddress(v4);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [kind, list] of ADDRESS_CLASSES) {
    if (list.check(address, type)) return kind;
  }
  return 'public';
}
