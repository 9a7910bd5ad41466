/**
 * Pauses between sends of an undelivered notification, scaled to the retry window
 * (NOTIFY_RETRY_HOURS): doubling from 1/2880 of the window to at most 1/24 of it. A 24-hour window
 * retries after 30 s, 1, 2, 4 ... minutes, then hourly: about 30 sends, most in the first hours,
 * when a receiver is most likely back. A short window (tests) keeps the same shape in seconds.
 */
export function retryDelayMs(attempt: number, windowMs: number): number {
  const first = Math.max(windowMs / 2880, 200);
  const cap = Math.max(windowMs / 24, first);
  return Math.min(cap, first * 2 ** Math.max(0, attempt - 1));
}

/** A Retry-After header (seconds or an HTTP date) in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** "18 seconds", "2 hours": how long the retries went on, for the final error. */
export function spoken(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} second${s === 1 ? '' : 's'}`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} minutes`;
  return `${Math.round(m / 60)} hours`;
}
