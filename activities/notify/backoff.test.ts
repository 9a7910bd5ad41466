import { describe, expect, it } from 'vitest';
import { retryAfterMs, retryDelayMs, spoken } from './backoff.js';
import { buildPayload, emailText } from './message.js';

const HOUR = 3_600_000;

describe('retryDelayMs', () => {
  it('doubles from 30 s to at most an hour in a 24-hour window, about 30 sends in all', () => {
    const window = 24 * HOUR;
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, window))).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(retryDelayMs(20, window)).toBe(HOUR);
    let elapsed = 0;
    let sends = 1;
    while (elapsed < window) elapsed += retryDelayMs(sends++, window);
    expect(sends).toBeGreaterThan(20);
    expect(sends).toBeLessThan(40);
  });

  it('keeps the same shape in a short window, never below 200 ms', () => {
    expect(retryDelayMs(1, 14_400)).toBe(200);
    expect(retryDelayMs(10, 14_400)).toBe(600);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates, and ignores what it cannot read', () => {
    expect(retryAfterMs('120')).toBe(120_000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:30 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(30_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});

describe('spoken', () => {
  it.each([
    [1_000, '1 second'],
    [90_000, '90 seconds'],
    [30 * 60_000, '30 minutes'],
    [24 * HOUR, '24 hours'],
  ])('%i ms is "%s"', (ms, words) => expect(spoken(ms)).toBe(words));
});

describe('buildPayload and emailText', () => {
  const analysis = { id: 'a1', url: 'https://acme.test/', domain: 'acme.test', error: { code: 'AI_UNAVAILABLE', message: 'The AI endpoint could not be reached.' } };
  const at = new Date('2026-01-02T03:04:05Z');

  it('tells a finished version where its report is, and carries no error', () => {
    const payload = buildPayload('analysis.version_completed', 2, analysis, at);
    expect(payload).toEqual({
      type: 'analysis.version_completed',
      timestamp: '2026-01-02T03:04:05.000Z',
      data: { analysisId: 'a1', version: 2, status: 'completed', url: 'https://acme.test/', domain: 'acme.test', links: { self: '/api/v2/analysis/a1', report: '/api/v2/analysis/a1/report?version=2' } },
    });
    expect(emailText(payload).subject).toBe('Persona report v2 for acme.test is ready');
  });

  it('gives a failure its reason; a failed regeneration leaves the analysis completed', () => {
    const failed = buildPayload('analysis.failed', 1, analysis, at);
    expect(failed.data).toMatchObject({ status: 'failed', error: { code: 'AI_UNAVAILABLE' }, links: { self: '/api/v2/analysis/a1' } });
    expect(emailText(failed).text).toContain('Reason: The AI endpoint could not be reached.');
    expect(buildPayload('analysis.version_failed', 3, analysis, at).data.status).toBe('completed');
  });
});
