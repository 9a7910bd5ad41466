import type { ProgressSnapshot } from './follow-analysis.js';

/**
 * What `npm run analyze` shows while it waits: on a terminal, one line redrawn in place (a bar, the
 * step and its sub-step counts); piped into a file or another program, plain lines, one per change,
 * with no control characters.
 */
export interface ProgressOutput {
  /** A terminal: progress snapshots draw the bar (else sub-steps come as plain lines). */
  interactive: boolean;
  /** A message that stays (above the bar on a terminal). */
  say(line: string): void;
  /** A step change: a plain line when piped; on a terminal the bar shows it. */
  step(line: string): void;
  progress(snapshot: ProgressSnapshot): void;
  /** Leaves the bar as it is on a line of its own. */
  done(): void;
}

export function progressOutput(stream: NodeJS.WriteStream = process.stderr): ProgressOutput {
  if (!stream.isTTY) {
    return { interactive: false, say: (line) => stream.write(`${line}\n`), step: (line) => stream.write(`${line}\n`), progress: () => {}, done: () => {} };
  }
  let bar = '';
  const clear = () => bar && stream.write('\r\x1b[2K');
  const draw = () => bar && stream.write(bar);
  return {
    interactive: true,
    say(line) {
      clear();
      stream.write(`${line}\n`);
      draw();
    },
    step(line) {
      // A failed attempt stays visible; the rest is in the bar.
      if (/^\s*failed\b/.test(line)) this.say(line);
    },
    progress(snapshot) {
      clear();
      bar = renderBar(snapshot, stream.columns || 80);
      draw();
    },
    done() {
      if (bar) stream.write('\n');
      bar = '';
    },
  };
}

/** `[######------]  42% step 2/7 content_extraction · 4/10 pages`, cut to `columns`. */
export function renderBar(s: ProgressSnapshot, columns: number): string {
  const width = Math.max(10, Math.min(30, columns - 55));
  const filled = Math.round((Math.min(Math.max(s.percent, 0), 100) / 100) * width);
  const step = s.step ? ` step ${s.stepNumber}/${s.stepCount} ${s.step}` : ' starting';
  const sub = s.done !== undefined && s.total !== undefined ? ` · ${s.done}/${s.total} ${s.unit ?? ''}`.trimEnd() : '';
  const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(s.percent).padStart(3)}%${step}${sub}`;
  return line.length >= columns ? line.slice(0, columns - 1) : line;
}
