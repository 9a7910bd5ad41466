import { EventSourceParserStream, type EventSourceMessage } from 'eventsource-parser/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { ACME_PAGES } from '../../../test/support/acme-site.js';
import { api } from '../../../test/support/api.js';
import { startTestService, type TestService } from '../../../test/support/service.js';
import { serveSite, type TestSite } from '../../../test/support/sites.js';
import { loadConfig } from '../../config.js';
import { createDatabase, type Db } from '../../database.js';
import { INSIGHT_KINDS } from '../../domain/analysis.js';
import { createLogger } from '../../logger.js';
import type { ProgressEvent } from '../../repositories/event-stream.js';
import { createApp } from '../app.js';
import { startApi, type RunningApi } from '../server.js';

interface Streamed {
  status: number;
  contentType: string | null;
  messages: EventSourceMessage[];
}

/**
 * Reads GET /analysis/{id}/events with fetch and a real SSE parser until the server ends the
 * stream, or until `stopAfter` messages (then the client hangs up, as a dropped connection would).
 */
async function stream(base: string, id: string, opts: { headers?: Record<string, string>; query?: string; stopAfter?: number } = {}): Promise<Streamed> {
  const abort = new AbortController();
  const res = await fetch(`${base}/api/v2/analysis/${id}/events${opts.query ?? ''}`, { headers: opts.headers, signal: abort.signal });
  const messages: EventSourceMessage[] = [];
  if (res.status !== 200 || !res.body) return { status: res.status, contentType: res.headers.get('content-type'), messages };
  const reader = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    messages.push(value);
    if (opts.stopAfter !== undefined && messages.length >= opts.stopAfter) {
      abort.abort();
      break;
    }
  }
  return { status: res.status, contentType: res.headers.get('content-type'), messages };
}

const payload = (m: EventSourceMessage) => JSON.parse(m.data) as ProgressEvent;
const STREAMED_TYPES = ['step_pending', 'step_running', 'step_completed', 'step_failed', 'step_skipped', 'page_read', 'model_call_done'];

describe('GET /analysis/{id}/events: live progress from PostgreSQL', () => {
  let service: TestService;
  let db: Db;
  let other: RunningApi;
  let otherDb: Db;
  let site: TestSite;

  beforeAll(async () => {
    service = await startTestService();
    db = service.db;
    site = await serveSite(ACME_PAGES);
    // A second API instance on the same database and Temporal server, with no worker: it knows only what PostgreSQL says.
    const config = loadConfig({
      PORT: '0',
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: service.taskQueue,
      OPENAI_BASE_URL: service.standIn.baseUrl,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_WRITES_PER_MINUTE: '100000',
      RATE_LIMIT_READS_PER_MINUTE: '100000',
    });
    otherDb = createDatabase(inject('databaseUrl'), 4);
    const app = createApp({ db: otherDb, temporal: service.temporal, taskQueue: service.taskQueue, logger: createLogger('warn', { test: 'events' }), config });
    other = await startApi({ app, port: 0 });
  });

  afterAll(async () => {
    await other?.close(1_000);
    await otherDb?.destroy();
    await service?.stop();
    await site?.close();
  });

  async function startAnalysis(maxPages: number): Promise<string> {
    const start = await api(service.apiUrl, '/analysis/start', { method: 'POST', json: { url: site.url, options: { maxPages, personaCount: 2 } } });
    expect(start.status).toBe(202);
    return start.body.data.analysisId as string;
  }

  async function storedIds(id: string): Promise<string[]> {
    const rows = await db.selectFrom('processing_events').select('id').where('analysis_id', '=', id).where('type', 'in', STREAMED_TYPES).orderBy('id').execute();
    return rows.map((r) => r.id);
  }

  it('streams a whole analysis to its final status through two API instances alike, with ordered, gap-free IDs and sub-step counts', async () => {
    const maxPages = 5;
    const id = await startAnalysis(maxPages);
    // Started through the first instance; followed live through both at once.
    const [viaOther, viaFirst] = await Promise.all([stream(other.url, id), stream(service.apiUrl, id)]);

    expect(viaOther.status).toBe(200);
    expect(viaOther.contentType).toMatch(/^text\/event-stream/);
    const { messages } = viaOther;
    const final = messages.at(-1)!;
    expect(final.event).toBe('status');
    expect(payload(final)).toMatchObject({ type: 'status', status: 'completed', version: 1 });
    expect(messages.filter((m) => m.event === 'status')).toHaveLength(1);

    // Every progress event the database holds, each once, in order: nothing lost, nothing repeated.
    const progress = messages.slice(0, -1);
    expect(progress.map((m) => m.id)).toEqual(await storedIds(id));
    const ids = progress.map((m) => BigInt(m.id!));
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    for (const m of progress) expect(m.event).toBe(payload(m).type);

    // The other instance saw exactly the same.
    expect(viaFirst.messages).toEqual(messages);

    // Steps: each started and completed, in the workflow's order.
    const steps = progress.filter((m) => m.event === 'step').map(payload);
    expect(steps.filter((s) => s.state === 'completed').map((s) => s.step)).toEqual([
      'validation',
      'content_extraction',
      'content_processing',
      'ai_analysis',
      'report_generation',
      'quality_check',
      'finalization',
    ]);

    // Pages: one event per page read, counted up to what the crawl kept, against the page limit.
    const row = await db.selectFrom('analyses').select('content_ids').where('id', '=', id).executeTakeFirstOrThrow();
    const pagesRead = (row.content_ids as string[]).length;
    const pages = progress.map(payload).filter((e) => e.type === 'substep' && e.step === 'content_extraction');
    expect(pages.map((p) => p.total)).toEqual(pages.map(() => maxPages));
    expect(pages.map((p) => p.done)).toEqual(Array.from({ length: pages.length }, (_, i) => i + 1));
    expect(pages.length).toBeGreaterThanOrEqual(pagesRead);

    // Model calls: five insights and the synthesis (plus any repairs), the last one n of n.
    const calls = progress.map(payload).filter((e) => e.type === 'substep' && e.step !== 'content_extraction');
    expect(calls.length).toBeGreaterThanOrEqual(INSIGHT_KINDS.length + 1);
    // Counted in the order they are streamed although the insight calls run in parallel.
    expect(calls.map((c) => c.done)).toEqual(Array.from({ length: calls.length }, (_, i) => i + 1));
    expect(calls.at(-1)!.done).toBe(calls.at(-1)!.total);
    expect(calls.at(-1)!.total).toBeGreaterThanOrEqual(INSIGHT_KINDS.length + 1);
    expect(calls.filter((c) => c.step === 'report_generation')).toHaveLength(1);
  });

  it('follows a regeneration from where version 1 ended, counting only the calls its sections need', async () => {
    const id = await startAnalysis(2);
    const v1 = await stream(service.apiUrl, id);
    expect(payload(v1.messages.at(-1)!)).toMatchObject({ status: 'completed', version: 1 });

    const regenerate = await api(service.apiUrl, `/analysis/${id}/regenerate`, { method: 'POST', json: { sections: ['offering'] } });
    expect(regenerate.status).toBe(202);
    const v2 = await stream(other.url, id, { headers: { 'Last-Event-ID': v1.messages.at(-1)!.id! } });
    const events = v2.messages.map(payload);
    expect(events.at(-1)).toMatchObject({ type: 'status', status: 'completed', version: 2 });
    const progress = events.slice(0, -1);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((e) => e.version === 2)).toBe(true);
    // One insight (offering) and the synthesis, plus any repair the quality check asked for.
    const calls = progress.filter((e) => e.type === 'substep');
    const repairs = calls.filter((c) => c.step === 'quality_check').length;
    expect(calls.map((c) => c.done)).toEqual(Array.from({ length: calls.length }, (_, i) => i + 1));
    expect(calls.at(-1)!.total).toBe(2 + repairs);
  });

  it('resumes from Last-Event-ID (header or query) with exactly the rest, on another instance', async () => {
    const id = await startAnalysis(3);
    const firstPart = await stream(service.apiUrl, id, { stopAfter: 4 });
    expect(firstPart.messages).toHaveLength(4);
    const lastSeen = firstPart.messages.at(-1)!.id!;

    const rest = await stream(other.url, id, { headers: { 'Last-Event-ID': lastSeen } });
    expect(rest.status).toBe(200);
    const whole = await stream(service.apiUrl, id);
    expect([...firstPart.messages, ...rest.messages]).toEqual(whole.messages);

    // For clients that cannot set headers; the header wins when both are given (an EventSource reconnecting).
    const viaQuery = await stream(other.url, id, { query: `?lastEventId=${lastSeen}` });
    expect(viaQuery.messages).toEqual(rest.messages);
    const both = await stream(other.url, id, { query: '?lastEventId=0', headers: { 'Last-Event-ID': lastSeen } });
    expect(both.messages).toEqual(rest.messages);

    // Resuming from the final status's ID gives the final status again, nothing else.
    const final = whole.messages.at(-1)!;
    const afterEnd = await stream(other.url, id, { headers: { 'Last-Event-ID': final.id! } });
    expect(afterEnd.messages).toEqual([final]);
  });

  it('answers an unknown analysis with 404 and a malformed Last-Event-ID with 400, in the envelope', async () => {
    const missing = await api(other.url, '/analysis/00000000-0000-4000-8000-000000000000/events');
    expect(missing.status).toBe(404);
    expect(missing.body.error?.code).toBe('NOT_FOUND');

    const id = await startAnalysis(1);
    const bad = await api(other.url, `/analysis/${id}/events`, { headers: { 'Last-Event-ID': 'yesterday' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('VALIDATION_ERROR');
    // The analysis itself is not disturbed: its stream still ends with its final status.
    const all = await stream(other.url, id);
    expect(payload(all.messages.at(-1)!).type).toBe('status');
  });
});
