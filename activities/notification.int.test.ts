import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Db } from '../src/database.js';
import { createLogger } from '../src/logger.js';
import { notificationsRepository } from '../src/repositories/notifications.js';
import { insertAnalysis, quietActivityEnvironment, unusedModelClient } from '../test/support/activity-env.js';
import { startSmtpStandIn, startStandInWebhookReceiver, TEST_WEBHOOK_SECRET, type SmtpStandIn, type StandInWebhookReceiver } from '../test/support/notify-receivers.js';
import { testResolver } from '../test/support/test-resolver.js';
import { createNotificationActivities, NOT_DELIVERED, type NotificationDeps } from './notification.js';
import type { SendNotificationInput, SendNotificationResult } from './notify/types.js';

/**
 * sendNotification on the real database, against a local stand-in webhook receiver and a real SMTP
 * server standing in for the mail provider. Each call is one activity attempt (MockActivityEnvironment);
 * a retry is the next call, as Temporal would make it.
 */

let db: Db;
let receiver: StandInWebhookReceiver;
let smtp: SmtpStandIn;

beforeAll(async () => {
  db = createDatabase(inject('databaseUrl'), 4);
  smtp = await startSmtpStandIn();
  receiver = await startStandInWebhookReceiver({
    '/ok': () => ({ status: 204 }),
    // The message arrives but the answer never does: the acknowledgement is lost.
    '/slow-ack': (n) => (n === 1 ? 'hang' : { status: 200 }),
    '/moved': () => ({ status: 302, headers: { location: '/ok' } }),
    '/busy': () => ({ status: 503, headers: { 'retry-after': '1' } }),
  });
});

afterAll(async () => {
  await receiver?.close();
  await smtp?.close();
  await db?.destroy();
});

function activities(config: Partial<NotificationDeps['config']> = {}) {
  const deps: NotificationDeps = {
    db,
    logger: createLogger('error'),
    ai: unusedModelClient(),
    config: {
      OPENAI_MODEL: 'unused',
      SCRAPE_ALLOW_PRIVATE_NETWORKS: true,
      CACHE_TTL_HOURS: 24,
      WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      SMTP_URL: smtp.url,
      NOTIFY_FROM: 'Persona Analyzer <reports@acme.test>',
      NOTIFY_RETRY_HOURS: 1,
      ...config,
    },
    resolve: testResolver({ localhost: '127.0.0.1', 'hooks.acme.test': '127.0.0.1' }),
    notifyTest: { webhookTimeoutMs: 3_000 },
  };
  return createNotificationActivities(deps);
}

async function send(input: SendNotificationInput, config: Partial<NotificationDeps['config']> = {}, attempt = 1): Promise<SendNotificationResult> {
  return (await quietActivityEnvironment({ attempt }).run(activities(config).sendNotification, input)) as SendNotificationResult;
}

/** One attempt that fails: the failure it throws for Temporal to retry. */
async function failedAttempt(input: SendNotificationInput, config: Partial<NotificationDeps['config']> = {}): Promise<ApplicationFailure> {
  const err = await send(input, config).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

const rowsOf = (analysisId: string) => db.selectFrom('notifications').selectAll().where('analysis_id', '=', analysisId).execute();

describe('sendNotification', () => {
  it('POSTs one signed webhook, and a retried or repeated activity sends nothing more once delivered', async () => {
    const analysisId = await insertAnalysis(db, 'https://acme.test/', { notify: { webhookUrl: `${receiver.url}/ok` } });
    const input: SendNotificationInput = { analysisId, version: 1, channel: 'webhook', event: 'analysis.version_completed' };
    expect(await send(input)).toBe('delivered');
    expect(await send(input, {}, 2)).toBe('delivered');
    expect(await send({ ...input, event: 'analysis.version_completed' })).toBe('delivered');

    const [row] = await rowsOf(analysisId);
    const hits = receiver.received.filter((r) => r.body?.data?.analysisId === analysisId);
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ id: row!.id, verified: true, answered: 204 });
    expect(hits[0]!.body).toEqual({
      type: 'analysis.version_completed',
      timestamp: expect.any(String),
      data: {
        analysisId,
        version: 1,
        status: 'completed',
        url: 'https://acme.test/',
        domain: 'test',
        links: { self: `/api/v2/analysis/${analysisId}`, report: `/api/v2/analysis/${analysisId}/report?version=1` },
      },
    });
    expect(row).toMatchObject({ state: 'delivered', attempts: 1, last_error: null, delivered_at: expect.any(Date) });
  });

  it('resends the same message (same webhook-id, same body) when the acknowledgement of a send was lost', async () => {
    const analysisId = await insertAnalysis(db, 'https://acme.test/', { notify: { webhookUrl: `${receiver.url}/slow-ack` } });
    const input: SendNotificationInput = { analysisId, version: 3, channel: 'webhook', event: 'analysis.version_completed' };
    const failure = await failedAttempt(input);
    expect(failure.type).toBe(NOT_DELIVERED);
    expect(failure.message).toMatch(/did not answer within 3 seconds/);
    expect(failure.nextRetryDelay).toBeDefined();
    expect(await send(input, {}, 2)).toBe('delivered');

    const hits = receiver.hits('/slow-ack').filter((r) => r.body?.data?.analysisId === analysisId);
    expect(hits).toHaveLength(2);
    const [row] = await rowsOf(analysisId);
    // One logical message: the receiver sees the id twice and can drop the second.
    expect(hits.map((h) => h.id)).toEqual([row!.id, row!.id]);
    expect(hits.every((h) => h.verified)).toBe(true);
    expect(hits[1]!.body).toEqual(hits[0]!.body);
    expect(row).toMatchObject({ state: 'delivered', attempts: 2 });
  });

  it('emails through SMTP with the notification id as Message-ID; a send repeated after a lost acknowledgement is the same message', async () => {
    const analysisId = await insertAnalysis(db, 'https://acme.test/', { notify: { email: 'buyer@acme.test' } });
    const input: SendNotificationInput = { analysisId, version: 1, channel: 'email', event: 'analysis.version_completed' };
    expect(await send(input)).toBe('delivered');
    // The worker died after the mail server took the message, before the row said delivered.
    await db.updateTable('notifications').set({ state: 'pending', delivered_at: null }).where('analysis_id', '=', analysisId).execute();
    expect(await send(input, {}, 2)).toBe('delivered');
    expect(await send(input, {}, 3)).toBe('delivered');

    const [row] = await rowsOf(analysisId);
    const mails = smtp.mails.filter((m) => m.raw.includes(analysisId));
    expect(mails).toHaveLength(2);
    expect(mails.map((m) => m.messageId)).toEqual([`<${row!.id}@acme.test>`, `<${row!.id}@acme.test>`]);
    expect(mails[0]).toMatchObject({ from: 'reports@acme.test', to: ['buyer@acme.test'], subject: 'Persona report v1 for test is ready' });
    expect(row).toMatchObject({ state: 'delivered', attempts: 2 });
  });

  it('does not follow a redirect, and records the notification failed once the retry window has passed', async () => {
    const analysisId = await insertAnalysis(db, 'https://acme.test/', { notify: { webhookUrl: `${receiver.url}/moved` } });
    const input: SendNotificationInput = { analysisId, version: 1, channel: 'webhook', event: 'analysis.version_completed' };
    const okBefore = receiver.hits('/ok').length;
    const failure = await failedAttempt(input);
    expect(failure.message).toMatch(/answered with a redirect \(HTTP 302 to \/ok\)/);
    let [row] = await rowsOf(analysisId);
    expect(row).toMatchObject({ state: 'pending', attempts: 1, last_error: failure.message });

    // The window (NOTIFY_RETRY_HOURS) has passed by the next attempt.
    await db.updateTable('notifications').set({ created_at: new Date(Date.now() - 2 * 3_600_000) }).where('id', '=', row!.id).execute();
    expect(await send(input, {}, 2)).toBe('failed');
    [row] = await rowsOf(analysisId);
    expect(row!.state).toBe('failed');
    expect(row!.last_error).toMatch(/redirect.*Not delivered after 2 attempts over 2 hours; no more attempts are made\.$/s);
    expect(row!.last_error).not.toMatch(/will be retried|trying again/);
    expect(receiver.hits('/ok').length).toBe(okBefore);
    // Given up: a later activity does not send it again.
    expect(await send(input, {}, 3)).toBe('failed');
    expect(receiver.hits('/moved').filter((r) => r.body?.data?.analysisId === analysisId)).toHaveLength(2);
  });

  it('waits at least as long as a receiver asks (Retry-After), within the window', async () => {
    const analysisId = await insertAnalysis(db, 'https://acme.test/', { notify: { webhookUrl: `${receiver.url}/busy` } });
    const failure = await failedAttempt({ analysisId, version: 1, channel: 'webhook', event: 'analysis.version_completed' }, { NOTIFY_RETRY_HOURS: 0.001 });
    expect(failure.message).toBe('The webhook receiver answered HTTP 503 instead of a 2xx status.');
    expect(failure.nextRetryDelay).toBe(1_000);
  });

  it('refuses a webhook URL the address rules refuse, as for sites: failed at once, nothing sent', async () => {
    const port = new URL(receiver.url).port;
    const analysisId = await insertAnalysis(db, 'https://acme.test/', { notify: { webhookUrl: `http://hooks.acme.test:${port}/ok` } });
    const before = receiver.received.length;
    const result = await send(
      { analysisId, version: 1, channel: 'webhook', event: 'analysis.version_completed' },
      { SCRAPE_ALLOW_PRIVATE_NETWORKS: false, SCRAPE_ALLOWED_PORTS: 'any' },
    );
    expect(result).toBe('failed');
    const [row] = await rowsOf(analysisId);
    expect(row!.state).toBe('failed');
    expect(row!.last_error).toMatch(/^The webhook URL cannot be used: .*hooks\.acme\.test/);
    expect(receiver.received.length).toBe(before);
  });

  it('records the failure notice of a failed analysis with its reason, and sends nothing for a deleted analysis or an unset channel', async () => {
    const failed = await insertAnalysis(db, 'https://acme.test/', { notify: { webhookUrl: `${receiver.url}/ok` } });
    await db
      .updateTable('analyses')
      .set({ status: 'failed', error: JSON.stringify({ code: 'SITE_UNREACHABLE', message: 'acme.test could not be reached.', version: 1 }) })
      .where('id', '=', failed)
      .execute();
    expect(await send({ analysisId: failed, version: 1, channel: 'webhook', event: 'analysis.failed' })).toBe('delivered');
    const hit = receiver.received.find((r) => r.body?.data?.analysisId === failed);
    expect(hit?.body).toMatchObject({
      type: 'analysis.failed',
      data: { status: 'failed', error: { code: 'SITE_UNREACHABLE', message: 'acme.test could not be reached.' }, links: { self: `/api/v2/analysis/${failed}` } },
    });
    // No email address was given: nothing to send on that channel.
    expect(await send({ analysisId: failed, version: 1, channel: 'email', event: 'analysis.failed' })).toBe('skipped');

    const deleted = await insertAnalysis(db, 'https://acme.test/', { notify: { webhookUrl: `${receiver.url}/ok` } });
    await db.deleteFrom('analyses').where('id', '=', deleted).execute();
    expect(await send({ analysisId: deleted, version: 1, channel: 'webhook', event: 'analysis.version_completed' })).toBe('skipped');
    expect(await rowsOf(deleted)).toEqual([]);
    expect(await notificationsRepository.list(db, failed)).toEqual([
      expect.objectContaining({ version: 1, channel: 'webhook', event: 'analysis.failed', state: 'delivered', attempts: 1, lastError: null }),
    ]);
  });

  it('records a notification failed at once when the server has no secret or mail server configured', async () => {
    const analysisId = await insertAnalysis(db, 'https://acme.test/', { notify: { webhookUrl: `${receiver.url}/ok`, email: 'buyer@acme.test' } });
    const unset = { WEBHOOK_SECRET: undefined, SMTP_URL: undefined };
    expect(await send({ analysisId, version: 1, channel: 'webhook', event: 'analysis.version_completed' }, unset)).toBe('failed');
    expect(await send({ analysisId, version: 1, channel: 'email', event: 'analysis.version_completed' }, unset)).toBe('failed');
    const errors = (await notificationsRepository.list(db, analysisId)).map((n) => [n.channel, n.state, n.lastError]);
    expect(errors).toEqual([
      ['email', 'failed', 'Email is not set up on this server (SMTP_URL is unset), so none is sent.'],
      ['webhook', 'failed', 'Webhooks are not set up on this server (WEBHOOK_SECRET is unset), so none is sent.'],
    ]);
  });
});
