import { ScheduleOverlapPolicy, type ScheduleDescription } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { PURGE_AT, purgeInput, scheduleMatches } from './schedules.js';

const range = (n: number) => [{ start: n, end: n, step: 1 }];

/** The parts of a schedule description `scheduleMatches` reads, as the server would describe ours. */
function described(overrides: { action?: object; spec?: object; overlap?: ScheduleOverlapPolicy } = {}): ScheduleDescription {
  return {
    action: {
      type: 'startWorkflow',
      workflowType: 'RetentionPurgeWorkflow',
      taskQueue: 'persona-analysis',
      args: [{ cacheRetentionDays: 30, analysisRetentionDays: null }],
      ...overrides.action,
    },
    spec: { calendars: [{ hour: range(PURGE_AT.hour), minute: range(PURGE_AT.minute), second: range(0) }], intervals: [], ...overrides.spec },
    policies: { overlap: overrides.overlap ?? ScheduleOverlapPolicy.SKIP, catchupWindow: 86_400_000, pauseOnFailure: false },
  } as unknown as ScheduleDescription;
}

const desired = { taskQueue: 'persona-analysis', input: { cacheRetentionDays: 30, analysisRetentionDays: null } };

describe('purgeInput', () => {
  it('passes the retention periods, null for keep-forever (so the schedule compares equal after a round trip)', () => {
    expect(purgeInput({ CACHE_RETENTION_DAYS: 30, ANALYSIS_RETENTION_DAYS: undefined })).toEqual({ cacheRetentionDays: 30, analysisRetentionDays: null });
  });
});

describe('scheduleMatches', () => {
  it('leaves alone a schedule that already does what the worker would set up', () => {
    expect(scheduleMatches(described(), desired)).toBe(true);
  });

  it('updates one on another task queue, with other periods, another time or another overlap policy', () => {
    expect(scheduleMatches(described({ action: { taskQueue: 'old-queue' } }), desired)).toBe(false);
    expect(scheduleMatches(described({ action: { args: [{ cacheRetentionDays: 7, analysisRetentionDays: null }] } }), desired)).toBe(false);
    expect(scheduleMatches(described({ action: { workflowType: 'SomethingElse' } }), desired)).toBe(false);
    expect(scheduleMatches(described({ spec: { calendars: [{ hour: range(4), minute: range(PURGE_AT.minute) }] } }), desired)).toBe(false);
    expect(scheduleMatches(described({ spec: { intervals: [{ every: 3_600_000, offset: 0 }] } }), desired)).toBe(false);
    expect(scheduleMatches(described({ overlap: ScheduleOverlapPolicy.ALLOW_ALL }), desired)).toBe(false);
  });
});
