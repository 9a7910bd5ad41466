import dns from 'node:dns';
import net from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../src/domain/failures.js';
import { classifyAddress } from '../src/domain/url.js';
import type { Logger } from '../src/logger.js';

// ---------------------------------------------------------------------------------------------
// Address checks (SSRF).
//
// Every host is resolved and its addresses classified before the first request to it, and every
// redirect hop is checked the same way (see fetchResource). What this does NOT cover yet, and the
// place to add it: the connection itself. got resolves the host again when it connects, so a DNS
// answer that changes between our check and the connect (DNS rebinding) is not caught, and https
// requests go over HTTP/2 sessions that bypass http.Agent. The fix is to pin the checked address:
// pass a `dnsLookup` that only returns addresses classifyAddress accepts, and make sure the HTTP/2
// path (http2-wrapper) uses it too, or disable http2.
// ---------------------------------------------------------------------------------------------

/** The hosts one activity attempt has checked: each is resolved once, however many pages it serves. */
export interface HostCheck {
  allowPrivate: boolean;
  checked: Map<string, Promise<void>>;
  /** Where refused addresses are logged: they never go into a failure message, which people see. */
  log: Logger;
}

export function createHostCheck(allowPrivate: boolean, log: Logger): HostCheck {
  return { allowPrivate, checked: new Map(), log };
}

async function resolveHost(hostname: string): Promise<string[]> {
  const literal = hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(literal)) return [literal];
  try {
    const answers = await dns.promises.lookup(hostname, { all: true, verbatim: true });
    return answers.map((a) => a.address);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') {
      throw ApplicationFailure.create({ type: FailureType.SiteUnreachable, message: `The host name ${hostname} does not exist.`, nonRetryable: true });
    }
    // EAI_AGAIN and friends: the resolver had a bad moment; a retry may succeed.
    throw new Error(`Could not resolve ${hostname} (${code ?? String(err)}).`);
  }
}

async function assertPublicHost(hostname: string, check: HostCheck): Promise<void> {
  const addresses = await resolveHost(hostname);
  if (check.allowPrivate) return;
  // One non-public answer is enough to refuse: the connection may pick any of them.
  for (const address of addresses) {
    const kind = classifyAddress(address);
    if (kind === 'public') continue;
    // The address says something about the worker's network: log it, keep it out of the message.
    check.log.warn('refused a host with a non-public address', { hostname, address, kind });
    const literal = net.isIP(hostname.replace(/^\[|\]$/g, '')) !== 0;
    const what = literal ? `${hostname} is a ${kind} address` : `${hostname} resolves to a ${kind} (non-public) address`;
    throw ApplicationFailure.create({ type: FailureType.UrlNotAllowed, message: `${what}; only public sites can be analyzed.`, nonRetryable: true });
  }
}

/** Resolves the URL's host and refuses non-public addresses, once per host and check. */
export function checkHostOnce(check: HostCheck, url: string): Promise<void> {
  const { hostname } = new URL(url);
  let pending = check.checked.get(hostname);
  if (!pending) {
    pending = assertPublicHost(hostname, check);
    check.checked.set(hostname, pending);
  }
  return pending;
}
