/**
 * ApplicationFailure types that activities throw and the workflow, API and retry policies read.
 * Non-retryable ones describe bad input: retrying cannot make a refused URL acceptable.
 */
export const FailureType = {
  InvalidUrl: 'InvalidUrl',
  UrlNotAllowed: 'UrlNotAllowed',
  SiteUnreachable: 'SiteUnreachable',
  RobotsDisallowed: 'RobotsDisallowed',
  NoContent: 'NoContent',
  AnalysisNotFound: 'AnalysisNotFound',
  InvalidModelOutput: 'InvalidModelOutput',
  AiNotConfigured: 'AiNotConfigured',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Failure types that map to an error code a person can act on (shown in status and the API). */
export const FAILURE_CODES: Record<FailureType, string> = {
  InvalidUrl: 'VALIDATION_ERROR',
  UrlNotAllowed: 'URL_NOT_ALLOWED',
  SiteUnreachable: 'SITE_UNREACHABLE',
  RobotsDisallowed: 'ROBOTS_DISALLOWED',
  NoContent: 'NO_CONTENT',
  AnalysisNotFound: 'NOT_FOUND',
  InvalidModelOutput: 'AI_OUTPUT_INVALID',
  AiNotConfigured: 'AI_NOT_CONFIGURED',
};
