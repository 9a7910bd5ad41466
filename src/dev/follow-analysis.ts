import { setTimeout as sleep } from 'node:timers/promises';
import { TERMINAL_STATUSES, type Progress } from '../domain/analysis.js';
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

export interface FollowOptions {
  pollMs?: number;
  /** Called once the API accepted the start: from then on there is an analysis to cancel. */
  onStarted?: (analysisId: string) => void;
  /** Stops following (the analysis itself runs on); the start request, once sent, is always awaited. */
  signal?: AbortSignal;
}

/** Starts an analysis through the API and reports each step change until it reaches a terminal state. */
export async function followAnalysis(
  apiUrl: string,
  body: { url: string; options?: object },
  onLine: (line: string) => void,
  { pollMs = 400, onStarted, signal }: FollowOptions = {},
): Promise<Status> {
  const started = await call<{ analysisId: string }>(`${apiUrl}/api/v2/analysis/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  onStarted?.(started.analysisId);
  onLine(`analysis ${started.analysisId} started (workflow ${workflowIdFor(started.analysisId)})`);
  return watchAnalysis(apiUrl, started.analysisId, onLine, { pollMs, signal });
}

/** Reports each step change of an analysis until it reaches a terminal state (or `signal` aborts). */
export async function watchAnalysis(
  apiUrl: string,
  analysisId: string,
  onLine: (line: string) => void,
  { pollMs = 400, signal }: { pollMs?: number; signal?: AbortSignal } = {},
): Promise<Status> {
  const seen = new Map<string, string>();
  for (;;) {
    signal?.throwIfAborted();
    const s = await call<Status>(`${apiUrl}/api/v2/analysis/${analysisId}`, { ...(signal ? { signal } : {}) });
    for (const step of s.steps) {
      const key = `${step.state}:${step.attempts}:${step.lastError ?? ''}`;
      if (seen.get(step.name) === key || step.state === 'pending') continue;
      seen.set(step.name, key);
      const attempts = step.attempts > 1 ? ` (attempt ${step.attempts})` : '';
      const error = step.lastError && step.state !== 'completed' ? ` — ${step.lastError}` : '';
      onLine(`  ${step.state.padEnd(9)} ${step.name}${attempts}${error}`);
    }
    if (TERMINAL_STATUSES.includes(s.status)) return s;
    await sleep(pollMs, undefined, signal ? { signal } : {});
  }
}
