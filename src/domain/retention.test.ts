import { describe, expect, it } from 'vitest';
import { advanceProgress, batchFinished, retentionCutoffs, startProgress } from './retention.js';

const asOf = new Date('2026-03-31T12:00:00.000Z');

describe('retentionCutoffs', () => {
  it('counts each period back from the one moment of the run', () => {
    expect(retentionCutoffs(asOf, { cacheRetentionDays: 30, analysisRetentionDays: 365 })).toEqual({
      pagesBefore: '2026-03-01T12:00:00.000Z',
      analysesBefore: '2025-03-31T12:00:00.000Z',
    });
  });

  it('accepts fractions of a day', () => {
    expect(retentionCutoffs(asOf, { cacheRetentionDays: 0.5 }).pagesBefore).toBe('2026-03-31T00:00:00.000Z');
  });

  it('keeps forever what has no period', () => {
    expect(retentionCutoffs(asOf, {})).toEqual({ pagesBefore: null, analysesBefore: null });
    expect(retentionCutoffs(asOf, { cacheRetentionDays: null, analysisRetentionDays: 7 }).pagesBefore).toBeNull();
  });

  it('refuses a period that is not a positive number of days', () => {
    expect(() => retentionCutoffs(asOf, { cacheRetentionDays: 0 })).toThrow(/positive number of days/);
    expect(() => retentionCutoffs(asOf, { analysisRetentionDays: -1 })).toThrow(RangeError);
    expect(() => retentionCutoffs(asOf, { analysisRetentionDays: Number.NaN })).toThrow(RangeError);
  });
});

describe('purge progress', () => {
  const both = retentionCutoffs(asOf, { cacheRetentionDays: 30, analysisRetentionDays: 90 });

  it('starts with analyses (so pages only they needed go in the same run), then pages, else done', () => {
    expect(startProgress(both).phase).toBe('analyses');
    expect(startProgress({ ...both, analysesBefore: null }).phase).toBe('pages');
    expect(startProgress({ pagesBefore: null, analysesBefore: null }).phase).toBe('done');
  });

  it('adds each batch to its phase and moves on when a phase is finished', () => {
    let p = startProgress(both);
    p = advanceProgress(p, { deleted: 4, batches: 2, finished: false });
    expect(p).toMatchObject({ phase: 'analyses', analysesDeleted: 4, pagesDeleted: 0, batches: 2 });
    p = advanceProgress(p, { deleted: 1, batches: 1, finished: true });
    expect(p).toMatchObject({ phase: 'pages', analysesDeleted: 5, pagesDeleted: 0, batches: 3 });
    p = advanceProgress(p, { deleted: 7, batches: 2, finished: true });
    expect(p).toMatchObject({ phase: 'done', analysesDeleted: 5, pagesDeleted: 7, batches: 5, cutoffs: both });
  });

  it('ends after analyses when pages are kept forever', () => {
    const p = advanceProgress(startProgress({ ...both, pagesBefore: null }), { deleted: 0, batches: 1, finished: true });
    expect(p.phase).toBe('done');
  });

  it('does not change the progress it was given (the query may be reading it)', () => {
    const p = startProgress(both);
    advanceProgress(p, { deleted: 3, batches: 1, finished: true });
    expect(p).toMatchObject({ phase: 'analyses', analysesDeleted: 0, batches: 0 });
  });

  it('a batch short of its size found the end', () => {
    expect(batchFinished(2, 3)).toBe(true);
    expect(batchFinished(0, 3)).toBe(true);
    expect(batchFinished(3, 3)).toBe(false);
  });
});
