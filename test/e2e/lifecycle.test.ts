import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, pollStatus } from '../support/api.js';
import { ACME_PAGES } from '../support/acme-site.js';
import { startTestService, type TestService } from '../support/service.js';
import { serveSite, type TestSite } from '../support/sites.js';

const finished = (s: { status: string }) => ['completed', 'failed', 'cancelled'].includes(s.status);

describe('analysis lifecycle: closing when idle, regenerating after close, cancel, delete', () => {
  let service: TestService;
  let acme: TestSite;

  beforeAll(async () => {
    // A short idle period so a finished workflow closes within the test.
    service = await startTestService({ workflowIdleTimeout: '2 seconds' });
    acme = await serveSite(ACME_PAGES);
  });

  afterAll(async () => {
    await service?.stop();
    await acme?.close();
  });

  async function start(options: object = { maxPages: 3, personaCount: 1 }) {
    const res = await api(service.apiUrl, '/analysis/start', { method: 'POST', json: { url: acme.url, options } });
    expect(res.status).toBe(202);
    return res.body.data.analysisId as string;
  }

  it('closes its workflow after the idle period, and a regenerate starts it again from what is stored', async () => {
    const id = await start();
    await pollStatus(service.apiUrl, id, finished);
    const handle = service.temporal.workflow.getHandle(`analysis-${id}`);
    await handle.result();
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    const pagesFetched = acme.hits.get('/');

    const regen = await api(service.apiUrl, `/analysis/${id}/regenerate`, {
      method: 'POST',
      json: { sections: ['personas'], instructions: 'Name the persona after their job.' },
    });
    expect(regen.status).toBe(202);
    expect(regen.body.data.nextVersion).toBe(2);

    const { final } = await pollStatus(service.apiUrl, id, (s) => s.latestReportVersion === 2 && finished(s));
    expect(final.status).toBe('completed');
    // Only the persona synthesis ran again: the insight step was skipped, the site not re-read.
    expect(final.steps.find((s: any) => s.name === 'ai_analysis').state).toBe('skipped');
    expect(acme.hits.get('/')).toBe(pagesFetched);
    const report = await api(service.apiUrl, `/analysis/${id}/report`);
    expect(report.body.data.version).toBe(2);
    expect(report.body.data.report.instructions).toBe('Name the persona after their job.');
  });

  it('deletes the closed run of a deleted analysis from Temporal: its history held the URL', async () => {
    const id = await start();
    await pollStatus(service.apiUrl, id, finished);
    const handle = service.temporal.workflow.getHandle(`analysis-${id}`);
    await handle.result();
    expect((await handle.describe()).status.name).toBe('COMPLETED');

    const deleted = await api(service.apiUrl, `/analysis/${id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    // Temporal removes a run asynchronously: poll until describing it finds nothing.
    const deadline = Date.now() + 60_000;
    let gone = false;
    while (!gone && Date.now() < deadline) {
      gone = await handle.describe().then(
        () => false,
        (err: Error) => err.name === 'WorkflowNotFoundError',
      );
      if (!gone) await new Promise((r) => setTimeout(r, 500));
    }
    expect(gone).toBe(true);
  });

  it('cancels a running analysis: its in-flight model call stops and the analysis ends cancelled', async () => {
    service.standIn.setLatency(20_000);
    try {
      const id = await start();
      await pollStatus(service.apiUrl, id, (s) => s.currentStep === 'ai_analysis');
      const cancel = await api(service.apiUrl, `/analysis/${id}/cancel`, { method: 'POST' });
      expect(cancel.status).toBe(202);
      const { final } = await pollStatus(service.apiUrl, id, finished, 30_000);
      expect(final.status).toBe('cancelled');
      const again = await api(service.apiUrl, `/analysis/${id}/cancel`, { method: 'POST' });
      expect(again.status).toBe(409);
      expect(again.body.error?.code).toBe('ALREADY_FINISHED');
      const report = await api(service.apiUrl, `/analysis/${id}/report`);
      expect(report.body.error?.code).toBe('REPORT_NOT_READY');
    } finally {
      service.standIn.setLatency(0);
    }
  });

  it('deletes a running analysis: its workflow stops and only a content-free audit event remains', async () => {
    service.standIn.setLatency(20_000);
    try {
      const id = await start();
      await pollStatus(service.apiUrl, id, (s) => s.currentStep === 'ai_analysis');
      const del = await api(service.apiUrl, `/analysis/${id}`, { method: 'DELETE' });
      expect(del.status).toBe(200);
      expect(del.body.data).toEqual({ analysisId: id, deleted: true });

      const handle = service.temporal.workflow.getHandle(`analysis-${id}`);
      await handle.result().catch(() => undefined);
      expect(['CANCELLED', 'COMPLETED', 'FAILED']).toContain((await handle.describe()).status.name);

      expect((await api(service.apiUrl, `/analysis/${id}`)).status).toBe(404);
      for (const table of ['analyses', 'analysis_steps', 'ai_responses', 'reports'] as const) {
        const column = table === 'analyses' ? 'id' : 'analysis_id';
        const rows = await service.db.selectFrom(table).select(column).where(column, '=', id).execute();
        expect(rows, table).toHaveLength(0);
      }
      const events = await service.db.selectFrom('processing_events').select('type').where('analysis_id', '=', id).execute();
      expect(events.map((e) => e.type)).toContain('analysis_deleted');
    } finally {
      service.standIn.setLatency(0);
    }
  });
});
