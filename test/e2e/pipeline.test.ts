import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/database.js';
import { STEP_NAMES } from '../../src/domain/analysis.js';
import { api, pollStatus } from '../support/api.js';
import { recordHistoryIfAsked } from '../support/histories.js';
import { startTestService, type TestService } from '../support/service.js';
import { serveSite, type TestSite } from '../support/sites.js';
import { ACME_PAGES } from '../support/acme-site.js';
import { readFixture } from '../support/fixtures.js';


describe('an analysis end to end, over HTTP, on a real Temporal server and PostgreSQL', () => {
  let service: TestService;
  let standIn: TestService['standIn'];
  let db: Db;
  const sites: TestSite[] = [];

  beforeAll(async () => {
    service = await startTestService();
    ({ standIn, db } = service);
  });

  afterAll(async () => {
    await service?.stop();
    await Promise.all(sites.map((s) => s.close()));
  });

  async function site(routes: Record<string, string>) {
    const s = await serveSite(routes);
    sites.push(s);
    return s;
  }

  it('runs all seven steps, serves the report in three formats, and regenerates version 2', async () => {
    const acme = await site(ACME_PAGES);
    const start = await api(service.apiUrl, '/analysis/start', {
      method: 'POST',
      json: { url: acme.url, options: { maxPages: 6, personaCount: 2 } },
    });
    expect(start.status).toBe(202);
    const id: string = start.body.data.analysisId;
    expect(start.body.data.status).toBe('pending');

    const { final, seen } = await pollStatus(service.apiUrl, id, (s) => s.status === 'completed' || s.status === 'failed');
    expect(final.status, JSON.stringify(final.error)).toBe('completed');
    expect(final.percent).toBe(100);
    expect(final.latestReportVersion).toBe(1);
    expect(final.steps.map((s: any) => s.name)).toEqual([...STEP_NAMES]);
    for (const step of final.steps) {
      expect(step.state, step.name).toBe('completed');
      expect(step.attempts, step.name).toBeGreaterThanOrEqual(1);
    }
    // Percent never goes backwards while the run is watched.
    const percents = seen.map((s) => s.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));

    // The audit trail saw every step start and complete, in the workflow's order.
    const events = await db.selectFrom('processing_events').select(['type', 'step']).where('analysis_id', '=', id).orderBy('id').execute();
    const completedSteps = events.filter((e) => e.type === 'step_completed').map((e) => e.step);
    expect(completedSteps).toEqual([...STEP_NAMES]);
    expect(events.filter((e) => e.type === 'step_running').map((e) => e.step)).toEqual([...STEP_NAMES]);

    // robots.txt kept the crawler out of /private/, and it never left the site.
    expect(acme.hits.get('/private/admin') ?? 0).toBe(0);
    expect(acme.hits.get('/pricing')).toBe(1);

    const json = await api(service.apiUrl, `/analysis/${id}/report`);
    expect(json.status).toBe(200);
    const report = json.body.data;
    expect(report.version).toBe(1);
    expect(report.report.personas).toHaveLength(2);
    expect(report.report.generatedBy.standIn).toBe(true);
    // Evidence by reference: each quote names its stored passage and page.
    const evidence = report.report.personas.flatMap((p: any) => p.evidence);
    expect(evidence.length).toBeGreaterThan(0);
    for (const e of evidence) expect(e).toEqual({ passageId: expect.stringMatching(/^p\d+\.\d+$/), url: expect.stringContaining(acme.url), quote: expect.any(String) });
    // What version 1 cost: five insights and the synthesis at least, priced (the stand-in is free).
    expect(report.report.usage).toMatchObject({ calls: expect.any(Number), costUsd: 0 });
    expect(report.report.usage.calls).toBeGreaterThanOrEqual(6);
    expect(report.quality.claims.total).toBeGreaterThan(0);
    // The report lists the pages read, with how much of each was sent, and the pages skipped with why.
    expect(report.report.pages.read.map((p: any) => new URL(p.url).pathname)).toEqual(expect.arrayContaining(['/', '/pricing']));
    for (const p of report.report.pages.read) expect(p.share).toBeGreaterThan(0);
    expect(report.report.pages.skipped).toEqual(expect.arrayContaining([expect.objectContaining({ url: `${acme.url}private/admin`, reason: 'robots' })]));

    const markdown = await fetch(`${service.apiUrl}/api/v2/analysis/${id}/report?format=markdown`);
    expect(markdown.headers.get('content-type')).toMatch(/^text\/markdown/);
    const md = await markdown.text();
    expect(md).toContain(report.report.personas[0].name);
    expect(md).toContain('## Pages read');
    expect(md).toContain("Disallowed by the site's robots.txt (1):");
    expect(md.toLowerCase()).toContain('stand-in');

    const html = await fetch(`${service.apiUrl}/api/v2/analysis/${id}/report?format=html`);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await html.text();
    expect(page).toMatch(/^<!doctype html>/i);
    expect(page.toLowerCase()).toContain('stand-in');

    const regen = await api(service.apiUrl, `/analysis/${id}/regenerate`, {
      method: 'POST',
      json: { instructions: 'Focus on agencies with more than ten people.' },
    });
    expect(regen.status).toBe(202);
    expect(regen.body.data).toEqual({ analysisId: id, nextVersion: 2 });

    const v2 = await pollStatus(service.apiUrl, id, (s) => s.latestReportVersion === 2 && s.status === 'completed');
    expect(v2.final.version).toBe(2);
    const latest = await api(service.apiUrl, `/analysis/${id}/report`);
    expect(latest.body.data.version).toBe(2);
    expect(latest.body.data.report.instructions).toBe('Focus on agencies with more than ten people.');
    const first = await api(service.apiUrl, `/analysis/${id}/report?version=1`);
    expect(first.body.data.version).toBe(1);
    expect(first.body.data.report).toEqual(report.report);

    // What changed from version 1 to 2, beside the instruction that caused it.
    const diff = await api(service.apiUrl, `/analysis/${id}/report?version=2&diff=1`);
    expect(diff.status).toBe(200);
    expect(diff.body.data).toMatchObject({ analysisId: id, from: 1, to: 2, instructions: 'Focus on agencies with more than ten people.' });
    const missing = await api(service.apiUrl, `/analysis/${id}/report?version=2&diff=9`);
    expect(missing.status).toBe(404);

    // Regeneration re-read nothing from the site: content comes from the cache.
    expect(acme.hits.get('/pricing')).toBe(1);
    const reports = await db.selectFrom('reports').select('version').where('analysis_id', '=', id).orderBy('version').execute();
    expect(reports.map((r) => r.version)).toEqual([1, 2]);

    await recordHistoryIfAsked(service.temporal, `analysis-${id}`, 'analysis-with-regeneration');
  });

  it('analyzes a real saved page and reuses the page cache on a second run', async () => {
    const learn = await site({ '/': readFixture('learnnode.com.html') });
    const run = async (options: object) => {
      const start = await api(service.apiUrl, '/analysis/start', { method: 'POST', json: { url: learn.url, options } });
      expect(start.status).toBe(202);
      const { final } = await pollStatus(service.apiUrl, start.body.data.analysisId, (s) => ['completed', 'failed'].includes(s.status));
      expect(final.status, JSON.stringify(final.error)).toBe('completed');
      return start.body.data.analysisId as string;
    };
    const firstId = await run({ maxPages: 3, personaCount: 1 });
    const hitsAfterFirst = learn.hits.get('/');
    expect(hitsAfterFirst).toBe(1);

    await run({ maxPages: 3, personaCount: 1 });
    expect(learn.hits.get('/')).toBe(hitsAfterFirst);

    await run({ maxPages: 3, personaCount: 1, forceRefresh: true });
    expect(learn.hits.get('/')).toBe(hitsAfterFirst! + 1);

    const report = await api(service.apiUrl, `/analysis/${firstId}/report`);
    expect(report.body.data.report.personas).toHaveLength(1);
    expect(report.body.data.status).toBe('passed');
  });

  it('completes when the AI endpoint answers 500 a few times first', async () => {
    const acme = await site(ACME_PAGES);
    const before = standIn.requests();
    standIn.failNext(3, 500);
    const start = await api(service.apiUrl, '/analysis/start', {
      method: 'POST',
      json: { url: acme.url, options: { maxPages: 3, personaCount: 1 } },
    });
    const id = start.body.data.analysisId;
    const { final } = await pollStatus(service.apiUrl, id, (s) => ['completed', 'failed'].includes(s.status), 120_000);
    expect(final.status, JSON.stringify(final.error)).toBe('completed');
    expect(standIn.requests() - before).toBeGreaterThan(3);

    const retries = await db
      .selectFrom('processing_events')
      .select(['type', 'step', 'message'])
      .where('analysis_id', '=', id)
      .where('type', 'in', ['attempt_failed', 'step_retry'])
      .execute();
    expect(retries.filter((e) => e.type === 'attempt_failed').length).toBe(3);
    expect(retries.every((e) => e.step === 'ai_analysis' || e.step === 'report_generation')).toBe(true);
    const aiStep = final.steps.find((s: any) => s.name === 'ai_analysis');
    expect(aiStep.attempts).toBeGreaterThan(1);
  });

  it('ends failed, not stuck, when the site refuses connections', async () => {
    const acme = await site(ACME_PAGES);
    const url = acme.url;
    await acme.close();
    const start = await api(service.apiUrl, '/analysis/start', { method: 'POST', json: { url } });
    const { final } = await pollStatus(service.apiUrl, start.body.data.analysisId, (s) => ['completed', 'failed'].includes(s.status));
    expect(final.status).toBe('failed');
    expect(final.error.code).toBe('SITE_UNREACHABLE');
    const report = await api(service.apiUrl, `/analysis/${start.body.data.analysisId}/report`);
    expect(report.status).toBe(409);
    expect(report.body.error?.code).toBe('REPORT_NOT_READY');
  });
});
