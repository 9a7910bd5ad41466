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
};
