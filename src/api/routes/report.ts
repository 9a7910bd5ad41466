import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { REPORT_HTML_CSP, renderHtml, renderMarkdown, type RenderMeta } from '../../domain/render-report.js';
import { PdfUnavailableError, renderPdf } from '../../pdf.js';
import { diffReports } from '../../domain/report-diff.js';
import { reportView } from '../../domain/report-view.js';
import { reportsRepository } from '../../repositories/reports.js';
import type { ApiDeps, AppEnv } from '../context.js';
import { ok, reply } from '../envelope.js';
import { ApiError } from '../errors.js';
import { analysisIdParam, errorResponses, reportDiffSchema, reportSchema } from '../openapi/schemas.js';
import { isActive } from '../../domain/progress-view.js';
import { loadAnalysis } from './shared.js';

const reportQuerySchema = z.object({
  version: z.coerce.number().int().min(1).max(1_000_000).optional(),
  format: z.enum(['json', 'markdown', 'html', 'pdf']).default('json'),
  /** Another version to compare with: the answer is what changed from it to `version` (JSON). */
  diff: z.coerce.number().int().min(1).max(1_000_000).optional(),
});

const route = createRoute({
  method: 'get',
  path: '/analysis/{id}/report',
  summary: 'The report: latest or a given version, as JSON, Markdown, HTML or PDF; or the diff between two versions',
  tags: ['report'],
  request: { params: analysisIdParam, query: reportQuerySchema },
  responses: {
    200: {
      description: 'The report (`format`), or with `diff` what changed from that version to `version` (JSON only). `X-Report-Version` names the version sent.',
      headers: z.object({
        'X-Request-Id': z.string(),
        'X-Report-Version': z.string().optional().meta({ description: 'The version sent (not on a diff).' }),
      }),
      content: {
        'application/json': { schema: z.union([reportSchema, reportDiffSchema]) },
        'text/markdown': { schema: z.string() },
        'text/html': { schema: z.string().meta({ description: 'A self-contained page, with a strict Content-Security-Policy.' }) },
        'application/pdf': { schema: z.string().meta({ format: 'binary', description: 'The HTML report printed by Chromium.' }) },
      },
    },
    ...errorResponses({
      404: undefined,
      409: 'REPORT_NOT_READY: the report (or this version) is still being written; `details.status`.',
      501: undefined,
    }),
  },
});

// Same policy as the <meta> in renderHtml; as a header it also covers browsers that ignore the meta.

export function reportRoute(deps: ApiDeps): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>().openapi(route, async (c) => {
    const row = await loadAnalysis(c, deps);
    const { version, format, diff } = c.req.valid('query');
    const report =
      version === undefined
        ? await reportsRepository.latest(deps.db, row.id)
        : await reportsRepository.byVersion(deps.db, row.id, version);

    if (!report) {
      if (version === undefined) {
        const message = isActive(row)
          ? 'The report is not ready yet. Check the analysis status and try again when it has completed.'
          : `This analysis ended (${row.status}) without a report.`;
        throw new ApiError(409, 'REPORT_NOT_READY', message, { status: row.status });
      }
      // A version handed out by regenerate that has neither finished nor failed yet.
      const underWay = version > row.latest_version && version <= row.requested_version && row.error?.version !== version;
      if (underWay && isActive(row)) {
        throw new ApiError(409, 'REPORT_NOT_READY', `Version ${version} of the report is not ready yet.`, { status: row.status });
      }
      throw ApiError.notFound(`This analysis has no report version ${version}.`);
    }

    if (diff !== undefined) {
      if (format !== 'json') throw new ApiError(400, 'VALIDATION_ERROR', 'A comparison of versions is available as JSON only.', { fields: { format: ['use format=json with diff'] } });
      const other = await reportsRepository.byVersion(deps.db, row.id, diff);
      if (!other) throw ApiError.notFound(`This analysis has no finished report version ${diff} to compare with.`);
      return ok(c, { analysisId: row.id, ...diffReports(other.content, report.content) });
    }

    const meta: RenderMeta = {
      version: report.version,
      status: report.status,
      quality: report.quality,
      createdAt: report.createdAt,
    };
    c.header('X-Report-Version', String(report.version));
    if (format === 'markdown') {
      return reply(c.body(renderMarkdown(report.content, meta), 200, { 'Content-Type': 'text/markdown; charset=utf-8' }));
    }
    if (format === 'pdf') {
      // The HTML report printed by Chromium; without one, 501 says how to install it.
      const pdf = await renderPdf(renderHtml(report.content, meta), { executablePath: deps.config.CHROMIUM_PATH }).catch((err: unknown) => {
        throw err instanceof PdfUnavailableError ? new ApiError(501, 'PDF_UNAVAILABLE', err.message, { install: 'apt-get install chromium' }, { cause: err }) : err;
      });
      return reply(c.body(new Uint8Array(pdf), 200, {
        'Content-Type': 'application/pdf',
        'Content-Disposition': `inline; filename="personas-${row.id}-v${report.version}.pdf"`,
      }));
    }
    if (format === 'html') {
      return reply(c.body(renderHtml(report.content, meta), 200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': REPORT_HTML_CSP,
        'X-Content-Type-Options': 'nosniff',
      }));
    }
    return ok(c, {
      analysisId: row.id,
      version: report.version,
      status: report.status,
      standIn: report.standIn,
      createdAt: report.createdAt.toISOString(),
      finalizedAt: report.finalizedAt?.toISOString() ?? null,
      report: report.content,
      quality: report.quality,
      view: reportView(report.content, report.quality),
    });
  });
}
