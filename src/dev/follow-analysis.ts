import { setTimeout as sleep } from 'node:timers/promises';
import { STEP_NAMES, TERMINAL_STATUSES, type Progress, type StepName, type StepState } from '../domain/analysis.js';
import { workflowIdFor } from '../../workflows/definitions.js';

type Status = Progress & { analysisId: string };

interface Envelope<T> {
  success: boolean;
  data?: T;
  error?: { code: string; message: string; details?: unknown };
}

export async function call<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  const body = (await res.json()) as Envelope<T>;
  if (!body.success || !body.data) {
    throw new Error(`${body.error?.code ?? res.status}: ${body.error?.message ?? 'request failed'}`);
  }
  return body.data;
}

export function renderProgressLine(s: Status): string {
  const err = s.error ? ` — ${s.error.code}: ${s.error.message}` : '';
  return `[${String(s.percent).padStart(3)}%] ${s.status}${s.currentStep ? ` · ${s.currentStep}` : ''}${err}`;
}

/** Where an analysis is now, for a progress bar: the step, its sub-step counts, a percentage. */
export interface ProgressSnapshot {
  percent: number;
  step: StepName | null;
  /** 1-based position of `step` among the seven steps (0 before the first). */
  stepNumber: number;
  stepCount: number;
  state: StepState | null;
  /** Sub-steps of the current step: pages read of the page limit, model answers of the calls. */
  done?: number;
  total?: number;
  /** What the sub-steps count: `pages` or `model calls`. */
  unit?: string;
}

export interface WatchOptions {
  pollMs?: number;
  /** Stops following (the analysis itself runs on). */
  signal?: AbortSignal;
  /** Every change, sub-steps included, for a progress bar; `onLine` still gets the step changes. */
  onProgress?: (snapshot: ProgressSnapshot) => void;
}

export interface FollowOptions extends WatchOptions {
  /** Called once the API accepted the start: from then on there is an analysis to cancel. */
  onStarted?: (analysisId: string) => void;
}

/** Starts an analysis through the API and reports each step change until it reaches a terminal state. */
export async function followAnalysis(
  apiUrl: string,
  body: { url: string; options?: object },
  onLine: (line: string) => void,
  { onStarted, ...watch }: FollowOptions = {},
): Promise<Status> {
  // The start request, once sent, is always awaited: it may have created an analysis to cancel.
  const started = await call<{ analysisId: string }>(`${apiUrl}/api/v2/analysis/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  onStarted?.(started.analysisId);
  onLine(`analysis ${started.analysisId} started (workflow ${workflowIdFor(started.analysisId)})`);
  return watchAnalysis(apiUrl, started.analysisId, onLine, watch);
}

/**
 * Reports an analysis's progress until it reaches a terminal state (or `signal` aborts): from its
 * event stream (GET /analysis/{id}/events, resumed with Last-Event-ID when it drops), or by polling
 * the status route when the API has no event stream.
 */
export async function watchAnalysis(
  apiUrl: string,
  analysisId: string,
  onLine: (line: string) => void,
  opts: WatchOptions = {},
): Promise<Status> {
  const tracker = new StepTracker(onLine, opts.onProgress);
  const base = `${apiUrl}/api/v2/analysis/${analysisId}`;
  let lastEventId: string | undefined;
  for (;;) {
    opts.signal?.throwIfAborted();
    let res: Response | undefined;
    try {
      res = await fetch(`${base}/events`, {
        headers: { accept: 'text/event-stream', ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}) },
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch {
      // The API is away for a moment: the status route below says whether to wait on.
      opts.signal?.throwIfAborted();
    }
    if (res && !res.headers.get('content-type')?.startsWith('text/event-stream')) {
      // No event stream here (an older API), or an answer in the envelope: the status route says more.
      await res.body?.cancel();
      return poll(base, tracker, opts);
    }
    if (res?.body) {
      try {
        for await (const message of serverSentEvents(res.body)) {
          if (message.id) lastEventId = message.id;
          if (message.event === 'status') return await status(base, opts.signal);
          tracker.event(JSON.parse(message.data) as StreamEvent);
        }
      } catch {
        // The stream dropped: resume after the last event seen.
        opts.signal?.throwIfAborted();
      }
    }
    // The stream ended without a final status: it dropped. Stop if it ended meanwhile, else resume.
    const now = await status(base, opts.signal).catch(() => undefined);
    if (now && TERMINAL_STATUSES.includes(now.status)) return now;
    await sleep(opts.pollMs ?? 400, undefined, opts.signal ? { signal: opts.signal } : {});
  }
}

async function status(base: string, signal: AbortSignal | undefined): Promise<Status> {
  return call<Status>(base, signal ? { signal } : {});
}

async function poll(base: string, tracker: StepTracker, { pollMs = 400, signal }: WatchOptions): Promise<Status> {
  for (;;) {
    signal?.throwIfAborted();
    const s = await status(base, signal);
    tracker.snapshot(s);
    if (TERMINAL_STATUSES.includes(s.status)) return s;
    await sleep(pollMs, undefined, signal ? { signal } : {});
  }
}

/** A message of the event stream (see src/repositories/event-stream.ts). */
interface StreamEvent {
  type: 'step' | 'substep' | 'status';
  step?: StepName;
  state?: StepState;
  done?: number;
  total?: number;
  version: number;
}

/** Turns step and sub-step events (or status snapshots) into plain lines and progress snapshots. */
class StepTracker {
  private readonly states = new Map<StepName, StepState>();
  private readonly seen = new Map<string, string>();
  private current: StepName | null = null;
  private sub: { done: number; total: number } | undefined;
  private percent = 0;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onProgress?: (snapshot: ProgressSnapshot) => void,
  ) {}

  event(e: StreamEvent): void {
    if (!e.step) return;
    if (e.type === 'step' && e.state) {
      this.states.set(e.step, e.state);
      if (e.state === 'running') {
        this.current = e.step;
        this.sub = undefined;
      }
      this.line(e.step, e.state, 1);
    } else if (e.type === 'substep' && e.done !== undefined && e.total !== undefined) {
      // A repeated count (an answer recorded again after a retry) says nothing new.
      if (this.current === e.step && this.sub?.done === e.done && this.sub.total === e.total) return;
      this.current = e.step;
      this.sub = { done: e.done, total: e.total };
      if (!this.onProgress) this.onLine(`  ${''.padEnd(9)} ${e.step}: ${e.done}/${e.total} ${unitOf(e.step)}`);
    }
    this.emit();
  }

  /** From the status route, when there is no event stream: step changes only. */
  snapshot(s: Status): void {
    for (const step of s.steps) {
      if (step.state === 'pending') continue;
      this.states.set(step.name, step.state);
      this.line(step.name, step.state, step.attempts, step.lastError);
    }
    if (s.currentStep !== this.current) this.sub = undefined;
    this.current = s.currentStep;
    this.emit();
  }

  private line(name: StepName, state: StepState, attempts: number, lastError?: string): void {
    const key = `${state}:${attempts}:${lastError ?? ''}`;
    if (this.seen.get(name) === key) return;
    this.seen.set(name, key);
    const attempt = attempts > 1 ? ` (attempt ${attempts})` : '';
    const error = lastError && state !== 'completed' ? ` — ${lastError}` : '';
    this.onLine(`  ${state.padEnd(9)} ${name}${attempt}${error}`);
  }

  private emit(): void {
    if (!this.onProgress) return;
    // Each step weighs the same; the running one counts by its sub-steps, or half without any.
    let done = 0;
    for (const name of STEP_NAMES) {
      const state = this.states.get(name);
      if (state === 'completed' || state === 'skipped') done += 1;
      else if (state === 'running') done += this.sub && name === this.current && this.sub.total > 0 ? Math.min(this.sub.done / this.sub.total, 1) : 0.5;
    }
    const step = this.current;
    // Never backwards: a running step counted as half falls to 1/10 when its first sub-step arrives.
    this.percent = Math.max(this.percent, Math.round((done / STEP_NAMES.length) * 100));
    this.onProgress({
      percent: this.percent,
      step,
      stepNumber: step ? STEP_NAMES.indexOf(step) + 1 : 0,
      stepCount: STEP_NAMES.length,
      state: step ? (this.states.get(step) ?? null) : null,
      ...(this.sub && step ? { ...this.sub, unit: unitOf(step) } : {}),
    });
  }
}

function unitOf(step: StepName): string {
  return step === 'content_extraction' ? 'pages' : 'model calls';
}

/** The messages of a text/event-stream body (the WHATWG format: `field: value` lines, blank line ends one). */
export async function* serverSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: string; id?: string }> {
  let buffer = '';
  let event = 'message';
  let data: string[] = [];
  let id: string | undefined;
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length) yield { event, data: data.join('\n'), ...(id !== undefined ? { id } : {}) };
        event = 'message';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue; // a comment: heartbeat
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
  }
}
