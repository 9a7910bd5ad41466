import { proxyActivities, proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { FailureType } from '../src/domain/failures.js';
import { MODEL_RETRY } from '../src/domain/model-outage.js';

/** Bad input: a refused, missing or empty site does not get better by retrying. */
const BAD_INPUT = [
  FailureType.InvalidUrl,
  FailureType.UrlNotAllowed,
  FailureType.SiteUnreachable,
  FailureType.RobotsDisallowed,
  FailureType.BlockedBySite,
  FailureType.NoContent,
  FailureType.AnalysisNotFound,
];

/**
 * Bad input fails at once (non-retryable); what is left to retry is passing trouble: a flaky
 * resolver, a site answering 503, PostgreSQL restarting. The attempts below span a minute or more
 * of such trouble, so a database restart delays an analysis instead of failing it.
 */

/** Resolving a host and reading robots.txt: quick; about 70 s of retries. */
export const validationPolicy: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '20s', maximumAttempts: 8, nonRetryableErrorTypes: BAD_INPUT },
};

/** Crawling: long, heartbeats after every page so a dead worker is noticed within a minute. */
export const crawlPolicy: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 6, nonRetryableErrorTypes: BAD_INPUT },
};

/** Cleaning is CPU work on stored pages: only infrastructure failures are worth a retry. */
export const processingPolicy: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 8, nonRetryableErrorTypes: BAD_INPUT },
};

/**
 * Model calls: an AI endpoint that is down, hanging, throttling or failing is waited for with
 * capped backoff. The attempts are not counted here: the activity itself ends the call, with a
 * final message, once AI_OUTAGE_MINUTES have passed since it was first scheduled, and bounds
 * unusable answers to a few attempts (src/domain/model-outage.ts). A misconfigured endpoint
 * (401, 404), no quota or a spent budget fails at once. A call may wait long for a slot on a
 * one-slot local server and generate slowly; it heartbeats all the while, so the heartbeat
 * timeout, not start-to-close, notices a dead worker. Each request has its own timeout
 * (AI_TIMEOUT_SECONDS) inside the attempt.
 */
export const modelCallPolicy: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: MODEL_RETRY.initialMs,
    backoffCoefficient: MODEL_RETRY.coefficient,
    maximumInterval: MODEL_RETRY.maximumMs,
    nonRetryableErrorTypes: [
      FailureType.AiNotConfigured,
      FailureType.AiQuotaExceeded,
      FailureType.BudgetExceeded,
      FailureType.AnalysisNotFound,
      FailureType.InsightMissing,
      FailureType.ReportNotFound,
    ],
  },
};

/**
 * A repair is optional: the report stands as last checked (degraded, with its reasons) if it cannot
 * be made. It waits for an endpoint outage like any model call, but a model whose repair answers
 * stay unusable is given up on after INVALID_OUTPUT_ATTEMPTS.repair attempts (the activity says so).
 */
export const repairPolicy: ActivityOptions = modelCallPolicy;

/** Rule checks on stored rows. */
export const qualityPolicy: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
};

/** Finalizing must happen once the report exists: retry until the database is back. */
export const finalizationPolicy: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/**
 * A notification send: one webhook POST or SMTP conversation per attempt. No attempt limit here:
 * the activity paces its own retries (nextRetryDelay, scaled to NOTIFY_RETRY_HOURS) and records
 * the notification failed, without failing, once that window has passed; this backoff only applies
 * when an attempt dies (worker lost, database down). The overall timeout is a backstop past the
 * largest allowed window (30 days).
 */
export const notificationPolicy: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  scheduleToCloseTimeout: '31 days',
  retry: { initialInterval: '30s', backoffCoefficient: 2, maximumInterval: '1 hour' },
};

/**
 * Activities under a policy, with a one-line summary the Web UI shows on the activity
 * (e.g. "Crawl up to 10 pages of example.com"). A proxy is only a lookup table, cheap to make per call.
 */
export function withPolicy(policy: ActivityOptions, summary: string) {
  return proxyActivities<Activities>({ ...policy, summary });
}

/** Step bookkeeping rows: local activities, no extra round trip through the server; retried through outages. */
export const bookkeeping = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
});
