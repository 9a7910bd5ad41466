import { describe, expect, it } from 'vitest';
import type { ProgressSnapshot } from './follow-analysis.js';
import { progressOutput, renderBar } from './progress-bar.js';

/** A stand-in for process.stderr: records what is written; a terminal or a pipe. */
function fakeStream(isTTY: boolean, columns = 100) {
  let written = '';
  const stream = { isTTY, columns, write: (s: string) => ((written += s), true) } as unknown as NodeJS.WriteStream;
  return { stream, written: () => written };
}

const crawling: ProgressSnapshot = { percent: 20, step: 'content_extraction', stepNumber: 2, stepCount: 7, state: 'running', done: 4, total: 10, unit: 'pages' };

describe('renderBar', () => {
  it('shows the bar, the percentage, the step and its sub-step counts', () => {
    expect(renderBar(crawling, 100)).toBe('[######------------------------]  20% step 2/7 content_extraction · 4/10 pages');
    expect(renderBar({ ...crawling, percent: 100, step: 'finalization', stepNumber: 7, done: undefined, total: undefined }, 100)).toMatch(/^\[#{30}\] 100% step 7\/7 finalization$/);
  });

  it('fits a narrow terminal', () => {
    expect(renderBar(crawling, 40).length).toBeLessThan(40);
  });
});

describe('progressOutput', () => {
  it('on a terminal: one line redrawn in place; messages stay above it', () => {
    const t = fakeStream(true);
    const out = progressOutput(t.stream);
    expect(out.interactive).toBe(true);
    out.progress({ ...crawling, done: 1 });
    out.progress(crawling);
    out.step('  completed validation');
    out.say('a message');
    out.done();
    const text = t.written();
    expect(text.split('\n')).toHaveLength(3);
    expect(text).toContain('\r\x1b[2K');
    expect(text).toContain('a message\n');
    expect(text).not.toContain('completed validation');
    expect(text.endsWith('4/10 pages\n')).toBe(true);
  });

  it('piped: plain lines, no control characters', () => {
    const t = fakeStream(false);
    const out = progressOutput(t.stream);
    expect(out.interactive).toBe(false);
    out.progress(crawling);
    out.step('  completed validation');
    out.say('a message');
    out.done();
    expect(t.written()).toBe('  completed validation\na message\n');
  });
});
