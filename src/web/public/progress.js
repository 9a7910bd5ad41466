// Sub-step counts from the event stream (src/api/routes/events.ts): `event: substep` carries
// { step, done, total, version } for pages read (of the crawl's page limit) and model answers.

/** The sub-step an event reports, or null for other events. */
export function subStepOf(event) {
  if (!event || typeof event !== 'object' || event.type !== 'substep' || !event.step) return null;
  if (typeof event.done !== 'number' || typeof event.total !== 'number') return null;
  return { step: event.step, done: event.done, total: event.total, version: event.version ?? 1 };
}

/** "reading 4/10 pages", "model answers 2/6"; once the step is over, what it came to. */
export function describeSubStep(sub, state) {
  const over = state === 'completed' || state === 'skipped';
  if (sub.step === 'content_extraction') {
    // The total is the page limit: a small site is read completely before reaching it.
    return over ? `read ${sub.done} page${sub.done === 1 ? '' : 's'}` : `reading ${sub.done}/${sub.total} pages`;
  }
  return `model answers ${sub.done}/${sub.total}`;
}
