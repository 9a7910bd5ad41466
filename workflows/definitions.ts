import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AnalysisOptions, InsightKind, Progress, RegenerateRequest } from '../src/domain/analysis.js';

/** Names shared by the workflow, the worker and every client (API, CLI, tests). */
export const WORKFLOW_TYPE = 'AnalysisWorkflow';
export const DEFAULT_TASK_QUEUE = 'persona-analysis';

export function workflowIdFor(analysisId: string): string {
  return `analysis-${analysisId}`;
}

export const progressQuery = defineQuery<Progress>('progress');

/** `version` is handed out by the API (atomically, in PostgreSQL) so it can answer `nextVersion` at once. */
export interface RegenerateSignal extends RegenerateRequest {
  version: number;
}
export const regenerateSignal = defineSignal<[RegenerateSignal]>('regenerate');
/**
 * Sent by the API's DELETE just before it cancels the run: the run's AnalysisStatus becomes
 * `deleted` (a Web UI value only; the API's statuses stay the contract's).
 */
export const deleteSignal = defineSignal('delete');

export const SiteDomainKey = defineSearchAttributeKey('SiteDomain', SearchAttributeType.KEYWORD);
export const AnalysisStatusKey = defineSearchAttributeKey('AnalysisStatus', SearchAttributeType.KEYWORD);

export interface AnalysisWorkflowInput {
  analysisId: string;
  url: string;
  options: AnalysisOptions;
  /** How long a finished analysis waits for `regenerate` before it closes (ms or a duration string). */
  idleTimeout?: string | number;
  /**
   * Set when the run continues an earlier one (continue-as-new, or signal-with-start after it
   * closed): the content steps are done and this is the latest report version.
   */
  resume?: {
    latestVersion: number;
    insightIds?: Partial<Record<InsightKind, string>>;
    pending?: RegenerateSignal[];
  };
}

/** Only a completed run has a result: a failed one ends Failed, a cancelled one Canceled. */
export interface AnalysisWorkflowResult {
  status: 'completed';
  latestVersion: number;
}
