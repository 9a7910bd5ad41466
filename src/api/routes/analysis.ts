import { createHash, randomUUID } from 'node:crypto';
import { isGrpcServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { z } from 'zod';
import {
  deleteSignal,
  regenerateSignal,
  WORKFLOW_TYPE,
  workflowIdFor,
  type AnalysisWorkflowInput,
  type RegenerateSignal,
} from '../../../workflows/definitions.js';
import { inTransaction } from '../../database.js';
import { ANALYSIS_STATUSES, type AnalysisOptions } from '../../domain/analysis.js';
import { analysisOptionsSchema, regenerateRequestSchema } from '../../domain/requests.js';
import { addressPolicy, urlRefusal } from '../../domain/address.js';
import { domainKey, InvalidUrlError, normalizeUrl, RefusedUrlError, siteDomain } from '../../domain/url.js';
import { analysesRepository, decodeCursor, encodeCursor, type AnalysisRow } from '../../repositories/analyses.js';
import { eventsRepository } from '../../repositories/events.js';
import type { ApiDeps, AppEnv } from '../context.js';
import { ok, type ApiReply } from '../envelope.js';
import { ApiError } from '../errors.js';
import {
  acceptedSchema,
  analysisIdParam,
  cancelAcceptedSchema,
  deletedSchema,
  errorResponses,
  listSchema,
  regenerateAcceptedSchema,
  successResponse,
} from '../openapi/schemas.js';
import { jsonBodyChecks, validate } from '../validation.js';
import { isActive } from '../../domain/progress-view.js';
import { statusRoute } from './analysis-status.js';
import { reportRoute } from './report.js';
import {
  analysisLinks,
  loadAnalysis,
  withTemporalDeadline,
  workflowVisibility,
  type AnalysisWorkflowFn,
} from './shared.js';
import stableStringify from 'safe-stable-stringify';

export const startRequestSchema = z
  .object({
    url: z
      .string({ error: (issue) => (issue.input === undefined ? 'Enter the address of the website to analyze.' : 'The URL must be text.') })
      .max(2048, 'The URL is too long (at most 2048 characters).')
      .transform((input, ctx) => {
        try {
          return { input, normalized: normalizeUrl(input), refused: undefined as string | undefined };
        } catch (err) {
          // Well-formed but refused on purpose (scheme, credentials): 422 URL_NOT_ALLOWED in the handler.
          if (err instanceof RefusedUrlError) return { input, normalized: '', refused: err.message };
          const message = err instanceof InvalidUrlError ? err.message : 'Enter a valid http or https address.';
          ctx.addIssue({ code: 'custom', message });
          return z.NEVER;
        }
      }),
    // prefault, not default: the empty object is parsed, so the options' own defaults apply.
    options: analysisOptionsSchema.prefault({}),
  })
  .strict()
  .meta({ id: 'StartRequest', description: 'The site to analyze and how.' });

const idempotencyHeaderSchema = z.object({
  'Idempotency-Key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'Use 1 to 255 visible ASCII characters, e.g. a UUID.')
    .optional()
    .meta({ description: 'Optional. A retried start with the same key and body answers with the same analysis; with another body, 409 IDEMPOTENCY_KEY_REUSED.' }),
});

const listQuerySchema = z.object({
  status: z.enum(ANALYSIS_STATUSES).optional(),
  // The same form as analyses.domain: lowercase, no leading www., no trailing dot.
  domain: z
    .string()
    .trim()
    .min(1)
    .max(253)
    .transform(domainKey)
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .max(512)
    .transform((text, ctx) => {
      const cursor = decodeCursor(text);
      if (!cursor) ctx.addIssue({ code: 'custom', message: 'This cursor is not valid; load the list again from the first page.' });
      return cursor ?? z.NEVER;
    })
    .optional(),
});

const locationHeader = z.object({ Location: z.string().meta({ description: 'The analysis: GET it for status and progress.' }) });

const startRoute = createRoute({
  method: 'post',
  path: '/analysis/start',
  summary: 'Start an analysis of a website',
  tags: ['analysis'],
  // Header, size, media type, UTF-8, JSON syntax and characters first (each a 4xx in the envelope), then the schema.
  middleware: [validate('header', idempotencyHeaderSchema), ...jsonBodyChecks()],
  request: {
    headers: idempotencyHeaderSchema,
    body: { required: true, content: { 'application/json': { schema: startRequestSchema } } },
  },
  responses: {
    202: successResponse('Accepted: the analysis runs in the background. Also the answer to a retried start with the same Idempotency-Key.', acceptedSchema, locationHeader),
    ...errorResponses({
      409: 'IDEMPOTENCY_KEY_REUSED: the key was used for a different request (`details.analysisId`).',
      413: undefined,
      422: undefined,
    }),
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/analysis',
  summary: 'List analyses, newest first',
  tags: ['analysis'],
  request: { query: listQuerySchema },
  responses: { 200: successResponse('A page of analyses.', listSchema), ...errorResponses({}) },
});

const regenerateRoute = createRoute({
  method: 'post',
  path: '/analysis/{id}/regenerate',
  summary: 'Write a new version of the report',
  description: 'Optionally with instructions and only some sections redone; an empty body means all sections, no instructions.',
  tags: ['analysis'],
  middleware: jsonBodyChecks({ optional: true }),
  request: {
    params: analysisIdParam,
    body: { required: false, content: { 'application/json': { schema: regenerateRequestSchema.meta({ id: 'RegenerateRequest' }) } } },
  },
  responses: {
    202: successResponse('Accepted: `nextVersion` is being written.', regenerateAcceptedSchema),
    ...errorResponses({
      404: undefined,
      409: 'ANALYSIS_NOT_READY (the first report is still being written) or NO_REPORT_TO_REGENERATE (it ended without one).',
      413: undefined,
    }),
  },
});

const cancelRoute = createRoute({
  method: 'post',
  path: '/analysis/{id}/cancel',
  summary: 'Cancel a running analysis',
  tags: ['analysis'],
  request: { params: analysisIdParam },
  responses: {
    202: successResponse('Cancellation requested; the status changes when the workflow has recorded it.', cancelAcceptedSchema),
    ...errorResponses({ 404: undefined, 409: 'ALREADY_FINISHED: nothing to cancel.' }),
  },
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/analysis/{id}',
  summary: 'Delete an analysis and everything stored of it',
  tags: ['analysis'],
  request: { params: analysisIdParam },
  responses: { 200: successResponse('Deleted.', deletedSchema), ...errorResponses({ 404: undefined }) },
});

/** Tells a retried start request from a different one reusing its Idempotency-Key. */
function requestHash(url: string, options: AnalysisOptions): string {
  // Keys sorted, so equal requests hash equally whatever order their keys came in.
  return createHash('sha256').update(stableStringify({ url, options }) ?? '').digest('hex');
}

/**
 * A notification the service could not send is refused at start, not discovered hours later: the
 * webhook address follows the same rules as the site's, and each channel needs its settings.
 */
function refuseNotify(notify: AnalysisOptions['notify'], config: ApiDeps['config']): void {
  const refuse = (path: string, message: string, code: 'URL_NOT_ALLOWED' | 'VALIDATION_ERROR' = 'VALIDATION_ERROR') => {
    throw new ApiError(422, code, message, { fields: [{ path, message }] });
  };
  if (notify?.webhookUrl) {
    const refusal = urlRefusal(notify.webhookUrl, addressPolicy(config));
    if (refusal) refuse('options.notify.webhookUrl', `The webhook address is not accepted: ${refusal}`, 'URL_NOT_ALLOWED');
    if (!config.WEBHOOK_SECRET) refuse('options.notify.webhookUrl', 'This service is not set up to send webhooks (WEBHOOK_SECRET is not set).');
  }
  if (notify?.email && !config.SMTP_URL) refuse('options.notify.email', 'This service is not set up to send email (SMTP_URL is not set).');
}

/** gRPC NOT_FOUND (grpc-js is not a direct dependency). */
const GRPC_NOT_FOUND = 5;

/** Removes a closed run (history and visibility) of a deleted analysis; one already gone is fine. */
async function deleteClosedRun(deps: ApiDeps, workflowId: string): Promise<void> {
  try {
    await deps.temporal.workflowService.deleteWorkflowExecution({
      namespace: deps.temporal.options.namespace,
      workflowExecution: { workflowId },
    });
  } catch (err) {
    if (!(isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND)) throw err;
  }
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '23505';
}

function workflowInput(deps: ApiDeps, row: AnalysisRow, resume?: AnalysisWorkflowInput['resume']): AnalysisWorkflowInput {
  return {
    analysisId: row.id,
    url: row.url,
    // Stored from analysisOptionsSchema's output at start, so it has that shape.
    options: row.options as AnalysisOptions,
    // A finished analysis's run closes after this (Web UI: not Running for a day); regenerate reopens it.
    idleTimeout: deps.workflowIdleTimeout ?? `${deps.config.ANALYSIS_IDLE_MINUTES} minutes`,
    ...(resume ? { resume } : {}),
  };
}

function accepted(c: Context<AppEnv>, row: Pick<AnalysisRow, 'id' | 'status'>): ApiReply {
  const links = analysisLinks(row.id);
  c.header('Location', links.self);
  return ok(c, { analysisId: row.id, status: row.status, links }, 202);
}

function listItem(row: AnalysisRow) {
  return {
    analysisId: row.id,
    url: row.url,
    domain: row.domain,
    status: row.status,
    currentStep: row.current_step,
    latestReportVersion: row.latest_version > 0 ? row.latest_version : null,
    error: row.error ? { code: row.error.code, message: row.error.message } : null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    completedAt: row.completed_at?.toISOString() ?? null,
    links: analysisLinks(row.id),
  };
}

export function analysisRoutes(deps: ApiDeps): OpenAPIHono<AppEnv> {
  const { db, temporal, taskQueue } = deps;
  const app = new OpenAPIHono<AppEnv>();
  // API keys and rate limits are checked for every route here by access/ (see app.ts).

  app.openapi(
    startRoute,
    async (c) => {
      const { url, options } = c.req.valid('json');
      // What the URL alone tells (scheme, credentials, port, a literal or special host) is refused
      // here, before anything is stored or started; resolved names are checked by the validation step.
      const refusal = url.refused ?? urlRefusal(url.normalized, addressPolicy(deps.config));
      if (refusal) throw new ApiError(422, 'URL_NOT_ALLOWED', refusal, { fields: [{ path: 'url', message: refusal }] });
      refuseNotify(options.notify, deps.config);
      const idempotencyKey = c.req.valid('header')['Idempotency-Key'];
      const hash = requestHash(url.normalized, options);
      const replay = (existing: AnalysisRow): ApiReply => {
        if (existing.request_hash !== hash) {
          throw new ApiError(
            409,
            'IDEMPOTENCY_KEY_REUSED',
            'This Idempotency-Key was already used for a different request. Use a new key for a new analysis.',
            { analysisId: existing.id },
          );
        }
        c.get('log').info('start replayed for idempotency key', { analysisId: existing.id });
        return accepted(c, existing);
      };

      if (idempotencyKey) {
        const existing = await analysesRepository.byIdempotencyKey(db, idempotencyKey);
        if (existing) return replay(existing);
      }

      const id = randomUUID();
      let row: AnalysisRow;
      try {
        // The row commits only if Temporal accepted the workflow: no analysis without a run behind it.
        row = await db.transaction().execute(async (trx) => {
          const created = await analysesRepository.create(trx, {
            id,
            url: url.normalized,
            input_url: url.input,
            domain: siteDomain(url.normalized),
            status: 'pending',
            options,
            idempotency_key: idempotencyKey ?? null,
            request_hash: hash,
            workflow_id: workflowIdFor(id),
          });
          await withTemporalDeadline(deps, () =>
            temporal.workflow.start<AnalysisWorkflowFn>(WORKFLOW_TYPE, {
              taskQueue,
              workflowId: created.workflow_id,
              args: [workflowInput(deps, created)],
              ...workflowVisibility(created, 'pending'),
            }),
          );
          return created;
        });
      } catch (err) {
        // A concurrent request with the same key committed first (we waited on its row lock).
        if (idempotencyKey && isUniqueViolation(err)) {
          const existing = await analysesRepository.byIdempotencyKey(db, idempotencyKey);
          if (existing) return replay(existing);
        }
        throw err;
      }
      c.get('log').info('analysis started', { analysisId: row.id, workflowId: row.workflow_id, domain: row.domain });
      return accepted(c, row);
    },
  );

  app.openapi(listRoute, async (c) => {
    const { status, domain, limit, cursor } = c.req.valid('query');
    const page = await analysesRepository.list(db, { status, domain, limit, after: cursor });
    return ok(c, { items: page.rows.map(listItem), nextCursor: page.next ? encodeCursor(page.next) : null });
  });

  app.route('/', statusRoute(deps));
  app.route('/', reportRoute(deps));

  app.openapi(regenerateRoute, async (c) => {
    const row = await loadAnalysis(c, deps);
    const request = c.req.valid('json');
    if (row.latest_version === 0) {
      if (isActive(row)) {
        throw new ApiError(409, 'ANALYSIS_NOT_READY', 'The first report is still being written. You can regenerate it once it is ready.');
      }
      throw new ApiError(
        409,
        'NO_REPORT_TO_REGENERATE',
        `This analysis ended (${row.status}) without a report, so there is nothing to regenerate. Start a new analysis instead.`,
      );
    }

    // Versions are handed out here, atomically, so concurrent regenerations never share one. The
    // reservation is committed before Temporal is called: a signal that times out may still have
    // been delivered, and its version must never be handed out again.
    const nextVersion = await db.transaction().execute(async (trx) => {
      const version = await analysesRepository.reserveNextVersion(trx, row.id);
      if (version === undefined) throw ApiError.notFound('No analysis with this ID exists. It may have been deleted.');
      // The sections say how many model calls the version makes (its live progress, "model calls 3/6").
      const sections = request?.sections;
      await eventsRepository.append(trx, { analysisId: row.id, version, type: 'regenerate_requested', details: sections ? { sections } : null });
      return version;
    });
    try {
      // Signals the waiting workflow, or starts a closed one again from what is stored.
      await withTemporalDeadline(deps, () =>
        temporal.workflow.signalWithStart<AnalysisWorkflowFn, [RegenerateSignal]>(WORKFLOW_TYPE, {
          taskQueue,
          workflowId: row.workflow_id,
          signal: regenerateSignal,
          signalArgs: [{ ...request, version: nextVersion }],
          args: [workflowInput(deps, row, { latestVersion: row.latest_version })],
          ...workflowVisibility(row, 'running'),
        }),
      );
    } catch (err) {
      await analysesRepository.markVersionNotStarted(db, row.id, nextVersion, 'The regeneration could not be started. Try again.');
      throw err;
    }
    c.get('log').info('regeneration requested', { analysisId: row.id, version: nextVersion });
    return ok(c, { analysisId: row.id, nextVersion }, 202);
  });

  app.openapi(cancelRoute, async (c) => {
    const row = await loadAnalysis(c, deps);
    const alreadyFinished = () =>
      new ApiError(409, 'ALREADY_FINISHED', `This analysis has already finished (${row.status}); there is nothing to cancel.`, {
        status: row.status,
      });
    if (!isActive(row)) throw alreadyFinished();
    try {
      // Cancellation, not termination: the workflow records the outcome, activities stop at their next heartbeat.
      await withTemporalDeadline(deps, () => temporal.workflow.getHandle(row.workflow_id).cancel());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw alreadyFinished();
      throw err;
    }
    await eventsRepository.append(db, { analysisId: row.id, type: 'cancel_requested' });
    c.get('log').info('cancellation requested', { analysisId: row.id });
    // The status stays what it is until the workflow records the cancellation.
    return ok(c, { analysisId: row.id, status: row.status, cancelRequested: true }, 202);
  });

  app.openapi(deleteRoute, async (c) => {
    const row = await loadAnalysis(c, deps);
    const log = c.get('log');
    try {
      // Also for finished analyses: their workflow may still be open, waiting for regenerations.
      // The signal first marks the run deleted in the Web UI (AnalysisStatus), then it is cancelled.
      const handle = temporal.workflow.getHandle(row.workflow_id);
      await withTemporalDeadline(deps, () => handle.signal(deleteSignal).then(() => handle.cancel()));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        // Its run has closed (after the idle period): a closed run's search attributes cannot be
        // changed, and its history still holds the URL. Delete means deleted: remove the run too.
        await withTemporalDeadline(deps, () => deleteClosedRun(deps, row.workflow_id)).catch((deleteErr: unknown) =>
          log.warn('could not delete the closed workflow run of a deleted analysis', {
            analysisId: row.id,
            error: deleteErr instanceof Error ? deleteErr.message : String(deleteErr),
          }),
        );
      } else {
        // Deleting under a running workflow would leave it failing on a missing row: refuse until Temporal answers.
        if (isActive(row)) throw err;
        log.warn('could not cancel the workflow of a finished analysis; deleting anyway', {
          analysisId: row.id,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    await inTransaction(db, async (trx) => {
      if (!(await analysesRepository.delete(trx, row.id))) {
        throw ApiError.notFound('No analysis with this ID exists. It may have been deleted.');
      }
      // The audit trail keeps that it existed and was deleted (ID and time), nothing of its content:
      // its earlier events go in this transaction, and events its activities still send are dropped.
      await eventsRepository.eraseAnalyses(trx, [row.id]);
    });
    log.info('analysis deleted', { analysisId: row.id });
    return ok(c, { analysisId: row.id, deleted: true });
  });

  return app;
}
