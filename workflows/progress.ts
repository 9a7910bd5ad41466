import {
  REPORT_STEPS,
  STEP_NAMES,
  progressPercent,
  type AnalysisStatus,
  type Progress,
  type StepName,
  type StepProgress,
} from '../src/domain/analysis.js';

/**
 * What the `progress` query answers: the workflow's own view of its steps. Only plain data and
 * the workflow clock (Date is deterministic inside workflows), so it replays identically.
 */
export class ProgressBoard {
  status: AnalysisStatus = 'pending';
  version = 1;
  private current: StepName | null = null;
  private error: Progress['error'];
  private readonly steps = new Map<StepName, StepProgress>(
    STEP_NAMES.map((name) => [name, { name, state: 'pending', attempts: 0 }]),
  );

  constructor(
    private readonly analysisId: string,
    public latestVersion: number,
  ) {
    if (latestVersion > 0) {
      // Resumed after its first report: every step of the latest version is done.
      for (const step of this.steps.values()) step.state = 'completed';
      this.status = 'completed';
      this.version = latestVersion;
    }
  }

  /** A regeneration re-runs the report steps as a new version; content steps stay done. */
  beginVersion(version: number): void {
    this.version = version;
    this.error = undefined;
    for (const name of REPORT_STEPS) this.steps.set(name, { name, state: 'pending', attempts: 0 });
  }

  start(name: StepName): void {
    const step = this.step(name);
    this.status = 'running';
    this.current = name;
    step.state = 'running';
    step.attempts += 1;
    step.startedAt ??= new Date().toISOString();
  }

  finish(name: StepName, state: 'completed' | 'failed' | 'skipped', lastError?: string): void {
    const step = this.step(name);
    step.state = state;
    step.finishedAt = new Date().toISOString();
    if (lastError) step.lastError = lastError;
    if (this.current === name) this.current = null;
  }

  settle(status: AnalysisStatus, error?: Progress['error']): void {
    this.status = status;
    this.error = error;
    this.current = null;
  }

  snapshot(): Progress {
    const steps = STEP_NAMES.map((name) => ({ ...this.step(name) }));
    return {
      analysisId: this.analysisId,
      status: this.status,
      percent: progressPercent(steps),
      currentStep: this.current,
      version: this.version,
      latestReportVersion: this.latestVersion > 0 ? this.latestVersion : null,
      steps,
      ...(this.error ? { error: this.error } : {}),
    };
  }

  private step(name: StepName): StepProgress {
    const step = this.steps.get(name);
    if (!step) throw new Error(`unknown step ${name}`);
    return step;
  }
}
