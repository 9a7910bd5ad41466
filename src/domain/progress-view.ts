import { progressPercent, REPORT_STEPS, STEP_NAMES, type AnalysisStatus, type Progress, type StepName, type StepProgress, type StepState } from './analysis.js';

/**
 * What PostgreSQL records of an analysis's lifecycle: the analysis row (status and the versions the
 * API handed out) and one row per step and version, which the worker's activities keep current as
 * each attempt begins, fails and ends (activities/tracking.ts). The status route answers from these
 * alone, without asking the workflow: a query per read cost a workflow task each time and waited
 * behind any task in progress.
 */
export interface LifecycleRecord {
  id: string;
  status: AnalysisStatus;
  latest_version: number;
  /** Highest version handed out by the API (start = 1, each regenerate +1). */
  requested_version: number;
  error: { code: string; message: string; version?: number } | null;
}

export interface StepRecord {
  step: StepName;
  version: number;
  state: StepState;
  attempts: number;
  last_error: string | null;
  started_at: Date | null;
  finished_at: Date | null;
}

const ACTIVE_STATUSES: readonly AnalysisStatus[] = ['pending', 'running'];

/**
 * A regeneration the API handed out and the workflow has not finished. A failed regeneration leaves
 * the analysis `completed` with `error.version` set to the version that failed (or that never
 * started): that one is not under way.
 */
export function awaitingRegeneration(row: Pick<LifecycleRecord, 'latest_version' | 'requested_version' | 'error'>): boolean {
  return row.latest_version >= 1 && row.requested_version > row.latest_version && row.error?.version !== row.requested_version;
}

/** Whether work is under way or about to be: pending/running, or an accepted regeneration. */
export function isActive(row: Pick<LifecycleRecord, 'status' | 'latest_version' | 'requested_version' | 'error'>): boolean {
  return ACTIVE_STATUSES.includes(row.status) || awaitingRegeneration(row);
}

/**
 * The row of `name` that belongs to `version`. Content steps run once (version 1) and stay done for
 * every later version; report steps run again per version, so an older version's row does not count.
 */
function recordFor(records: readonly StepRecord[], name: StepName, version: number): StepRecord | undefined {
  const rerun = REPORT_STEPS.includes(name);
  return records
    .filter((r) => r.step === name && (rerun ? r.version === version : r.version <= version))
    .reduce<StepRecord | undefined>((best, r) => (!best || r.version > best.version ? r : best), undefined);
}

function stepFrom(name: StepName, record: StepRecord | undefined): StepProgress {
  if (!record) return { name, state: 'pending', attempts: 0 };
  return {
    name,
    state: record.state,
    attempts: record.attempts,
    ...(record.last_error ? { lastError: record.last_error } : {}),
    ...(record.started_at ? { startedAt: record.started_at.toISOString() } : {}),
    ...(record.finished_at ? { finishedAt: record.finished_at.toISOString() } : {}),
  };
}

/** A version has ended when one of its steps failed for good or its report was published. */
function ended(records: readonly StepRecord[], version: number): boolean {
  return records.some((r) => r.version === version && (r.state === 'failed' || (r.step === 'finalization' && r.state === 'completed')));
}

/**
 * The version the steps describe: the newest one with step rows, or, while a regeneration is
 * waiting for its turn, the next one the workflow will run. The workflow runs versions one at a
 * time in order, and the API hands them out one by one, so the next is the one after the newest
 * that ended.
 */
function currentVersion(row: LifecycleRecord, records: readonly StepRecord[]): number {
  const newest = records.reduce((v, r) => Math.max(v, r.version), 1);
  if (!awaitingRegeneration(row)) return newest;
  if (newest > row.latest_version && !ended(records, newest)) return newest;
  return Math.min(Math.max(newest, row.latest_version) + 1, row.requested_version);
}

/** The progress a status reader sees, from the analysis row and its step rows. */
export function progressFromRecords(row: LifecycleRecord, records: readonly StepRecord[]): Progress {
  const version = currentVersion(row, records);
  const steps = STEP_NAMES.map((name) => stepFrom(name, recordFor(records, name, version)));
  // An accepted regeneration is under way from the moment the API accepted it, as the workflow sees it.
  const waiting = awaitingRegeneration(row);
  const status: AnalysisStatus = waiting ? 'running' : row.status;
  // An earlier version's failure is history once a newer version is under way.
  const error = row.error && (!waiting || row.error.version === version) ? { code: row.error.code, message: row.error.message } : undefined;
  return {
    analysisId: row.id,
    status,
    percent: status === 'completed' ? 100 : progressPercent(steps),
    // The step an attempt is working on now; between two steps (a hand-off), none.
    currentStep: ACTIVE_STATUSES.includes(status) ? (steps.find((s) => s.state === 'running')?.name ?? null) : null,
    version,
    latestReportVersion: row.latest_version > 0 ? row.latest_version : null,
    steps,
    ...(error ? { error } : {}),
  };
}
