import { condition, setHandler } from '@temporalio/workflow';
import { progressQuery, type AnalysisWorkflowInput } from '../../workflows/definitions.js';
import { STEP_NAMES, type Progress } from '../../src/domain/analysis.js';

/**
 * Stands in for AnalysisWorkflow in analysis-status.int.test.ts: it answers `progress` with a fixed
 * mid-run snapshot and never finishes, so the status route's workflow path can be checked without
 * the crawler, the AI or any activity.
 */
export const FIXTURE_STARTED_AT = '2026-01-01T10:00:00.000Z';

export async function AnalysisWorkflow(input: AnalysisWorkflowInput): Promise<void> {
  const progress: Progress = {
    analysisId: input.analysisId,
    status: 'running',
    percent: 36,
    currentStep: 'content_processing',
    version: 1,
    latestReportVersion: null,
    steps: STEP_NAMES.map((name, i) => {
      if (i < 2) return { name, state: 'completed', attempts: 1, startedAt: FIXTURE_STARTED_AT, finishedAt: FIXTURE_STARTED_AT };
      if (i === 2) return { name, state: 'running', attempts: 1, startedAt: FIXTURE_STARTED_AT };
      return { name, state: 'pending', attempts: 0 };
    }),
  };
  setHandler(progressQuery, () => progress);
  await condition(() => false);
}
