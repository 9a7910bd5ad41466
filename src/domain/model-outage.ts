/**
 * How long model calls wait for an AI endpoint that is down, hanging, throttling or failing, and
 * what people are told meanwhile. Pure: the retry policy (workflow code) and the model-call
 * activity read the same numbers.
 */

export const DEFAULT_AI_OUTAGE_MINUTES = 60;

/**
 * Backoff between attempts of a model call: Temporal's policy (modelCallPolicy) uses these, and the
 * activity computes the same delay itself to stop at the outage deadline rather than overshoot it.
 */
export const MODEL_RETRY = { initialMs: 1_000, coefficient: 2, maximumMs: 60_000 } as const;

/**
 * Unusable answers (invalid JSON after the in-attempt repair) are not an outage: a confused model
 * is not waited for. Attempts that may end in unusable output before the call gives up.
 */
export const INVALID_OUTPUT_ATTEMPTS = { call: 3, repair: 2 } as const;

/** The wait Temporal's policy would choose before attempt `attempt + 1`. */
export function backoffMs(attempt: number): number {
  return Math.min(MODEL_RETRY.maximumMs, MODEL_RETRY.initialMs * MODEL_RETRY.coefficient ** Math.max(0, attempt - 1));
}

/** From when the call first was scheduled until the endpoint has had AI_OUTAGE_MINUTES to come back. */
export interface OutageWindow {
  since: number;
  until: number;
  minutes: number;
}

/** Timestamps before 2001 are not real schedule times (a mocked activity context, a missing field). */
const PLAUSIBLE_SINCE = Date.UTC(2001, 0, 1);

export function outageWindow(scheduledMs: number | undefined, minutes: number, now: number): OutageWindow {
  const since = scheduledMs !== undefined && scheduledMs >= PLAUSIBLE_SINCE && scheduledMs <= now ? scheduledMs : now;
  return { since, until: since + Math.round(minutes * 60_000), minutes };
}

/** "12:01 UTC" (with seconds when the window is under ten minutes), with the date when it is not `now`'s day. */
export function utcTime(ms: number, now: number, withSeconds = false): string {
  const iso = new Date(ms).toISOString();
  const time = iso.slice(11, withSeconds ? 19 : 16);
  return iso.slice(0, 10) === new Date(now).toISOString().slice(0, 10) ? `${time} UTC` : `${iso.slice(0, 10)} ${time} UTC`;
}

export type OutageDecision = { retry: true; delayMs: number; message: string } | { retry: false; message: string };

/**
 * What a transient endpoint fault (`cause`, e.g. "could not be reached (connection refused …)") means
 * for attempt `attempt`: wait and retry while the window lasts (never past its end, at least what a
 * 429 asked for), or stop with a final message that says what happened and since when.
 */
export function outageDecision(o: { window: OutageWindow; now: number; attempt: number; cause: string; requestedDelayMs?: number }): OutageDecision {
  const { window, now } = o;
  const seconds = window.until - window.since < 600_000;
  const since = utcTime(window.since, now, seconds);
  const until = utcTime(window.until, now, seconds);
  const remaining = window.until - now;
  if (remaining <= 0) {
    return {
      retry: false,
      message: `The AI endpoint was unavailable from ${since} until ${until}, the ${minutesText(window.minutes)} AI_OUTAGE_MINUTES allows: ${o.cause}. The analysis stopped waiting; try again once the endpoint works.`,
    };
  }
  const delayMs = Math.max(1, Math.min(remaining, Math.max(backoffMs(o.attempt), o.requestedDelayMs ?? 0)));
  return { retry: true, delayMs, message: `Waiting for the AI endpoint since ${since}: ${o.cause}; retrying until ${until}.` };
}

function minutesText(minutes: number): string {
  if (minutes < 1) return `${Number((minutes * 60).toFixed(1))} seconds`;
  return minutes === 1 ? '1 minute' : `${Number(minutes.toFixed(2))} minutes`;
}
