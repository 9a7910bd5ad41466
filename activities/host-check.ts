import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { classifyAddress, classifyHostName, isAllowedClass, parseIP, refusalMessage, urlRefusal, type AddressClass, type AddressPolicy } from '../src/domain/address.js';
import { FailureType } from '../src/domain/failures.js';
import type { Logger } from '../src/logger.js';

// ---------------------------------------------------------------------------------------------
// Address checks (SSRF).
//
// Every host is resolved once per activity attempt, through an injectable resolver, and all its
// addresses classified before the first byte is sent to it. The checked addresses are then PINNED:
// every connection of the attempt goes through this check's own http/https agents, whose
// createConnection hands the socket a lookup that answers only from the checked addresses (so a
// DNS answer that changes between the check and the connect, DNS rebinding, never reaches a
// socket) and refuses a literal address the policy does not admit. fetch-resource turns HTTP/2
// off (got-scraping's HTTP/2 sessions bypass agents) and checks every redirect hop the same way.
// ---------------------------------------------------------------------------------------------

/** Resolves a host name to its addresses; production uses the system resolver, tests their own map. */
export type Resolver = (hostname: string) => Promise<string[]>;

/** getaddrinfo, as every other program on the machine resolves names (hosts file included). */
export const systemResolver: Resolver = async (hostname) => {
  const answers = await dns.promises.lookup(hostname, { all: true, order: 'verbatim' });
  return answers.map((a) => a.address);
};

export interface HostCheckOptions {
  /** SCRAPE_ALLOWED_PORTS; default 80 and 443. */
  allowedPorts?: readonly number[] | 'any';
  /** Default: the system resolver. */
  resolve?: Resolver;
  /** Extra trusted certificate authorities (PEM): tests trust their self-signed certificate. */
  ca?: string | Buffer;
  /**
   * Tests only (the activities never pass it): how addresses are classified, so that a test can let
   * one loopback address play the public Internet while the rest of the loopback stays refused.
   */
  classify?: (address: string) => AddressClass;
}

/** The hosts one activity attempt has checked: each is resolved once, however many pages it serves. */
export interface HostCheck {
  allowPrivate: boolean;
  policy: AddressPolicy;
  resolve: Resolver;
  /** Host name (as in the URL) → its checked addresses. */
  checked: Map<string, Promise<string[]>>;
  /** Where refused addresses are logged: they never go into a failure message, which people see. */
  log: Logger;
  /** A socket lookup that answers only from checked addresses. */
  lookup: net.LookupFunction;
  /** The only agents requests of this attempt may use: they pin every connection to checked addresses. */
  agents: { http: http.Agent; https: https.Agent };
  ca?: string | Buffer;
  classify: (address: string) => AddressClass;
}

export const DEFAULT_ALLOWED_PORTS: readonly number[] = [80, 443];

export function createHostCheck(allowPrivate: boolean, log: Logger, options: HostCheckOptions = {}): HostCheck {
  const check = {
    allowPrivate,
    policy: { allowPrivate, allowedPorts: options.allowedPorts ?? DEFAULT_ALLOWED_PORTS },
    resolve: options.resolve ?? systemResolver,
    checked: new Map(),
    log,
    classify: options.classify ?? classifyAddress,
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
  } as Omit<HostCheck, 'lookup' | 'agents'> as HostCheck;
  check.lookup = pinnedLookup(check);
  check.agents = { http: guardedAgent(new http.Agent(AGENT_OPTIONS), check), https: guardedAgent(new https.Agent(AGENT_OPTIONS), check) };
  return check;
}

const unreachable = (message: string, retryable: boolean) =>
  ApplicationFailure.create({ type: retryable ? FailureType.SiteUnavailable : FailureType.SiteUnreachable, message, nonRetryable: !retryable });

async function resolveHost(check: HostCheck, hostname: string): Promise<string[]> {
  let addresses: string[];
  try {
    addresses = await check.resolve(hostname);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA' || code === 'EAI_NONAME' || code === 'EAI_NODATA') {
      throw unreachable(`The name ${hostname} could not be found (DNS): no such host exists. Check the address for typos.`, false);
    }
    // EAI_AGAIN and friends: the resolver had a bad moment; a retry may succeed.
    check.log.warn('host name not resolved', { hostname, code: code ?? String(err) });
    // Retryable, but the message may be the last one a person reads: it says what happened, not what comes next.
    throw unreachable(`The name ${hostname} could not be looked up: its name server did not answer (DNS).`, true);
  }
  if (addresses.length === 0) throw unreachable(`The name ${hostname} has no addresses (DNS).`, false);
  return addresses;
}

function refuse(check: HostCheck, what: string, kind: AddressClass, resolved: boolean): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.UrlNotAllowed,
    message: refusalMessage(what, kind, resolved, check.allowPrivate),
    nonRetryable: true,
  });
}

/** The host's addresses, every one of them admitted by the policy; refuses otherwise. */
async function checkedAddresses(check: HostCheck, hostname: string): Promise<string[]> {
  const literal = parseIP(hostname);
  if (literal) {
    const kind = check.classify(literal.address);
    if (!isAllowedClass(kind, check.allowPrivate)) throw refuse(check, literal.address, kind, false);
    return [literal.address];
  }
  const special = classifyHostName(hostname);
  if (special && !isAllowedClass(special, check.allowPrivate)) throw refuse(check, hostname, special, false);
  const addresses = (await resolveHost(check, hostname)).map((a) => parseIP(a)?.address ?? a);
  // One refused answer is enough to refuse the host: a connection may pick any of them.
  for (const address of addresses) {
    if (!net.isIP(address)) throw unreachable(`The name ${hostname} could not be resolved to an address (DNS).`, false);
    const kind = check.classify(address);
    if (isAllowedClass(kind, check.allowPrivate)) continue;
    // The address says something about the worker's network: log it, keep it out of the message.
    check.log.warn('refused a host with a non-public address', { hostname, address, kind });
    throw refuse(check, hostname, kind, true);
  }
  return addresses;
}

/** Resolves and checks a host once per check; later calls share the answer (and the refusal). */
export function addressesOf(check: HostCheck, hostname: string): Promise<string[]> {
  const key = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  let pending = check.checked.get(key);
  if (!pending) {
    pending = checkedAddresses(check, key);
    check.checked.set(key, pending);
  }
  return pending;
}

/**
 * Refuses what the URL alone tells (scheme, credentials, port, a literal or special host), then
 * resolves its host and refuses non-public addresses, once per host and check.
 */
export async function checkHostOnce(check: HostCheck, url: string): Promise<void> {
  const refusal = urlRefusal(url, check.policy);
  if (refusal) throw ApplicationFailure.create({ type: FailureType.UrlNotAllowed, message: refusal, nonRetryable: true });
  await addressesOf(check, new URL(url).hostname);
}

/**
 * The socket-level lookup of this check: answers with the addresses that were checked, never with
 * a fresh resolution. Follows the net.LookupFunction contract (`all` or a single address).
 */
function pinnedLookup(check: HostCheck): net.LookupFunction {
  return (hostname, options, callback) => {
    addressesOf(check, hostname).then(
      (addresses) => {
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const wanted = family === 4 || family === 6 ? addresses.filter((a) => net.isIP(a) === family) : addresses;
        if (wanted.length === 0) {
          const err: NodeJS.ErrnoException = new Error(`No IPv${family} address for ${hostname}`);
          err.code = 'ENOTFOUND';
          callback(err, '', 0);
        } else if (options.all) {
          (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, wanted.map((address) => ({ address, family: net.isIP(address) })));
        } else {
          callback(null, wanted[0]!, net.isIP(wanted[0]!));
        }
      },
      (err: Error) => callback(err as NodeJS.ErrnoException, '', 0),
    );
  };
}

type ConnectOptions = { host?: string | null; hostname?: string | null; lookup?: net.LookupFunction };

/**
 * Every connection of the agents goes through here: a host name gets the pinned lookup, whatever
 * the request asked for; a literal address is classified (it never passes through a lookup).
 * A refused destination gets a socket that fails before connecting.
 */
function guard<T extends ConnectOptions>(check: HostCheck, options: T): { options: T; refused?: Error } {
  const host = (options.host ?? options.hostname ?? '').replace(/^\[|\]$/g, '');
  const literal = parseIP(host);
  if (literal && net.isIP(host)) {
    const kind = check.classify(literal.address);
    if (!isAllowedClass(kind, check.allowPrivate)) return { options, refused: refuse(check, literal.address, kind, false) };
    return { options };
  }
  return { options: { ...options, lookup: check.lookup } };
}

function failedSocket(err: Error): net.Socket {
  const socket = new net.Socket();
  process.nextTick(() => socket.destroy(err));
  return socket;
}

// Idle keep-alive sockets close after 5 s; they are unref'd, so they never hold the worker open.
const AGENT_OPTIONS = { keepAlive: true, timeout: 5_000, maxSockets: 6 };

/** An agent whose every new connection goes through `guard`: pinned to checked addresses, or refused. */
function guardedAgent<A extends http.Agent>(agent: A, check: HostCheck): A {
  type Connect = (options: ConnectOptions, callback?: (err: Error | null, socket: net.Socket) => void) => net.Socket;
  const connect = (agent as unknown as { createConnection: Connect }).createConnection.bind(agent);
  (agent as unknown as { createConnection: Connect }).createConnection = (options, callback) => {
    const guarded = guard(check, options);
    return guarded.refused ? failedSocket(guarded.refused) : connect(guarded.options, callback);
  };
  return agent;
}
