import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACME_PAGES } from '../support/acme-site.js';
import { api, pollStatus } from '../support/api.js';
import { startTestService, type TestService } from '../support/service.js';
import { serveSite, type TestSite } from '../support/sites.js';

/** A per-analysis AI budget, end to end: further calls stop, the analysis says why and what was spent. */
describe('AI budget', () => {
  let service: TestService;
  let site: TestSite;

  beforeAll(async () => {
    // The five insight calls of the stand-in read the whole site each: together well over 2,000 tokens.
    service = await startTestService({ env: { AI_BUDGET_TOKENS: '2000' } });
    site = await serveSite(ACME_PAGES);
  });

  afterAll(async () => {
    await service?.stop();
    await site?.close();
  });

  it('stops further model calls with BUDGET_EXCEEDED and shows what was spent', async () => {
    const start = await api(service.apiUrl, '/analysis/start', { method: 'POST', json: { url: site.url, options: { maxPages: 4, personaCount: 1 } } });
    const id = start.body.data.analysisId;
    const { final } = await pollStatus(service.apiUrl, id, (s) => ['completed', 'failed'].includes(s.status), 120_000);
    expect(final.status).toBe('failed');
    expect(final.error.code).toBe('BUDGET_EXCEEDED');
    expect(final.error.message).toMatch(/used [\d,]+ of its 2,000 AI tokens/);
    expect(final.error.message).toContain('AI_BUDGET_TOKENS');
    // What was spent before the stop, in the status.
    expect(final.usage.calls).toBeGreaterThanOrEqual(1);
    expect(final.usage.inputTokens + final.usage.outputTokens).toBeGreaterThan(2000);
    // No call was made once the budget was spent: the synthesis never ran.
    const synthesis = await service.db.selectFrom('ai_responses').select('id').where('analysis_id', '=', id).where('kind', '=', 'personas').execute();
    expect(synthesis).toEqual([]);
  });
});
