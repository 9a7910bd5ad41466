import { Hono } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { EventWakeups } from '../../event-wakeups.js';
import { analysesRepository, type AnalysisRow } from '../../repositories/analyses.js';
import { eventStreamRepository, type ProgressEvent } from '../../repositories/event-stream.js';
import type { ApiDeps, AppEnv } from '../context.js';
import { ApiError } from '../errors.js';
import { isActive } from '../../domain/progress-view.js';
import { loadAnalysis } from './shared.js';

/** A stream looks at the table this often even without a notification: a lost one never stalls it. */
const POLL_MS = 2_000;
/** A comment line this often keeps proxies and clients from taking a quiet stream for a dead one. */
const HEARTBEAT_MS = 15_000;
/** Events read per query; a longer backlog is read in several. */
const BATCH = 500;
/** A processing_events ID: a positive bigint. */
const EVENT_ID = /^\d{1,18}$/;

/**
 * Where a (re)connecting client left off: the Last-Event-ID header (what EventSource sends when it
 * reconnects), else `?lastEventId=` for clients that cannot set headers. The header wins: it is
 * newer than a query string an EventSource keeps reusing from its first request.
 */
function resumeAfter(header: string | undefined, query: string | undefined): string {
  const value = header ?? query;
  if (value === undefined || value === '') return '0';
  if (!EVENT_ID.test(value)) {
    throw ApiError.validation('Last-Event-ID must be the ID of an event this stream sent.', [
      { path: header !== undefined ? 'Last-Event-ID' : 'lastEventId', message: 'Expected a decimal event ID.' },
    ]);
  }
  return value;
}

/** The last message: where the analysis ended up (or that it is gone). */
function finalStatus(row: AnalysisRow | undefined): ProgressEvent {
  if (!row) return { type: 'status', status: 'deleted', version: 0, at: new Date().toISOString() };
  return {
    type: 'status',
    status: row.status,
    // A finished analysis is as of its latest report; a failed or cancelled one, as of the version it was making.
    version: row.status === 'completed' ? row.latest_version : row.requested_version,
    at: (row.completed_at ?? row.updated_at).toISOString(),
  };
}

/**
 * GET /analysis/{id}/events: live progress as Server-Sent Events, read from processing_events so
 * that any API instance serves any analysis. One message per step change (`event: step`), per
 * page read and per model answer (`event: substep`, with done/total), then the final status
 * (`event: status`), then the stream ends. `id:` is the event's row ID; a client reconnecting with
 * Last-Event-ID gets exactly the events after it. A stream for a finished analysis replays its
 * events and ends at once.
 */
export function eventsRoutes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // Without a configured address (an app given only a database handle) streams still poll.
  const databaseUrl = deps.config.DATABASE_URL;
  const wakeups = databaseUrl ? new EventWakeups(databaseUrl, deps.logger.child({ component: 'event-wakeups' })) : undefined;

  app.get('/analysis/:id/events', async (c) => {
    // Before the stream starts, so that these are ordinary answers in the envelope.
    const row = await loadAnalysis(c, deps);
    const from = resumeAfter(c.req.header('Last-Event-ID'), c.req.query('lastEventId'));
    const log = c.get('log');
    return streamSSE(c, async (stream) => {
      try {
        await follow(stream, row.id, from, log);
      } catch (err) {
        // The stream just ends; the client reconnects with Last-Event-ID and loses nothing.
        log.error('event stream failed', { analysisId: row.id, error: err instanceof Error ? err.message : String(err) });
      }
    });
  });

  async function follow(stream: SSEStreamingApi, analysisId: string, from: string, log: AppEnv['Variables']['log']): Promise<void> {
    let cursor = from;
    let pending = false;
    let resume: (() => void) | undefined;
    const wake = () => {
      pending = true;
      resume?.();
    };
    /** Until a notification for this analysis, the poll interval, or the client leaving. */
    const nextChange = () =>
      pending
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, POLL_MS);
            resume = () => {
              clearTimeout(timer);
              resolve();
            };
          });
    const unsubscribe = wakeups?.subscribe(analysisId, wake) ?? (() => undefined);
    stream.onAbort(wake);
    const heartbeat = setInterval(() => void stream.write(': heartbeat\n\n'), HEARTBEAT_MS);
    try {
      while (!stream.aborted) {
        pending = false;
        resume = undefined;
        let row: AnalysisRow | undefined;
        let events: Awaited<ReturnType<typeof eventStreamRepository.after>>;
        try {
          // The row first: if it says finished, the events read after it include everything up to that.
          row = await analysesRepository.byId(deps.db, analysisId);
          events = await eventStreamRepository.after(deps.db, analysisId, cursor, BATCH);
        } catch (err) {
          // The database is away: the client keeps its stream (and heartbeats) until it is back.
          log.warn('event stream could not read events; trying again', { analysisId, error: err instanceof Error ? err.message : String(err) });
          await nextChange();
          continue;
        }
        for (const { id, event } of events) {
          if (stream.aborted) return;
          await stream.writeSSE({ id, event: event.type, data: JSON.stringify(event) });
          cursor = id;
        }
        if (events.length === BATCH) continue;
        if (!row || !isActive(row)) {
          const status = finalStatus(row);
          // `id` stays the last event's: resuming from it gives the final status again, nothing else.
          await stream.writeSSE({ ...(cursor !== '0' ? { id: cursor } : {}), event: status.type, data: JSON.stringify(status) });
          return;
        }
        await nextChange();
      }
    } finally {
      clearInterval(heartbeat);
      unsubscribe();
    }
  }

  return app;
}
