import { proxyActivities, proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { FailureType } from '../src/domain/failures.js';

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

/** Resolving a host and reading robots.txt: quick, a few tries for a flaky resolver. */
export const validationPolicy: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '20s', maximumAttempts: 3, nonRetryableErrorTypes: BAD_INPUT },
};

/** Crawling: long, heartbeats after every page so a dead worker is noticed within a minute. */
export const crawlPolicy: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 4, nonRetryableErrorTypes: BAD_INPUT },
};

/** Cleaning is CPU work on stored pages: only infrastructure failures are worth a retry. */
export const processingPolicy: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3, nonRetryableErrorTypes: BAD_INPUT },
};

/**
 * Model calls: endpoints throttle and fail transiently (429, 5xx), so back off longer and try
 * more often; a misconfigured endpoint (401, 404) or a spent budget fails at once. A call may wait
 * long for a slot on a one-slot local server and generate slowly; it heartbeats all the while, so
 * the heartbeat timeout, not start-to-close, notices a dead worker. Each request has its own
 * timeout (AI_TIMEOUT_SECONDS) inside the attempt.
 */
export const modelCallPolicy: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 8,
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
 * be made. One retry for a passing fault, not eight rounds of a model that keeps failing.
 */
export const repairPolicy: ActivityOptions = {
  ...modelCallPolicy,
  retry: { ...modelCallPolicy.retry, maximumAttempts: 2 },
};

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
