import { claimTally } from '../src/domain/quality.js';
import { withholdFailing } from '../src/domain/withhold.js';
import { aiResponsesRepository } from '../src/repositories/ai-responses.js';
import { eventsRepository } from '../src/repositories/events.js';
import { reportsRepository } from '../src/repositories/reports.js';
import { markStep, trackAttempt } from './tracking.js';
import type { ActivityDeps, FinalizeInput } from './types.js';

/**
 * Finalization: the report becomes the analysis's latest, and its readers are told once. What
 * still fails the quality rules after the last repair is withheld here, so no reader ever sees it,
 * and the version's model usage is written into the report.
 */
export function createNotificationActivities(deps: ActivityDeps) {
  return {
    async finalizeReport({ analysisId, version, reportId }: FinalizeInput): Promise<void> {
      await trackAttempt(deps, { analysisId, version, step: 'finalization' }, async (log) => {
        const report = await reportsRepository.byId(deps.db, reportId);
        const issues = report?.status === 'degraded' ? (report.quality?.issues ?? []) : [];
        const { pricedCostUsd: _lowerBound, ...usage } = await aiResponsesRepository.usage(deps.db, analysisId, version);
        const content = report && { ...withholdFailing(report.content, issues), usage };
        // The share of claims with evidence is stated of what readers get, after withholding.
        const quality = report?.quality && content ? { ...report.quality, claims: claimTally(content) } : undefined;
        const firstTime = await deps.db.transaction().execute(async (tx) => {
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
        // A retried attempt finds the report already final and must not notify again.
        if (!firstTime) return;
        // Seam: signed webhooks and email (options.notify) arrive with their own issue.
        log.info('report finalized', { version, reportId });
      });
    },
  };
}
