import { describe, expect, it } from 'vitest';
import { backoffMs, outageDecision, outageWindow, utcTime } from './model-outage.js';

const at = (iso: string) => Date.parse(iso);

describe('model outage rules', () => {
  it('backs off like the policy: doubling from a second, capped at a minute', () => {
    expect([1, 2, 3, 6, 7, 20].map(backoffMs)).toEqual([1_000, 2_000, 4_000, 32_000, 60_000, 60_000]);
  });

  it('counts the window from the first schedule time, or from now when that time is not real', () => {
    const now = at('2026-11-30T12:30:00Z');
    expect(outageWindow(at('2026-11-30T12:01:00Z'), 60, now)).toEqual({ since: at('2026-11-30T12:01:00Z'), until: at('2026-11-30T13:01:00Z'), minutes: 60 });
    // A mocked activity context schedules at 1 ms after the epoch; a clock ahead of ours is not trusted either.
    expect(outageWindow(1, 0.05, now)).toEqual({ since: now, until: now + 3_000, minutes: 0.05 });
    expect(outageWindow(now + 60_000, 1, now).since).toBe(now);
  });

  it('names times in UTC, with the date when it is another day and seconds when asked', () => {
    const now = at('2026-11-30T12:30:00Z');
    expect(utcTime(at('2026-11-30T12:01:09Z'), now)).toBe('12:01 UTC');
    expect(utcTime(at('2026-11-30T12:01:09Z'), now, true)).toBe('12:01:09 UTC');
    expect(utcTime(at('2026-11-29T23:59:00Z'), now)).toBe('2026-11-29 23:59 UTC');
  });

  it('waits while the window lasts, never past its end, at least as long as a 429 asked', () => {
    const window = outageWindow(at('2026-11-30T12:01:00Z'), 60, at('2026-11-30T12:30:00Z'));
    const base = { window, cause: 'could not be reached (connection refused)' };
    expect(outageDecision({ ...base, now: at('2026-11-30T12:30:00Z'), attempt: 2 })).toEqual({
      retry: true,
      delayMs: 2_000,
      message: 'Waiting for the AI endpoint since 12:01 UTC: could not be reached (connection refused); retrying until 13:01 UTC.',
    });
    expect(outageDecision({ ...base, now: at('2026-11-30T12:30:00Z'), attempt: 2, requestedDelayMs: 30_000 })).toMatchObject({ delayMs: 30_000 });
    expect(outageDecision({ ...base, now: at('2026-11-30T13:00:50Z'), attempt: 40 })).toMatchObject({ retry: true, delayMs: 10_000 });
    const final = outageDecision({ ...base, now: at('2026-11-30T13:01:00Z'), attempt: 41 });
    expect(final).toEqual({
      retry: false,
      message:
        'The AI endpoint was unavailable from 12:01 UTC until 13:01 UTC, the 60 minutes AI_OUTAGE_MINUTES allows: could not be reached (connection refused). The analysis stopped waiting; try again once the endpoint works.',
    });
    expect(final.message).not.toMatch(/retr|will be/i);
  });
});
