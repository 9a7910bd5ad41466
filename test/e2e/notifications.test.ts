import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACME_PAGES } from '../support/acme-site.js';
import { api, pollStatus } from '../support/api.js';
import { startSmtpStandIn, startStandInWebhookReceiver, TEST_WEBHOOK_SECRET, type SmtpStandIn, type StandInWebhookReceiver } from '../support/notify-receivers.js';
import { startTestService, type TestService } from '../support/service.js';
import { serveSite, type TestSite } from '../support/sites.js';

/**
 * Notifications end to end: the API and a worker as `npm run dev` runs them, a stand-in webhook
 * receiver that verifies every signature with the standardwebhooks package and counts ids, and a
 * real SMTP server standing in for the mail provider. NOTIFY_RETRY_HOURS is 0.004 (about 14 s), so
 * retries come within seconds and a notification that cannot be delivered is given up quickly.
 */
describe('notifications of finished versions, over HTTP, on a real Temporal server and PostgreSQL', () => {
  let service: TestService;
  let receiver: StandInWebhookReceiver;
  let elsewhere: StandInWebhookReceiver;
  let smtp: SmtpStandIn;
  let acme: TestSite;

  beforeAll(async () => {
    smtp = await startSmtpStandIn();
    // Where a redirect points: it must never be reached.
    elsewhere = await startStandInWebhookReceiver({ '/in': () => ({ status: 200 }) });
    receiver = await startStandInWebhookReceiver({
      '/ok': () => ({ status: 200 }),
      '/flaky': (n) => ({ status: n === 1 ? 500 : 200 }),
      '/moved': () => ({ status: 307, headers: { location: `${elsewhere.url}/in` } }),
      '/down': () => ({ status: 503 }),
    });
    acme = await serveSite(ACME_PAGES);
    service = await startTestService({
      env: { WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, SMTP_URL: smtp.url, NOTIFY_FROM: 'Persona Analyzer <reports@acme.test>', NOTIFY_RETRY_HOURS: '0.004' },
    });
  });

  afterAll(async () => {
    await service?.stop();
    await Promise.all([receiver?.close(), elsewhere?.close(), smtp?.close(), acme?.close()]);
  });

  async function start(notify: { webhookUrl?: string; email?: string }): Promise<string> {
    const res = await api(service.apiUrl, '/analysis/start', { method: 'POST', json: { url: acme.url, options: { maxPages: 4, personaCount: 1, notify } } });
    expect(res.status, JSON.stringify(res.body.error)).toBe(202);
    return res.body.data.analysisId;
  }

  const settled = (n: { state: string }) => n.state !== 'pending';
  const webhooksOf = (id: string, r: StandInWebhookReceiver = receiver) => r.received.filter((h) => h.body?.data?.analysisId === id);

  it('sends one signed webhook and one email per finished version, each delivered once, shown in GET /analysis/{id}', async () => {
    const id = await start({ webhookUrl: `${receiver.url}/ok`, email: 'buyer@acme.test' });
    const v1 = await pollStatus(service.apiUrl, id, (s) => s.status === 'completed' && s.notifications.length === 2 && s.notifications.every(settled));
    expect(v1.final.notifications).toEqual([
      expect.objectContaining({ version: 1, channel: 'email', event: 'analysis.version_completed', state: 'delivered', attempts: 1, lastError: null, deliveredAt: expect.any(String) }),
      expect.objectContaining({ version: 1, channel: 'webhook', event: 'analysis.version_completed', state: 'delivered', attempts: 1, lastError: null, deliveredAt: expect.any(String) }),
    ]);

    const regen = await api(service.apiUrl, `/analysis/${id}/regenerate`, { method: 'POST', json: { sections: ['personas'] } });
    expect(regen.status).toBe(202);
    const v2 = await pollStatus(service.apiUrl, id, (s) => s.latestReportVersion === 2 && s.notifications.length === 4 && s.notifications.every(settled));
    const byChannel = (channel: string) => v2.final.notifications.filter((n: any) => n.channel === channel);
    expect(v2.final.notifications.map((n: any) => `${n.version}:${n.channel}:${n.state}`)).toEqual(['1:email:delivered', '1:webhook:delivered', '2:email:delivered', '2:webhook:delivered']);

    // The receiver got each version's webhook exactly once, every signature valid, the id the status shows.
    const hooks = webhooksOf(id);
    expect(hooks.map((h) => [h.body.data.version, h.verified, h.answered])).toEqual([
      [1, true, 200],
      [2, true, 200],
    ]);
    expect(hooks.map((h) => h.id)).toEqual(byChannel('webhook').map((n: any) => n.id));
    expect(hooks[1]!.body).toMatchObject({ type: 'analysis.version_completed', data: { version: 2, status: 'completed', links: { report: `/api/v2/analysis/${id}/report?version=2` } } });

    // One email per version, its Message-ID the notification's id.
    const mails = smtp.mails.filter((m) => m.raw.includes(id));
    expect(mails.map((m) => m.messageId)).toEqual(byChannel('email').map((n: any) => `<${n.id}@acme.test>`));
    const domain = new URL(acme.url).hostname;
    expect(mails.map((m) => m.subject)).toEqual([`Persona report v1 for ${domain} is ready`, `Persona report v2 for ${domain} is ready`]);
    expect(mails.every((m) => m.from === 'reports@acme.test' && m.to.join() === 'buyer@acme.test')).toBe(true);
  });

  it('retries a receiver that answers 500, then 200: delivered once, the same webhook-id both times', async () => {
    const id = await start({ webhookUrl: `${receiver.url}/flaky` });
    const { final } = await pollStatus(service.apiUrl, id, (s) => s.status === 'completed' && s.notifications.some(settled));
    expect(final.notifications).toEqual([expect.objectContaining({ channel: 'webhook', state: 'delivered', attempts: 2 })]);
    const hooks = webhooksOf(id);
    expect(hooks.map((h) => h.answered)).toEqual([500, 200]);
    expect(hooks.map((h) => h.id)).toEqual([final.notifications[0].id, final.notifications[0].id]);
    expect(hooks.every((h) => h.verified)).toBe(true);
  });

  it('never follows a redirect, and a receiver that never succeeds fails no analysis and blocks no regeneration', async () => {
    const moved = await start({ webhookUrl: `${receiver.url}/moved` });
    const down = await start({ webhookUrl: `${receiver.url}/down` });

    // Both analyses complete while their webhooks are still being retried, each with its reason.
    const waiting = await pollStatus(service.apiUrl, down, (s) => s.status === 'completed' && s.notifications[0]?.lastError);
    expect(waiting.final.notifications[0].lastError).toBe('The webhook receiver answered HTTP 503 instead of a 2xx status.');
    const regen = await api(service.apiUrl, `/analysis/${down}/regenerate`, { method: 'POST', json: { sections: ['personas'] } });
    expect(regen.status).toBe(202);
    await pollStatus(service.apiUrl, down, (s) => s.latestReportVersion === 2 && s.status === 'completed');

    // Given up after the window (NOTIFY_RETRY_HOURS): failed, with what happened, the analysis still completed.
    const gaveUp = await pollStatus(service.apiUrl, down, (s) => s.notifications.length === 2 && s.notifications.every(settled), 120_000);
    expect(gaveUp.final.status).toBe('completed');
    for (const n of gaveUp.final.notifications) {
      expect(n.state).toBe('failed');
      expect(n.attempts).toBeGreaterThan(1);
      expect(n.lastError).toMatch(/^The webhook receiver answered HTTP 503 instead of a 2xx status\. Not delivered after \d+ attempts over \d+ seconds; no more attempts are made\.$/);
    }
    // Every send of one notification carried its one id.
    const ids = new Set(webhooksOf(down).map((h) => `${h.body.data.version}:${h.id}`));
    expect(ids.size).toBe(2);

    const redirected = await pollStatus(service.apiUrl, moved, (s) => s.notifications.length === 1 && s.notifications.every(settled), 120_000);
    expect(redirected.final.status).toBe('completed');
    expect(redirected.final.notifications[0]).toMatchObject({ state: 'failed' });
    expect(redirected.final.notifications[0].lastError).toMatch(/^The webhook receiver answered with a redirect \(HTTP 307 to http:\/\/localhost:\d+\/in\)\. Webhooks are not sent on to another address/);
    expect(webhooksOf(moved).length).toBeGreaterThan(0);
    expect(elsewhere.received).toEqual([]);
  });
});
