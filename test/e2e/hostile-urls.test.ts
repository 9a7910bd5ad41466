import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, pollStatus } from '../support/api.js';
import { startTestService, type TestService } from '../support/service.js';
import { serveSite, type TestSite } from '../support/sites.js';
import { testResolver } from '../support/test-resolver.js';

/**
 * Names through the whole stack (API, Temporal, worker), resolved by a TEST RESOLVER, never the
 * machine's DNS: a public-looking name that lands on this machine is refused before any byte is
 * sent, and a site known by its bare and www. names is read as one site.
 */
describe('host names through the real stack', () => {
  let strict: TestService;
  let lenient: TestService;
  let site: TestSite;
  let port: string;

  beforeAll(async () => {
    // Routes are read per request: they can name the site's own port once it is known.
    const routes: Record<string, string> = {};
    site = await serveSite(routes);
    port = new URL(site.url).port;
    const home = `<!doctype html><html lang="en"><head><title>Acme</title></head><body><main><h1>Acme Invoicing</h1>
      <p>Acme Invoicing helps freelancers send professional invoices in under a minute.</p>
      <a href="http://www.acme.test:${port}/pricing">Pricing</a></main></body></html>`;
    const pricing = `<!doctype html><html lang="en"><head><title>Pricing</title></head><body><main><h1>Pricing</h1>
      <p>The Solo plan costs 9 euros per month and includes unlimited invoices for every freelancer.</p></main></body></html>`;
    Object.assign(routes, { '/': home, '/pricing': pricing });
    const resolve = testResolver({ 'www.public-looking.test': '127.0.0.1', 'acme.test': '127.0.0.1', 'www.acme.test': '127.0.0.1' });
    strict = await startTestService({ resolve, env: { SCRAPE_ALLOW_PRIVATE_NETWORKS: 'false', SCRAPE_ALLOWED_PORTS: '*' } });
    lenient = await startTestService({ resolve });
  });

  afterAll(async () => {
    await strict?.stop();
    await lenient?.stop();
    await site?.close();
  });

  it('refuses a public-looking name that resolves to this machine, sending nothing, and says which setting would allow it', async () => {
    const start = await api(strict.apiUrl, '/analysis/start', { method: 'POST', json: { url: `http://www.public-looking.test:${port}/` } });
    expect(start.status).toBe(202);
    const { final } = await pollStatus(strict.apiUrl, start.body.data.analysisId, (s) => ['completed', 'failed'].includes(s.status));
    expect(final.status).toBe('failed');
    expect(final.error.code).toBe('URL_NOT_ALLOWED');
    expect(final.error.message).toContain('SCRAPE_ALLOW_PRIVATE_NETWORKS');
    expect(final.error.message).not.toContain('127.0.0.1');
    expect([...site.hits.values()].reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('reads a site known by its bare and www. names as one site', async () => {
    const start = await api(lenient.apiUrl, '/analysis/start', { method: 'POST', json: { url: `http://acme.test:${port}/`, options: { maxPages: 3, personaCount: 1 } } });
    const { final } = await pollStatus(lenient.apiUrl, start.body.data.analysisId, (s) => ['completed', 'failed'].includes(s.status));
    expect(final.status, JSON.stringify(final.error)).toBe('completed');
    expect(site.hits.get('/pricing')).toBe(1);
    const report = await api(lenient.apiUrl, `/analysis/${start.body.data.analysisId}/report`);
    expect(report.body.data.report.pages.read.map((p: any) => new URL(p.url).pathname)).toEqual(['/', '/pricing']);
  });
});
