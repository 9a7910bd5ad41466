import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { Webhook } from 'standardwebhooks';

/*
 * Stand-ins for what notifications reach outside the machine: a customer's webhook receiver (a
 * local HTTP server that verifies each signature with the standardwebhooks package, as a real
 * receiver would) and the mail provider (a real SMTP server, the smtp-server package, on 127.0.0.1).
 * Neither imports product code.
 */

export const TEST_WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export interface ReceivedWebhook {
  path: string;
  id: string;
  timestamp: string;
  /** Webhook.verify accepted the signature (and the timestamp was recent). */
  verified: boolean;
  body: any;
  /** What the stand-in answered. */
  answered: number;
}

/** How a path answers its n-th request (from 1): a status, headers, optionally never. */
export type Behaviour = (n: number) => { status: number; headers?: Record<string, string> } | 'hang';

export interface StandInWebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Requests that reached a path, verified or not. */
  hits(path: string): ReceivedWebhook[];
  close(): Promise<void>;
}

export async function startStandInWebhookReceiver(routes: Record<string, Behaviour>, secret = TEST_WEBHOOK_SECRET): Promise<StandInWebhookReceiver> {
  const verifier = new Webhook(secret);
  const received: ReceivedWebhook[] = [];
  const counts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://receiver').pathname;
      const raw = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': String(req.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
      };
      let verified = false;
      let body: unknown;
      try {
        body = verifier.verify(raw, headers);
        verified = true;
      } catch {
        body = safeJson(raw);
      }
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      const behaviour = routes[path]?.(n) ?? { status: 404 };
      received.push({ path, id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], verified, body, answered: behaviour === 'hang' ? 0 : behaviour.status });
      if (behaviour === 'hang') return; // the message arrived; the answer never does
      res.writeHead(behaviour.status, behaviour.headers ?? {}).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    received,
    hits: (path) => received.filter((r) => r.path === path),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export interface ReceivedMail {
  from: string;
  to: string[];
  messageId: string | undefined;
  subject: string | undefined;
  raw: string;
}

export interface SmtpStandIn {
  /** SMTP_URL for the service. */
  url: string;
  mails: ReceivedMail[];
  close(): Promise<void>;
}

/** The mail provider's stand-in: accepts every message (no TLS, no login) and keeps it. */
export async function startSmtpStandIn(): Promise<SmtpStandIn> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const header = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'im').exec(raw.split(/\r?\n\r?\n/)[0] ?? '')?.[1]?.trim();
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          messageId: header('Message-ID'),
          subject: header('Subject'),
          raw,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
