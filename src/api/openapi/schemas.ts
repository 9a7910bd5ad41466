import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { ANALYSIS_STATUSES, STEP_NAMES } from '../../domain/analysis.js';
import type { ErrorCode } from '../errors.js';

/**
 * What the API answers, described for the OpenAPI document. Request schemas are the ones that
 * validate (src/domain/requests.ts, the routes); these describe responses. Deep report content is
 * described to its top-level fields and left open below, so the document stays readable and a
 * new report field does not make every response "invalid".
 */

export const ERROR_CODES = [
  'VALIDATION_ERROR',
  'NOT_FOUND',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'METHOD_NOT_ALLOWED',
  'REQUEST_TIMEOUT',
  'RATE_LIMITED',
  'URL_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'IDEMPOTENCY_KEY_REUSED',
  'REPORT_NOT_READY',
  'ANALYSIS_NOT_READY',
  'NO_REPORT_TO_REGENERATE',
  'ALREADY_FINISHED',
  'SERVICE_UNAVAILABLE',
  'PDF_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const satisfies readonly ErrorCode[];

// A code added to ErrorCode but not here fails to compile.
type MissingCode = Exclude<ErrorCode, (typeof ERROR_CODES)[number]>;
const allCodesListed: MissingCode extends never ? true : MissingCode = true;
void allCodesListed;

const metadataSchema = z
  .object({
    requestId: z.string().openapi({ description: 'The same as the X-Request-Id header; quote it when reporting a problem.' }),
    timestamp: z.iso.datetime(),
    version: z.string().openapi({ description: 'The build that answered; the API version is in the path.' }),
  })
  .openapi('ResponseMetadata');

export const errorEnvelopeSchema = z
  .object({
    success: z.literal(false),
    data: z.unknown().optional().openapi({ description: 'Rarely set: a payload still worth reading, e.g. the failed health report.' }),
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string().openapi({ description: 'Written for the person using the frontend.' }),
      details: z
        .unknown()
        .optional()
        .openapi({ description: 'VALIDATION_ERROR: `{ fields: [{ path, message }] }`; 405: `{ allow }`; 429: `{ retryAfterSeconds }`; 409: `{ status }` or `{ analysisId }`.' }),
    }),
    metadata: metadataSchema,
  })
  .openapi('ErrorResponse');

/** The success envelope around `data`. */
export function envelope<T extends z.ZodType>(data: T, name: string) {
  return z.object({ success: z.literal(true), data, metadata: metadataSchema }).openapi(name);
}

const requestIdHeader = z.string().openapi({ description: 'The request ID: the client\'s own when it sent a valid one (at most 255 of A-Z a-z 0-9 _ = -), else a new UUID.' });

/** Headers every response carries; rate-limit headers on every request counted (all under /api/v2 but /health and the docs). */
export const commonHeaders = z.object({ 'X-Request-Id': requestIdHeader });
const limitedHeaders = commonHeaders.extend({
  RateLimit: z.string().optional().openapi({ description: 'IETF draft: the remaining allowance and when it resets, e.g. `"reads";r=1199;t=41` (reads or writes).' }),
  'RateLimit-Policy': z.string().optional().openapi({ description: 'The policy counted against, e.g. `"writes";q=30;w=60`.' }),
});

/** The request headers every counted route reads (validated by access/, described here). */
export const requestHeaderDocs = {
  'X-Request-Id': 'Optional. Your ID for this request, echoed back and written on every log line.',
  Authorization: '`Bearer <key>`: required once any API key exists (for reads unless API_READS_OPEN).',
} as const;

/** Each error status once, as a response component the routes refer to (keeps the document small). */
const ERRORS: Record<number, { name: string; description: string }> = {
  400: { name: 'BadRequest', description: 'VALIDATION_ERROR: the request is malformed (body, query, headers, address); `details.fields` names each problem.' },
  401: { name: 'Unauthorized', description: 'UNAUTHORIZED: an API key is needed or the one sent is unknown (with `WWW-Authenticate: Bearer`).' },
  403: { name: 'Forbidden', description: 'FORBIDDEN: the API key was revoked.' },
  404: { name: 'NotFound', description: 'NOT_FOUND: no such analysis (or version); IDs that are not UUIDs are not found either.' },
  405: { name: 'MethodNotAllowed', description: 'METHOD_NOT_ALLOWED: the path exists with other methods, listed in `Allow`.' },
  409: { name: 'Conflict', description: "A conflict with the analysis's state; the code says which." },
  413: { name: 'PayloadTooLarge', description: 'PAYLOAD_TOO_LARGE: the body exceeds 64 KB; the connection is closed after the answer.' },
  422: {
    name: 'Unprocessable',
    description: 'URL_NOT_ALLOWED or VALIDATION_ERROR: well-formed but refused (a private address, a notification channel this service cannot send).',
  },
  429: { name: 'RateLimited', description: 'RATE_LIMITED: wait `Retry-After` seconds.' },
  500: { name: 'InternalError', description: 'INTERNAL_ERROR: a bug; the message is generic, the log has the details under the request ID.' },
  501: { name: 'PdfUnavailable', description: 'PDF_UNAVAILABLE: this server has no Chromium to print the report; `details.install` says how to install it.' },
  503: { name: 'ServiceUnavailable', description: 'SERVICE_UNAVAILABLE: PostgreSQL or Temporal is unreachable; nothing was changed.' },
  504: {
    name: 'RequestTimeout',
    description: 'REQUEST_TIMEOUT: no answer within REQUEST_TIMEOUT_SECONDS; a write may still complete, read the analysis to see.',
  },
};

const header = (description: string, required = false) => ({ description, required, schema: { type: 'string' as const } });

/** The response headers of an error with `status`, as OpenAPI header objects. */
function errorHeaders(status: number) {
  const headers: Record<string, ReturnType<typeof header>> = {
    'X-Request-Id': header("The request ID: the client's own when it sent a valid one, else a new UUID.", true),
  };
  if (status !== 405) {
    headers.RateLimit = header('On counted requests: the remaining allowance and when it resets, e.g. `"reads";r=1199;t=41`.');
    headers['RateLimit-Policy'] = header('On counted requests: the policy, e.g. `"writes";q=30;w=60`.');
  }
  if (status === 429) headers['Retry-After'] = header('Seconds to wait before trying again.', true);
  if (status === 405) headers.Allow = header('The methods this path supports, e.g. `GET, HEAD`.', true);
  if (status === 401) headers['WWW-Authenticate'] = header('`Bearer`, or `Bearer error="invalid_token"` for an unknown key.', true);
  return headers;
}

function errorResponse(status: number, description: string) {
  return { description, headers: errorHeaders(status), content: { 'application/json': { schema: errorEnvelopeSchema } } };
}

/** Registers ErrorResponse and one response component per error status (see mountApiDescription). */
export function registerErrorComponents(registry: OpenAPIHono['openAPIRegistry']): void {
  registry.register('ErrorResponse', errorEnvelopeSchema);
  for (const [status, { name, description }] of Object.entries(ERRORS)) {
    registry.registerComponent('responses', name, {
      description,
      headers: errorHeaders(Number(status)),
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } },
    });
  }
}

/**
 * Errors every counted route can answer, plus the route's own: status → a description of its own
 * (written inline), or undefined for the shared response component of that status.
 */
export function errorResponses(own: Record<number, string | undefined>, options: { counted?: boolean } = {}) {
  const statuses: Record<number, string | undefined> = {
    400: undefined,
    ...(options.counted === false ? {} : { 401: undefined, 403: undefined, 429: undefined }),
    405: undefined,
    500: undefined,
    503: undefined,
    504: undefined,
    ...own,
  };
  return Object.fromEntries(
    Object.entries(statuses).map(([status, text]) => [
      status,
      text === undefined ? { $ref: `#/components/responses/${ERRORS[Number(status)]!.name}` } : errorResponse(Number(status), text),
    ]),
  );
}

export function successResponse<T extends z.ZodType>(description: string, schema: T, extraHeaders?: z.ZodObject) {
  return {
    description,
    headers: extraHeaders ? limitedHeaders.extend(extraHeaders.shape) : limitedHeaders,
    content: { 'application/json': { schema } },
  };
}

export const analysisIdParam = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, description: 'The analysis ID (a UUID).', example: '0b7c9c1e-3f5d-4b8e-9a37-2f0d7b8c1a11' }),
});

const linksSchema = z
  .object({ self: z.string(), report: z.string(), regenerate: z.string(), cancel: z.string() })
  .openapi('AnalysisLinks');

const statusEnum = z.enum(ANALYSIS_STATUSES).openapi('AnalysisStatus');
const stepNameEnum = z.enum(STEP_NAMES).openapi('StepName');
const analysisErrorSchema = z.object({ code: z.string(), message: z.string() });
const isoDate = z.iso.datetime();

export const acceptedSchema = envelope(
  z.object({ analysisId: z.uuid(), status: statusEnum, links: linksSchema }),
  'AnalysisAcceptedResponse',
);

const listItemSchema = z
  .object({
    analysisId: z.uuid(),
    url: z.string(),
    domain: z.string(),
    status: statusEnum,
    currentStep: stepNameEnum.nullable(),
    latestReportVersion: z.int().nullable(),
    error: analysisErrorSchema.nullable(),
    createdAt: isoDate,
    updatedAt: isoDate,
    completedAt: isoDate.nullable(),
    links: linksSchema,
  })
  .openapi('AnalysisListItem');

export const listSchema = envelope(
  z.object({ items: z.array(listItemSchema), nextCursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last.' }) }),
  'AnalysisListResponse',
);

const stepSchema = z
  .object({
    name: stepNameEnum,
    state: z.enum(['pending', 'running', 'completed', 'failed', 'skipped']),
    attempts: z.int(),
    lastError: z.string().optional(),
    startedAt: isoDate.optional(),
    finishedAt: isoDate.optional(),
  })
  .openapi('StepProgress');

const usageSchema = z.object({
  calls: z.int(),
  inputTokens: z.int(),
  cachedTokens: z.int(),
  outputTokens: z.int(),
  costUsd: z.union([z.number(), z.literal('unknown')]).openapi({ description: "'unknown' when a model used has no price." }),
});

const corpusSchema = z.object({
  tokenEstimate: z.number(),
  pages: z.array(
    z.looseObject({ url: z.string(), kind: z.string().nullable(), chars: z.number(), sentChars: z.number(), share: z.number(), left: z.string().optional() }),
  ),
});

const crawlSchema = z.object({
  read: z.array(z.object({ url: z.string(), kind: z.string(), from: z.enum(['site', 'cache', 'revalidated']) })),
  skipped: z.array(z.object({ url: z.string(), reason: z.string(), detail: z.string().optional() })),
  moreSkipped: z.int(),
});

const notificationSchema = z.object({
  id: z.string(),
  version: z.int(),
  channel: z.string(),
  event: z.string(),
  state: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.int(),
  lastError: z.string().nullable(),
  createdAt: isoDate,
  deliveredAt: isoDate.nullable(),
});

export const statusSchema = envelope(
  z
    .object({
      analysisId: z.uuid(),
      url: z.string(),
      domain: z.string(),
      status: statusEnum,
      percent: z.number().min(0).max(100),
      currentStep: stepNameEnum.nullable(),
      version: z.int().openapi({ description: 'The version the steps belong to (1 for the first report).' }),
      latestReportVersion: z.int().nullable(),
      steps: z.array(stepSchema),
      error: analysisErrorSchema.optional(),
      createdAt: isoDate,
      updatedAt: isoDate,
      completedAt: isoDate.nullable(),
      source: z.enum(['database']).openapi({ description: 'Where status and step states came from: PostgreSQL, which the activities keep current as they run (no workflow query per read).' }),
      usage: usageSchema,
      pages: crawlSchema.nullable().openapi({ description: 'Pages read and skipped, each with why; null until content extraction finished.' }),
      corpus: corpusSchema.optional().openapi({ description: 'How much of each page the model was sent; absent before content processing.' }),
      notifications: z.array(notificationSchema),
    })
    .openapi('AnalysisStatusView'),
  'AnalysisStatusResponse',
);

const reportContentSchema = z
  .looseObject({
    format: z.literal(2),
    site: z.object({ url: z.string(), domain: z.string(), title: z.string() }),
    language: z.string(),
    summary: z.string().nullable(),
    offering: z.looseObject({}).nullable(),
    personas: z.array(z.looseObject({})),
    droppedEvidence: z.array(z.unknown()),
    withheld: z.array(z.unknown()),
    generatedBy: z.object({ model: z.string(), standIn: z.boolean() }),
    version: z.int(),
    instructions: z.string().optional(),
  })
  .openapi('ReportContent', { description: 'The report: summary, offering, personas with evidence quotes linked to their pages, what was dropped or withheld, usage.' });

const notReadGroupSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('pages'), reason: z.string(), label: z.string(), pages: z.array(z.object({ url: z.string(), detail: z.string().optional() })), more: z.int() }),
  z.object({ kind: z.literal('hosts'), label: z.string(), hosts: z.array(z.object({ host: z.string(), count: z.int() })) }),
  z.object({ kind: z.literal('unlisted'), label: z.string() }),
]);

const reportViewSchema = z
  .object({
    personaNumbers: z.array(z.int()).openapi({ description: 'The number each delivered persona had in the report as checked: the number the notes use (persona 2 stays 2 when persona 1 was withheld whole).' }),
    partsWithheldWhole: z.array(z.string()).openapi({ description: 'Parts not shown at all, by label ("offering", "persona 1").' }),
    withheld: z.array(z.string()).openapi({ description: 'One sentence per part or field withheld, and why.' }),
    shownWithANote: z.array(z.string()).openapi({ description: 'Notes on parts that are shown: unsupported, or written in another language than asked.' }),
    figures: z.object({ claims: z.string(), fields: z.string(), dropped: z.array(z.string()) }).nullable().openapi({ description: 'The quality figures in words; null for reports checked before they were kept.' }),
    pagesNotRead: z.array(notReadGroupSchema).openapi({ description: 'The pages not read, grouped by why, ten listed per reason; links to other sites as hosts with counts.' }),
  })
  .openapi('ReportView', { description: 'What a reader is told beside the report, in words, as the Markdown and HTML renderings say it: a client shows these instead of working them out.' });

export const reportSchema = envelope(
  z.object({
    analysisId: z.uuid(),
    version: z.int(),
    status: z.string().openapi({ description: '`passed` or `degraded` (the quality verdict of finalization).' }),
    standIn: z.boolean().openapi({ description: 'True when a local stand-in, not a real AI model, wrote any part.' }),
    createdAt: isoDate,
    finalizedAt: isoDate.nullable(),
    report: reportContentSchema,
    quality: z.looseObject({ passed: z.boolean(), issues: z.array(z.unknown()) }).nullable(),
    view: reportViewSchema,
  }),
  'ReportResponse',
);

export const reportDiffSchema = envelope(
  z
    .looseObject({
      analysisId: z.uuid(),
      from: z.int(),
      to: z.int(),
      instructions: z.string().nullable(),
      carriedOver: z.array(z.string()),
      summary: z.looseObject({}).nullable(),
      offering: z.looseObject({}).nullable(),
      personas: z.looseObject({ added: z.array(z.string()), removed: z.array(z.string()), unchanged: z.array(z.string()) }),
    })
    .openapi('ReportDiff'),
  'ReportDiffResponse',
);

export const regenerateAcceptedSchema = envelope(z.object({ analysisId: z.uuid(), nextVersion: z.int() }), 'RegenerateAcceptedResponse');
export const cancelAcceptedSchema = envelope(
  z.object({ analysisId: z.uuid(), status: statusEnum, cancelRequested: z.literal(true) }),
  'CancelAcceptedResponse',
);
export const deletedSchema = envelope(z.object({ analysisId: z.uuid(), deleted: z.literal(true) }), 'DeletedResponse');

const checkSchema = z.looseObject({
  status: z.enum(['ok', 'degraded', 'down', 'skipped']),
  latencyMs: z.number().optional(),
  message: z.string().optional(),
});
export const healthReportSchema = z
  .object({
    status: z.enum(['ok', 'degraded', 'down']),
    checks: z.object({ database: checkSchema, temporal: checkSchema, workers: checkSchema, ai: checkSchema, memory: checkSchema, cpu: checkSchema }),
    uptimeSeconds: z.number(),
    version: z.string(),
  })
  .openapi('HealthReport');
export const healthSchema = envelope(healthReportSchema, 'HealthResponse');
