import { ActivityFailure, ApplicationFailure, CancelledFailure, TimeoutFailure } from '@temporalio/common';

/**
 * ApplicationFailure types that activities throw and the workflow, API and retry policies read.
 * Non-retryable ones describe bad input: retrying cannot make a refused URL acceptable.
 * Messages of these failures are shown to people (the analysis's error, a step's last error):
 * they say what happened and what to do, never internal addresses or endpoints.
 */
export const FailureType = {
  InvalidUrl: 'InvalidUrl',
  UrlNotAllowed: 'UrlNotAllowed',
  SiteUnreachable: 'SiteUnreachable',
  /** Retryable: the site or its name server did not answer now (timeouts, resets); shown as SITE_UNREACHABLE when retries run out. */
  SiteUnavailable: 'SiteUnavailable',
  RobotsDisallowed: 'RobotsDisallowed',
  /** The site refused our (honest) crawler: it says who it is rather than pretending to be a browser. */
  BlockedBySite: 'BlockedBySite',
  NoContent: 'NoContent',
  AnalysisNotFound: 'AnalysisNotFound',
  /** A report row an activity was handed is gone (deleted with its analysis). */
  ReportNotFound: 'ReportNotFound',
  /** An insight response a report builds on is missing or was never parsed. */
  InsightMissing: 'InsightMissing',
  /** Retryable: the model's output did not match the schema; the next sample may. */
  InvalidModelOutput: 'InvalidModelOutput',
  AiNotConfigured: 'AiNotConfigured',
  /** The AI account's quota or credit is used up: nothing works until someone tops it up. */
  AiQuotaExceeded: 'AiQuotaExceeded',
  /** The analysis reached AI_BUDGET_USD or AI_BUDGET_TOKENS: no further model calls. */
  BudgetExceeded: 'BudgetExceeded',
  /** Retryable: the AI endpoint was down, slow or rate-limiting; a later attempt may succeed. */
  AiUnavailable: 'AiUnavailable',
  /** Retryable: the service's own database could not be reached or was restarting. */
  DatabaseUnavailable: 'DatabaseUnavailable',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Failure types that map to an error code a person can act on (shown in status and the API). */
export const FAILURE_CODES: Record<FailureType, string> = {
  InvalidUrl: 'VALIDATION_ERROR',
  UrlNotAllowed: 'URL_NOT_ALLOWED',
  SiteUnreachable: 'SITE_UNREACHABLE',
  SiteUnavailable: 'SITE_UNREACHABLE',
  RobotsDisallowed: 'ROBOTS_DISALLOWED',
  BlockedBySite: 'BLOCKED_BY_SITE',
  NoContent: 'NO_CONTENT',
  AnalysisNotFound: 'NOT_FOUND',
  ReportNotFound: 'NOT_FOUND',
  InsightMissing: 'ANALYSIS_FAILED',
  InvalidModelOutput: 'AI_OUTPUT_INVALID',
  AiNotConfigured: 'AI_NOT_CONFIGURED',
  AiQuotaExceeded: 'AI_QUOTA_EXCEEDED',
  BudgetExceeded: 'BUDGET_EXCEEDED',
  AiUnavailable: 'AI_UNAVAILABLE',
  DatabaseUnavailable: 'SERVICE_UNAVAILABLE',
};

/** Code of a step that ran out of time on every attempt (an activity timeout, not one of ours). */
export const STEP_TIMED_OUT = 'STEP_TIMED_OUT';
/** Code of a failure whose cause we do not know: its details are in the worker's log and the Web UI. */
export const ANALYSIS_FAILED = 'ANALYSIS_FAILED';

/** What each activity does, in words, for messages about the step that ran it. */
const ACTIVITY_WORDS: Record<string, string> = {
  validateSite: 'Checking the site',
  extractContent: 'Reading the site',
  processContent: 'Cleaning the pages',
  analyzeInsight: 'Asking the AI model for insights',
  generateReport: 'Writing the report',
  checkQuality: 'Checking the report',
  repairReport: 'Repairing the report',
  finalizeReport: 'Finalizing the report',
};

/**
 * Errors of the service's own infrastructure that reach an activity unclassified (node-postgres
 * and the socket under it), in words. Only shapes that name their cause are recognised; the
 * message never carries a host or port (that is about the worker's network: the log has it).
 */
export function describeInfrastructureError(err: unknown): string | undefined {
  const e = (err ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (code === '57P01' || code === '57P02' || /terminating connection due to administrator command/.test(message)) {
    return 'The database closed the connection: it was shutting down or restarting.';
  }
  if (code === '57P03' || /the database system is (starting up|shutting down|not yet accepting connections|in recovery mode)/.test(message)) {
    return 'The database is starting up or shutting down and accepts no queries yet.';
  }
  if (/^08/.test(code) || /Connection terminated/i.test(message)) return 'The connection to the database was lost.';
  if (/timeout exceeded when trying to connect/i.test(message)) return 'The database did not accept a connection in time (timeout).';
  if (code === 'ECONNREFUSED' || /\bconnect ECONNREFUSED\b/.test(message)) return 'The database refused the connection: it is not running or not reachable.';
  if (code === 'ECONNRESET' || /\bECONNRESET\b/.test(message)) return 'The connection to the database was reset.';
  return undefined;
}

/**
 * The code and message a person sees for a failed step or analysis, from what Temporal hands the
 * workflow: our own failure types carry their message; an activity that ran out of time, or one
 * that failed on the database, is named in words; only a cause we do not know reads as unexpected.
 * Final by construction: it is what remains after the retry policy gave up, so it never promises
 * another attempt.
 */
export function describeFailure(err: unknown): { code: string; message: string } {
  if (isCancelled(err)) return { code: 'CANCELLED', message: 'The analysis was cancelled.' };
  const activity = err instanceof ActivityFailure ? err : undefined;
  const cause = activity ? activity.cause : err;
  const what = (activity && ACTIVITY_WORDS[activity.activityType]) ?? 'A step';
  if (cause instanceof ApplicationFailure && cause.type && cause.type in FAILURE_CODES) {
    return { code: FAILURE_CODES[cause.type as FailureType], message: cause.message };
  }
  if (cause instanceof TimeoutFailure) {
    if (cause.timeoutType === 'HEARTBEAT') {
      return {
        code: STEP_TIMED_OUT,
        message: `${what} stopped reporting progress on every attempt (heartbeat timeout): the worker running it stopped or hung.`,
      };
    }
    if (cause.timeoutType === 'SCHEDULE_TO_START') {
      return { code: STEP_TIMED_OUT, message: `${what} was never picked up: no worker polled the task queue in time (timeout).` };
    }
    return { code: STEP_TIMED_OUT, message: `${what} did not finish within its time limit on any attempt (timeout).` };
  }
  // An Error an activity threw unclassified arrives as an ApplicationFailure of the Error's name and message.
  const infrastructure = describeInfrastructureError(cause);
  if (infrastructure) return { code: FAILURE_CODES.DatabaseUnavailable, message: infrastructure };
  return {
    code: ANALYSIS_FAILED,
    message: `${what} failed on an unexpected error; the details are in the worker's log and the Temporal Web UI. Start the analysis again later.`,
  };
}

function isCancelled(err: unknown): boolean {
  if (err instanceof CancelledFailure) return true;
  return err instanceof ActivityFailure && err.cause instanceof CancelledFailure;
}
