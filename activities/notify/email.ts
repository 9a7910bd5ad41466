import { createTransport } from 'nodemailer';
import { DeliveryError } from './types.js';

export interface EmailSend {
  smtpUrl: string;
  from: string;
  to: string;
  /** The outbox row's id: the Message-ID of every send of this notification. */
  id: string;
  subject: string;
  text: string;
}

const TIMEOUT_MS = 30_000;

/** What nodemailer puts on its errors (see its errors.d.ts). */
interface NodemailerError extends NodeJS.ErrnoException {
  response?: string;
  responseCode?: number;
  /** Set with responseCode: the server refused the message for good (5xx but 503). */
  permanent?: boolean;
  originalCode?: string;
}

/** The address part of `Name <address>` or a bare address. */
export function addressOf(mailbox: string): string {
  return /<([^>]+)>/.exec(mailbox)?.[1] ?? mailbox.trim();
}

/**
 * Sends one notification email over SMTP (SMTP_URL), one connection per send. The Message-ID is
 * the notification's own, so a resend after a lost acknowledgement is the same message to mail
 * clients and providers that deduplicate.
 */
export async function sendEmail(send: EmailSend): Promise<void> {
  const transport = createTransport({
    url: send.smtpUrl,
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
    // The message is our own text: nothing in it may make nodemailer read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const domain = addressOf(send.from).split('@')[1] ?? 'persona-analyzer';
  try {
    await transport.sendMail({
      from: send.from,
      to: send.to,
      subject: send.subject,
      text: send.text,
      messageId: `<${send.id}@${domain}>`,
    });
  } catch (err) {
    throw smtpError(err as NodemailerError, new URL(send.smtpUrl));
  } finally {
    transport.close();
  }
}

function smtpError(err: NodemailerError, server: URL): DeliveryError {
  const where = `the mail server ${server.hostname}:${server.port || (server.protocol === 'smtps:' ? 465 : 587)}`;
  const reply = err.response ? ` It said: ${err.response.slice(0, 200)}` : '';
  switch (err.code) {
    case 'EAUTH':
    case 'ENOAUTH':
      return new DeliveryError(`${cap(where)} did not accept the login in SMTP_URL.${reply}`);
    case 'ETIMEDOUT':
      return new DeliveryError(`${cap(where)} did not answer in time.`);
    case 'EDNS':
      return new DeliveryError(`The host name of ${where} could not be resolved.`);
    case 'ETLS':
      return new DeliveryError(`The TLS connection to ${where} failed.${reply}`);
    case 'EENVELOPE':
    case 'EMESSAGE':
      return new DeliveryError(`${cap(where)} refused the message.${reply}`, err.permanent === true);
    default:
      if (err.originalCode === 'ECONNREFUSED' || err.code === 'ECONNREFUSED') return new DeliveryError(`${cap(where)} refused the connection.`);
      if (err.responseCode) return new DeliveryError(`${cap(where)} refused the message (SMTP ${err.responseCode}).${reply}`, err.permanent === true);
      return new DeliveryError(`The email could not be sent through ${where}: ${err.message}`);
  }
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
