import { describe, expect, it } from 'vitest';
import { REPORT_STEPS, STEP_NAMES, type StepName, type StepState } from './analysis.js';
import { isActive, progressFromRecords, type LifecycleRecord, type StepRecord } from './progress-view.js';

const at = new Date('2026-01-01T10:00:00Z');
const analysis = (over: Partial<LifecycleRecord> = {}): LifecycleRecord => ({
  id: 'a1',
  status: 'running',
  latest_version: 0,
  requested_version: 1,
  error: null,
  ...over,
});
const step = (version: number, name: StepName, state: StepState, over: Partial<StepRecord> = {}): StepRecord => ({
  step: name,
  version,
  state,
  attempts: 1,
  last_error: null,
  started_at: at,
  finished_at: state === 'running' ? null : at,
  ...over,
});
/** Every step of a version done, as a published version leaves them. */
const published = (version: number) => (version === 1 ? STEP_NAMES : REPORT_STEPS).map((n) => step(version, n, 'completed'));
const states = (p: ReturnType<typeof progressFromRecords>) => Object.fromEntries(p.steps.map((s) => [s.name, s.state]));

describe('progressFromRecords', () => {
  it('a first run in progress: the running step is current, attempts and errors as recorded', () => {
    const p = progressFromRecords(analysis(), [
      step(1, 'validation', 'completed'),
      step(1, 'content_extraction', 'completed', { attempts: 3 }),
      step(1, 'content_processing', 'running', { attempts: 2, last_error: 'timeout' }),
    ]);
    expect(p).toMatchObject({ status: 'running', currentStep: 'content_processing', version: 1, percent: 36, latestReportVersion: null });
    expect(p.steps[2]).toEqual({ name: 'content_processing', state: 'running', attempts: 2, lastError: 'timeout', startedAt: at.toISOString() });
    expect(p.steps.slice(3).every((s) => s.state === 'pending' && s.attempts === 0)).toBe(true);
  });

  it('between two steps (a hand-off) no step is current', () => {
    const p = progressFromRecords(analysis(), [step(1, 'validation', 'completed')]);
    expect(p.currentStep).toBeNull();
    expect(p.percent).toBe(14);
  });

  it('an accepted regeneration is running at once, as the next version with its report steps pending', () => {
    const row = analysis({ status: 'completed', latest_version: 1, requested_version: 2 });
    const p = progressFromRecords(row, published(1));
    expect(p).toMatchObject({ status: 'running', version: 2, latestReportVersion: 1, currentStep: null, percent: 43 });
    expect(states(p)).toMatchObject({ content_processing: 'completed', ai_analysis: 'pending', finalization: 'pending' });
    expect(isActive(row)).toBe(true);
  });

  it('with a newer regeneration waiting, the version in progress is the one shown', () => {
    const row = analysis({ status: 'running', latest_version: 1, requested_version: 3 });
    const p = progressFromRecords(row, [...published(1), step(2, 'ai_analysis', 'running')]);
    expect(p).toMatchObject({ status: 'running', version: 2, currentStep: 'ai_analysis' });
  });

  it('after a failed regeneration the next accepted one is shown, without the old failure', () => {
    const error = { code: 'AI_ERROR', message: 'The model failed.', version: 2 };
    const row = analysis({ status: 'completed', latest_version: 1, requested_version: 3, error });
    const p = progressFromRecords(row, [...published(1), step(2, 'ai_analysis', 'failed', { last_error: 'The model failed.' })]);
    expect(p).toMatchObject({ status: 'running', version: 3 });
    expect(p.error).toBeUndefined();
    expect(states(p).ai_analysis).toBe('pending');
  });

  it('a failed regeneration with nothing after it: completed, its failure shown on its version', () => {
    const error = { code: 'AI_ERROR', message: 'The model failed.', version: 2 };
    const row = analysis({ status: 'completed', latest_version: 1, requested_version: 2, error });
    const p = progressFromRecords(row, [...published(1), step(2, 'ai_analysis', 'failed')]);
    expect(p).toMatchObject({ status: 'completed', version: 2, error: { code: 'AI_ERROR', message: 'The model failed.' }, currentStep: null });
    expect(isActive(row)).toBe(false);
  });

  it('a published later version: completed, its own steps', () => {
    const p = progressFromRecords(analysis({ status: 'completed', latest_version: 2, requested_version: 2 }), [...published(1), ...published(2)]);
    expect(p).toMatchObject({ status: 'completed', version: 2, percent: 100, latestReportVersion: 2 });
  });

  it('a failed first run keeps its error and has no current step', () => {
    const row = analysis({ status: 'failed', error: { code: 'SITE_UNREACHABLE', message: 'No answer.', version: 1 } });
    const p = progressFromRecords(row, [step(1, 'validation', 'failed', { last_error: 'No answer.' })]);
    expect(p).toMatchObject({ status: 'failed', currentStep: null, error: { code: 'SITE_UNREACHABLE', message: 'No answer.' } });
  });
});
