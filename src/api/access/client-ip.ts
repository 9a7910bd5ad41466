import { BlockList, isIP } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

/** `::ffff:10.0.0.1` is how a dual-stack socket reports an IPv4 peer: compare it as IPv4. */
function plain(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

function family(address: string): 'ipv4' | 'ipv6' | undefined {
  const f = isIP(address);
  return f === 4 ? 'ipv4' : f === 6 ? 'ipv6' : undefined;
}

/** TRUSTED_PROXIES (already validated by the config schema) as a matcher. */
export function trustedProxies(entries: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const type = family(plain(address));
    if (!type) continue;
    if (bits === undefined) list.addAddress(plain(address), type);
    else list.addSubnet(plain(address), Number(bits), type);
  }
  return (address) => {
    const type = family(address);
    return type !== undefined && list.check(address, type);
  };
}

/** The socket's peer; `unknown` where there is no socket (app.request in unit tests). */
function peerAddress(c: Context): string {
  try {
    return plain(getConnInfo(c).remote.address ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

/**
 * The client's address. X-Forwarded-For is believed only as far as it was written by trusted
 * proxies: walking from the right (the hop nearest to us), each trusted address passes the question
 * one hop further; the first address not trusted is the client. Anything a client wrote itself sits
 * to the left of that and is never reached, so a forged header cannot pick a rate-limit bucket.
 */
export function clientAddress(c: Context, isTrusted: (address: string) => boolean): string {
  let client = peerAddress(c);
  if (!isTrusted(client)) return client;
  const forwarded = (c.req.header('X-Forwarded-For') ?? '')
    .split(',')
    .map((hop) => plain(hop.trim()))
    .filter(Boolean);
  for (const hop of forwarded.reverse()) {
    // Garbage in the chain: the last trusted proxy is the best we know.
    if (!family(hop)) break;
    client = hop;
    if (!isTrusted(hop)) break;
  }
  return client;
}
