import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Config } from '../src/config.js';
import { DEFAULT_USER_AGENT } from '../src/config.js';
import { allowedPorts } from '../src/domain/address.js';
import type { AnalysisOptions } from '../src/domain/analysis.js';
import { claimTally } from '../src/domain/quality.js';
import { sayClaimsOnce } from '../src/domain/said-once.js';
import { withholdFailing } from '../src/domain/withhold.js';
import { aiResponsesRepository } from '../src/repositories/ai-responses.js';
import { eventsRepository } from '../src/repositories/events.js';
import { notificationsRepository, type NotificationRow } from '../src/repositories/notifications.js';
import { reportsRepository } from '../src/repositories/reports.js';
import { createHostCheck, type HostCheckOptions } from './host-check.js';
import { retryDelayMs, spoken } from './notify/backoff.js';
import { sendEmail } from './notify/email.js';
import { buildPayload, emailText, type NotificationPayload } from './notify/message.js';
import { DeliveryError, type SendNotificationInput, type SendNotificationResult } from './notify/types.js';
import { sendWebhook } from './notify/webhook.js';
import { lockAnalysis, markStep, withAttemptLog } from './tracking.js';
import type { ActivityDeps, FinalizeInput } from './types.js';

/** What the notification activities read beyond ActivityDeps; the worker passes its whole Config. */
export type NotificationDeps = ActivityDeps & {
  config: ActivityDeps['config'] & Partial<Pick<Config, 'WEBHOOK_SECRET' | 'SMTP_URL' | 'NOTIFY_FROM' | 'NOTIFY_RETRY_HOURS'>>;
  /** Tests only: how webhook addresses are classified and which CA is trusted (HostCheckOptions), a shorter webhook timeout. */
  notifyTest?: Pick<HostCheckOptions, 'classify' | 'ca'> & { webhookTimeoutMs?: number };
};

/** The failure type of a send that will be tried again; the workflow never sees it (no attempt limit). */
export const NOT_DELIVERED = 'NotificationNotDelivered';

/**
 * Finalization: the report becomes the analysis's latest, and its readers are told once. What
 * still fails the quality rules after the last repair is withheld here, so no reader ever sees it,
 * a claim a persona said in an earlier list is left out of the later one (said-once.ts), and the
 * version's model usage is written into the report.
 */
export function createNotificationActivities(deps: NotificationDeps) {
  return {
    async finalizeReport({ analysisId, version, reportId }: FinalizeInput): Promise<void> {
      await withAttemptLog(deps, { analysisId, version, step: 'finalization' }, async (log) => {
        const report = await reportsRepository.byId(deps.db, reportId);
        const issues = report?.status === 'degraded' ? (report.quality?.issues ?? []) : [];
        const { pricedCostUsd: _lowerBound, ...usage } = await aiResponsesRepository.usage(deps.db, analysisId, version);
        const content = report && { ...sayClaimsOnce(withholdFailing(report.content, issues)), usage };
        // The share of claims with evidence is stated of what readers get, after withholding.
        const quality = report?.quality && content ? { ...report.quality, claims: claimTally(content) } : undefined;
        const firstTime = await deps.db.transaction().execute(async (tx) => {
          await lockAnalysis(tx, analysisId);
          const changed = content ? await reportsRepository.finalize(tx, reportId, content, quality) : false;
          // Report, step (with its audit event) and status change together, so no reader sees a
          // completed analysis with a step still running.
          await markStep(tx, { analysisId, version, step: 'finalization' }, 'completed');
          await tx
            .updateTable('analyses')
            .set((eb) => ({
              status: 'completed',
              latest_version: eb.fn('greatest', [eb.ref('latest_version'), eb.val(version)]),
              current_step: null,
              error: null,
              completed_at: new Date(),
              updated_at: new Date(),
            }))
            .where('id', '=', analysisId)
            .execute();
          if (changed) await eventsRepository.append(tx, { analysisId, version, step: 'finalization', type: 'report_finalized' });
          return changed;
        });
        // Readers are told by sendNotification, which the workflow runs after this: a send that
        // fails then is retried on its own, never skipped because finalization was already done.
        if (firstTime) log.info('report finalized', { version, reportId });
      });
    },

    /**
     * One notification of a version on one channel, exactly once as a logical message: its outbox
     * row is created once and its id is the webhook-id / Message-ID of every send, and a delivered
     * row is never sent again. A send that fails is retried with growing pauses until
     * NOTIFY_RETRY_HOURS after the event, then recorded failed; it never fails the analysis.
     */
    async sendNotification(input: SendNotificationInput): Promise<SendNotificationResult> {
      const { analysisId, version, channel, event } = input;
      const log = deps.logger.child({ analysisId, version, channel, event, activity: 'sendNotification', attempt: Context.current().info.attempt });
      const analysis = await deps.db
        .selectFrom('analyses')
        .select(['id', 'url', 'domain', 'options', 'error'])
        .where('id', '=', analysisId)
        .executeTakeFirst();
      const notify = (analysis?.options as Partial<AnalysisOptions> | undefined)?.notify;
      const target = channel === 'webhook' ? notify?.webhookUrl : notify?.email;
      // Deleted meanwhile, or nothing asked for on this channel: nothing to send.
      if (!analysis || !target) return 'skipped';

      let row: NotificationRow;
      try {
        row = await notificationsRepository.claim(deps.db, {
          analysisId,
          version,
          channel,
          event,
          target,
          payload: buildPayload(event, version, analysis, new Date()),
        });
      } catch (err) {
        // The analysis was deleted between the read and the insert: it adds no rows.
        if ((err as { code?: string }).code === '23503') return 'skipped';
        throw err;
      }
      if (row.state !== 'pending') return row.state;
      if (!(await notificationsRepository.countAttempt(deps.db, row.id))) return 'skipped';
      const attempt = row.attempts + 1;
      const log2 = log.child({ notificationId: row.id, sendAttempt: attempt });

      try {
        await deliver(row);
      } catch (err) {
        if (!(err instanceof DeliveryError)) throw err;
        const windowMs = (deps.config.NOTIFY_RETRY_HOURS ?? 24) * 3_600_000;
        const elapsed = Date.now() - row.created_at.getTime();
        const final = err.permanent || elapsed >= windowMs;
        const message =
          final && !err.permanent
            ? `${err.message} Not delivered after ${attempt} attempt${attempt === 1 ? '' : 's'} over ${spoken(elapsed)}; no more attempts are made.`
            : err.message;
        await notificationsRepository.recordFailure(deps.db, row.id, message, final);
        log2.warn(final ? 'notification not delivered; given up' : 'notification not delivered', { error: message });
        if (final) return 'failed';
        // The pause grows with each send; a receiver's Retry-After is honoured; the last send falls at the window's end.
        const pause = Math.min(Math.max(err.retryAfterMs ?? 0, retryDelayMs(attempt, windowMs)), windowMs - elapsed);
        throw ApplicationFailure.create({ type: NOT_DELIVERED, message, nextRetryDelay: Math.max(1, Math.round(pause)) });
      }
      await notificationsRepository.markDelivered(deps.db, row.id);
      log2.info('notification delivered');
      return 'delivered';
    },
  };

  async function deliver(row: NotificationRow): Promise<void> {
    const payload = row.payload as NotificationPayload;
    if (row.channel === 'webhook') {
      const secret = deps.config.WEBHOOK_SECRET;
      if (!secret) throw new DeliveryError('Webhooks are not set up on this server (WEBHOOK_SECRET is unset), so none is sent.', true);
      const hosts = createHostCheck(deps.config.SCRAPE_ALLOW_PRIVATE_NETWORKS, deps.logger, {
        allowedPorts: allowedPorts(deps.config),
        ...(deps.resolve ? { resolve: deps.resolve } : {}),
        ...(deps.notifyTest?.classify ? { classify: deps.notifyTest.classify } : {}),
        ...(deps.notifyTest?.ca !== undefined ? { ca: deps.notifyTest.ca } : {}),
      });
      try {
        await sendWebhook({ url: row.target, id: row.id, body: JSON.stringify(payload), secret, hosts, userAgent: deps.config.SCRAPE_USER_AGENT ?? DEFAULT_USER_AGENT, ...(deps.notifyTest?.webhookTimeoutMs ? { timeoutMs: deps.notifyTest.webhookTimeoutMs } : {}) });
      } finally {
        hosts.agents.http.destroy();
        hosts.agents.https.destroy();
      }
      return;
    }
    const smtpUrl = deps.config.SMTP_URL;
    if (!smtpUrl) throw new DeliveryError('Email is not set up on this server (SMTP_URL is unset), so none is sent.', true);
    await sendEmail({ smtpUrl, from: deps.config.NOTIFY_FROM ?? 'Persona Analyzer <persona-analyzer@localhost>', to: row.target, id: row.id, ...emailText(payload) });
  }
}
