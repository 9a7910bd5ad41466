// Types only from the schemas: workflow code imports this module and must not bundle zod.
import type { z } from 'zod';
import type { analysisOptionsSchema, regenerateRequestSchema } from './requests.js';

/** The seven steps of an analysis, in the order the workflow runs them. */
export const STEP_NAMES = [
  'validation',
  'content_extraction',
  'content_processing',
  'ai_analysis',
  'report_generation',
  'quality_check',
  'finalization',
] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** Steps re-run for every report version (v1 and each regeneration). */
export const REPORT_STEPS = STEP_NAMES.slice(3) as readonly StepName[];

export const ANALYSIS_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
export type AnalysisStatus = (typeof ANALYSIS_STATUSES)[number];
export const TERMINAL_STATUSES: readonly AnalysisStatus[] = ['completed', 'failed', 'cancelled'];

export type StepState = 'pending' | 'running' | 'completed' | 'failed' | 'skipped';

/** The insight calls made in parallel during `ai_analysis`, one activity each. */
export const INSIGHT_KINDS = [
  'offering',
  'audience_segments',
  'goals_and_pains',
  'objections_and_triggers',
  'channels_and_messaging',
] as const;
export type InsightKind = (typeof INSIGHT_KINDS)[number];

/** What a regeneration may ask to redo: any insight, or only the persona synthesis. */
export const REPORT_SECTIONS = [...INSIGHT_KINDS, 'personas'] as const;
export type ReportSection = (typeof REPORT_SECTIONS)[number];

export type AnalysisOptions = z.output<typeof analysisOptionsSchema>;
export type RegenerateRequest = z.output<typeof regenerateRequestSchema>;

export interface StepProgress {
  name: StepName;
  state: StepState;
  attempts: number;
  lastError?: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface Progress {
  analysisId: string;
  status: AnalysisStatus;
  percent: number;
  currentStep: StepName | null;
  /** The version the steps below belong to (1 for the first report). */
  version: number;
  latestReportVersion: number | null;
  steps: StepProgress[];
  error?: { code: string; message: string };
}

/** Percent done: each of the seven steps weighs the same; a running step counts half. */
export function progressPercent(steps: readonly Pick<StepProgress, 'state'>[]): number {
  if (steps.length === 0) return 0;
  const done = steps.reduce(
    (sum, s) => sum + (s.state === 'completed' || s.state === 'skipped' ? 1 : s.state === 'running' ? 0.5 : 0),
    0,
  );
  return Math.round((done / steps.length) * 100);
}

/** The parts of a report a regeneration can rewrite; the others carry over unchanged. */
export type RewritablePart = 'summary' | 'offering' | 'personas';

/**
 * What a regeneration redoes: the insight calls it asked for, and the report parts they feed (the
 * offering insight feeds the summary and the offering; every other insight, and `personas`
 * itself, feeds the personas). No sections: everything.
 */
export function regenerationScope(sections?: readonly ReportSection[]): { insights: InsightKind[]; parts: RewritablePart[] } {
  if (!sections) return { insights: [...INSIGHT_KINDS], parts: ['summary', 'offering', 'personas'] };
  const insights = INSIGHT_KINDS.filter((k) => sections.includes(k));
  const parts: RewritablePart[] = [];
  if (sections.includes('offering')) parts.push('summary', 'offering');
  if (sections.some((s) => s !== 'offering')) parts.push('personas');
  return { insights, parts };
}
