import http from 'node:http';
import https from 'node:https';
import { ApplicationFailure } from '@temporalio/common';
import { Webhook } from 'standardwebhooks';
import { FailureType } from '../../src/domain/failures.js';
import { checkHostOnce, type HostCheck } from '../host-check.js';
import { retryAfterMs } from './backoff.js';
import { DeliveryError } from './types.js';

export const WEBHOOK_TIMEOUT_MS = 30_000;

export interface WebhookSend {
  url: string;
  /** The outbox row's id: the same webhook-id on every send of this notification. */
  id: string;
  body: string;
  secret: string;
  /** This attempt's address check: the URL is refused, or every connection pinned to checked addresses, as for sites. */
  hosts: HostCheck;
  userAgent: string;
  timeoutMs?: number;
}

/**
 * POSTs one signed webhook (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature).
 * Each send is signed with its own timestamp, so a receiver's replay window accepts a resend; the
 * id and body stay those of the notification. Redirects are never followed (a 3xx is not a
 * delivery): the receiver is the address that passed the check, not one it points to.
 */
export async function sendWebhook(send: WebhookSend): Promise<void> {
  try {
    await checkHostOnce(send.hosts, send.url);
  } catch (err) {
    throw refusal(err);
  }
  const url = new URL(send.url);
  const timestamp = new Date();
  const signature = new Webhook(send.secret).sign(send.id, timestamp, send.body);
  const timeoutMs = send.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const request = url.protocol === 'https:' ? https.request : http.request;
  const status = await new Promise<{ code: number; location?: string; retryAfter?: string }>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent: url.protocol === 'https:' ? send.hosts.agents.https : send.hosts.agents.http,
        ...(send.hosts.ca !== undefined ? { ca: send.hosts.ca } : {}),
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(send.body),
          'user-agent': send.userAgent,
          'webhook-id': send.id,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': signature,
        },
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        // The answer's body says nothing we act on: read it away so the socket can be reused.
        res.resume();
        res.on('end', () =>
          resolve({
            code: res.statusCode ?? 0,
            ...(typeof res.headers.location === 'string' ? { location: res.headers.location } : {}),
            ...(typeof res.headers['retry-after'] === 'string' ? { retryAfter: res.headers['retry-after'] } : {}),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(send.body);
  }).catch((err: unknown) => {
    throw connectionError(err, url, timeoutMs);
  });

  if (status.code >= 200 && status.code < 300) return;
  if (status.code >= 300 && status.code < 400) {
    const to = status.location ? ` to ${status.location}` : '';
    throw new DeliveryError(
      `The webhook receiver answered with a redirect (HTTP ${status.code}${to}). Webhooks are not sent on to another address: set the webhook URL to the final address.`,
    );
  }
  const pause = status.code === 429 || status.code === 503 ? retryAfterMs(status.retryAfter) : undefined;
  throw new DeliveryError(`The webhook receiver answered HTTP ${status.code} instead of a 2xx status.`, false, pause);
}

/** The address rules refused the URL (permanent), or its host did not resolve (perhaps for now). */
function refusal(err: unknown): DeliveryError {
  if (err instanceof ApplicationFailure) {
    const permanent = err.type === FailureType.UrlNotAllowed;
    return new DeliveryError(`The webhook URL cannot be used: ${err.message}`, permanent);
  }
  return new DeliveryError(`The webhook URL could not be checked: ${err instanceof Error ? err.message : String(err)}`);
}

/** What went wrong on the connection, in words: refused, reset, timed out, TLS, address rules. */
function connectionError(err: unknown, url: URL, timeoutMs: number): DeliveryError {
  if (err instanceof ApplicationFailure) return refusal(err);
  const e = err as NodeJS.ErrnoException;
  const where = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
  const code = e.code ?? '';
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || code === 'ETIMEDOUT' || code === 'ABORT_ERR') {
    return new DeliveryError(`The webhook receiver at ${where} did not answer within ${Math.round(timeoutMs / 1000)} second${Math.round(timeoutMs / 1000) === 1 ? '' : 's'}.`);
  }
  if (code === 'ECONNREFUSED') return new DeliveryError(`The webhook receiver at ${where} refused the connection (nothing is listening there).`);
  if (code === 'ECONNRESET' || code === 'EPIPE') return new DeliveryError(`The webhook receiver at ${where} closed the connection before answering.`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new DeliveryError(`The webhook host ${url.hostname} could not be resolved.`);
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code)) {
    return new DeliveryError(`The TLS connection to the webhook receiver at ${where} failed: its certificate was not accepted (${code}).`);
  }
  return new DeliveryError(`The webhook could not be sent to ${where}: ${e.message}${code ? ` (${code})` : ''}.`);
}
