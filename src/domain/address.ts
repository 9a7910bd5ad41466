import net from 'node:net';

/*
 * Which destinations the crawler may connect to (SSRF). Pure functions: no resolution, no I/O.
 *
 *   classifyAddress(ip)        what kind of network an IP address (in any spelling) belongs to
 *   classifyHostName(name)     names that are never public whatever DNS says (localhost, metadata)
 *   isAllowedClass(kind, p)    the policy: public always; loopback and private only for local testing
 *   urlRefusal(url, policy)    what can be told from a URL alone: scheme, credentials, port, literal host
 *
 * activities/host-check.ts resolves names and pins the checked addresses on every connection.
 */

export type AddressClass =
  | 'public'
  | 'private' // RFC 1918, CGNAT (100.64/10), IPv6 unique-local and site-local
  | 'loopback'
  | 'link-local'
  | 'metadata' // cloud instance metadata services
  | 'multicast'
  | 'unspecified' // 0.0.0.0/8 and ::, which connect to the local machine
  | 'reserved'; // documentation, benchmarking, broadcast, translation and tunnel prefixes, ...

/** What an address class is called in a message for people. */
export const ADDRESS_CLASS_WORDS: Record<AddressClass, string> = {
  public: 'public',
  private: 'private',
  loopback: 'loopback',
  'link-local': 'link-local',
  metadata: 'cloud metadata',
  multicast: 'multicast',
  unspecified: 'unspecified',
  reserved: 'reserved',
};

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
      '169.254.169.254', // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle instance metadata
      '169.254.170.2', // AWS ECS task metadata
      '169.254.169.253', // AWS VPC DNS
      '100.100.100.200', // Alibaba Cloud metadata
      '168.63.129.16', // Azure wire server
      '192.0.0.192', // Oracle Cloud metadata
      'fd00:ec2::254', // AWS IPv6 instance metadata
      'fd00:ec2::253', // AWS IPv6 DNS
    ]),
  ],
  ['loopback', blockList(['127.0.0.0/8', '::1/128'])],
  ['unspecified', blockList(['0.0.0.0/8', '::/128'])],
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
  ['multicast', blockList(['224.0.0.0/4', 'ff00::/8'])],
  [
    'reserved',
    blockList([
      '192.0.0.0/24', // IETF protocol assignments
      '192.0.2.0/24', // documentation
      '192.88.99.0/24', // 6to4 relay anycast
      '198.18.0.0/15', // benchmarking
      '198.51.100.0/24', // documentation
      '203.0.113.0/24', // documentation
      '240.0.0.0/4', // reserved, including 255.255.255.255
      '100::/64', // discard
      '64:ff9b:1::/48', // local-use NAT64
      '2001::/23', // IETF protocol assignments (Teredo 2001::/32, ORCHID, ...)
      '2001:db8::/32', // documentation
      '2002::/16', // 6to4: embeds an IPv4 address we would have to trust
      '3fff::/20', // documentation
      '5f00::/16', // segment routing SIDs
    ]),
  ],
];

/**
 * An IPv4 address as the WHATWG URL parser and inet_aton read one: one to four parts, each
 * decimal, octal (leading 0) or hex (0x), the last part filling the remaining bytes. So
 * `2130706433`, `0x7f000001`, `0177.0.0.1`, `0x7f.1` and `127.1` are all 127.0.0.1.
 * Returns the dotted-quad form, or undefined when the text is not such an address.
 */
export function parseIPv4(text: string): string | undefined {
  const parts = text.replace(/\.$/, '').split('.');
  if (parts.length === 0 || parts.length > 4) return undefined;
  const numbers: number[] = [];
  for (const part of parts) {
    let n: number;
    if (/^0x[0-9a-f]*$/i.test(part)) n = part.length === 2 ? 0 : parseInt(part.slice(2), 16);
    else if (/^0[0-7]+$/.test(part)) n = parseInt(part.slice(1), 8);
    else if (/^(0|[1-9]\d*)$/.test(part)) n = Number(part);
    else return undefined;
    if (!Number.isSafeInteger(n)) return undefined;
    numbers.push(n);
  }
  const last = numbers.pop()!;
  if (numbers.some((n) => n > 255) || last >= 256 ** (4 - numbers.length)) return undefined;
  let value = last;
  numbers.forEach((n, i) => (value += n * 256 ** (3 - i)));
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}

/** The eight 16-bit groups of a valid IPv6 address (zone id removed). */
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

const v4FromGroups = (hi: number, lo: number) => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');

type Embedding = 'mapped' | 'translated' | 'compatible' | 'nat64' | '6to4' | 'teredo';

/**
 * The IPv4 address an IPv6 address carries and that a host or gateway would deliver to:
 * IPv4-mapped (::ffff:a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d), IPv4-compatible (::a.b.c.d),
 * NAT64 (64:ff9b::a.b.c.d), 6to4 (2002:aabb:ccdd::) and Teredo (2001:0::, client address inverted).
 */
export function embeddedIPv4(address: string): { v4: string; via: Embedding } | undefined {
  const g = ipv6Groups(address);
  if (g.length !== 8) return undefined;
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  const tail = v4FromGroups(g[6]!, g[7]!);
  if (zeros(0, 5) && g[5] === 0xffff) return { v4: tail, via: 'mapped' };
  if (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) return { v4: tail, via: 'translated' };
  if (zeros(0, 6) && (g[6] !== 0 || g[7]! > 1)) return { v4: tail, via: 'compatible' }; // not :: or ::1
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return { v4: tail, via: 'nat64' };
  if (g[0] === 0x2002) return { v4: v4FromGroups(g[1]!, g[2]!), via: '6to4' };
  if (g[0] === 0x2001 && g[1] === 0) return { v4: v4FromGroups(g[6]! ^ 0xffff, g[7]! ^ 0xffff), via: 'teredo' };
  return undefined;
}

/** The canonical text of an IP address in any spelling (brackets, zone id, short IPv4), or undefined. */
export function parseIP(text: string): { address: string; family: 4 | 6 } | undefined {
  const bare = text.trim().replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (net.isIPv6(bare)) return { address: bare.toLowerCase(), family: 6 };
  const v4 = parseIPv4(bare);
  return v4 === undefined ? undefined : { address: v4, family: 4 };
}

/**
 * What kind of network an IP address belongs to. Only 'public' addresses may be crawled (loopback
 * and private ones too with SCRAPE_ALLOW_PRIVATE_NETWORKS): everything else reaches the worker's own
 * machine, its network or its cloud's metadata service. Accepts every spelling a URL host may use
 * (`2130706433`, `0x7f.1`, `[::ffff:127.0.0.1]`). Throws a TypeError for something that is not an IP address.
 */
export function classifyAddress(ip: string): AddressClass {
  const parsed = parseIP(ip);
  if (!parsed) throw new TypeError(`Not an IP address: ${ip}`);
  const { address, family } = parsed;
  if (family === 6) {
    const embedded = embeddedIPv4(address);
    if (embedded !== undefined) {
      const inner = classifyAddress(embedded.v4);
      if (inner !== 'public') return inner;
      // A mapped address is the IPv4 host itself; NAT64 is how an IPv6-only network reaches public
      // IPv4 sites. Compatible, translated, 6to4 and Teredo forms are tunnels we would have to trust.
      return embedded.via === 'mapped' || embedded.via === 'nat64' ? 'public' : 'reserved';
    }
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [kind, list] of ADDRESS_CLASSES) {
    if (list.check(address, type)) return kind;
  }
  // Only global unicast (2000::/3) is public in IPv6; everything else is unassigned or special.
  if (family === 6 && (ipv6Groups(address)[0]! & 0xe000) !== 0x2000) return 'reserved';
  return 'public';
}

/**
 * Host names that are never public, whatever a resolver answers: `localhost` and its subdomains
 * (RFC 6761) and the metadata services' names. Returns undefined for other names.
 */
export function classifyHostName(hostname: string): AddressClass | undefined {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost') || name === 'localhost.localdomain') return 'loopback';
  if (name === 'metadata.google.internal' || name === 'metadata' || name === 'instance-data' || name.startsWith('instance-data.')) return 'metadata';
  return undefined;
}

export interface AddressPolicy {
  /** SCRAPE_ALLOW_PRIVATE_NETWORKS: loopback and private ranges admitted, for local testing. */
  allowPrivate: boolean;
  /** SCRAPE_ALLOWED_PORTS; 'any' when every port is admitted. */
  allowedPorts: readonly number[] | 'any';
}

/** The policy: public always; loopback and private ranges for local testing; the rest never. */
export function isAllowedClass(kind: AddressClass, allowPrivate: boolean): boolean {
  if (kind === 'public') return true;
  return allowPrivate && (kind === 'loopback' || kind === 'private');
}

/**
 * Why a destination of this class is refused, in words for people. Never contains a resolved
 * address (that would tell about the worker's network); `what` is the name or literal the user gave.
 */
export function refusalMessage(what: string, kind: AddressClass, resolved: boolean, allowPrivate: boolean): string {
  const words = ADDRESS_CLASS_WORDS[kind];
  const article = /^[aeiou]/.test(words) ? 'an' : 'a';
  const subject = resolved ? `${what} resolves to ${article} ${words} (non-public) address` : `${what} is ${article} ${words} (non-public) address`;
  if (kind === 'loopback' || kind === 'private') {
    return `${subject}; only public sites can be analyzed. SCRAPE_ALLOW_PRIVATE_NETWORKS=true admits loopback and private addresses, for local testing only.`;
  }
  const setting = allowPrivate ? 'even with SCRAPE_ALLOW_PRIVATE_NETWORKS=true' : 'SCRAPE_ALLOW_PRIVATE_NETWORKS does not change that';
  return `${subject}; only public sites can be analyzed (${setting}).`;
}

/** The ports the policy admits, for messages. */
function portList(ports: readonly number[]): string {
  return ports.length === 0 ? 'none' : ports.join(', ');
}

/** The port a URL connects to. */
export function portOf(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/**
 * What can be told from the URL alone, before anything is resolved or sent: the scheme, user
 * names and passwords, the port, a literal or special host. Returns the refusal message, or
 * undefined when the URL may go on to the address check of its resolved host.
 */
export function urlRefusal(input: string | URL, policy: AddressPolicy): string | undefined {
  let url: URL;
  try {
    url = typeof input === 'string' ? new URL(input) : input;
  } catch {
    return `"${String(input)}" is not a valid URL.`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `Only http and https URLs can be analyzed, not ${url.protocol.slice(0, -1)}.`;
  }
  if (url.username || url.password) return 'URLs with a user name or password are not accepted.';
  const host = url.hostname;
  const literal = parseIP(host);
  const kind = literal ? classifyAddress(literal.address) : classifyHostName(host);
  if (kind !== undefined && !isAllowedClass(kind, policy.allowPrivate)) {
    // A special name (localhost, metadata.google.internal) "resolves to" its class; a literal "is" one.
    return refusalMessage(literal ? literal.address : host, kind, !literal, policy.allowPrivate);
  }
  const port = portOf(url);
  if (policy.allowedPorts !== 'any' && !policy.allowedPorts.includes(port)) {
    return `Port ${port} is not allowed: sites are read on ports ${portList(policy.allowedPorts)} only (SCRAPE_ALLOWED_PORTS).`;
  }
  return undefined;
}

/**
 * The ports admitted: SCRAPE_ALLOWED_PORTS when set; otherwise 80 and 443, or any port under
 * SCRAPE_ALLOW_PRIVATE_NETWORKS (local testing, where sites run on dev-server ports).
 */
export function allowedPorts(config: { SCRAPE_ALLOW_PRIVATE_NETWORKS: boolean; SCRAPE_ALLOWED_PORTS?: readonly number[] | 'any' | undefined }): readonly number[] | 'any' {
  return config.SCRAPE_ALLOWED_PORTS ?? (config.SCRAPE_ALLOW_PRIVATE_NETWORKS ? 'any' : [80, 443]);
}

/** The address policy of a configuration. */
export function addressPolicy(config: { SCRAPE_ALLOW_PRIVATE_NETWORKS: boolean; SCRAPE_ALLOWED_PORTS?: readonly number[] | 'any' | undefined }): AddressPolicy {
  return { allowPrivate: config.SCRAPE_ALLOW_PRIVATE_NETWORKS, allowedPorts: allowedPorts(config) };
}
