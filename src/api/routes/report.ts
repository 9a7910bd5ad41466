import { Hono } from 'hono';
import { z } from 'zod';
import { REPORT_HTML_CSP, renderHtml, renderMarkdown, type RenderMeta } from '../../domain/render-report.js';
import { diffReports } from '../../domain/report-diff.js';
import { reportsRepository } from '../../repositories/reports.js';
import type { ApiDeps, AppEnv } from '../context.js';
import { ok } from '../envelope.js';
import { ApiError } from '../errors.js';
import { validate } from '../validation.js';
import { isActive, loadAnalysis } from './shared.js';

const reportQuerySchema = z.object({
  version: z.coerce.number().int().min(1).max(1_000_000).optional(),
  format: z.enum(['json', 'markdown', 'html']).default('json'),
  /** Another version to compare with: the answer is what changed from it to `version` (JSON). */
  diff: z.coerce.number().int().min(1).max(1_000_000).optional(),
});

// Same policy as the <meta> in renderHtml; as a header it also covers browsers that ignore the meta.

export function reportRoute(deps: ApiDeps): Hono<AppEnv> {
  return new Hono<AppEnv>().get('/analysis/:id/report', validate('query', reportQuerySchema), async (c) => {
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
      return c.body(renderMarkdown(report.content, meta), 200, { 'Content-Type': 'text/markdown; charset=utf-8' });
    }
    if (format === 'html') {
      return c.body(renderHtml(report.content, meta), 200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': REPORT_HTML_CSP,
        'X-Content-Type-Options': 'nosniff',
      });
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
    });
  });
}
