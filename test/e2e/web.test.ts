import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMisbehavingAi, type MisbehavingAi } from '../../src/dev/misbehaving-ai.js';
import { textFragment } from '../../src/domain/render-report.js';
import { ACME_PAGES } from '../support/acme-site.js';
import { api } from '../support/api.js';
import { startTestService, type TestService } from '../support/service.js';
import { serveSite, type TestSite } from '../support/sites.js';

/**
 * The web page at GET / driven in headless Chromium (Debian's package, through playwright-core)
 * against the real API, worker, Temporal and PostgreSQL, with the AI stand-in and a local site.
 * Screenshots land in .dev/screenshots/ at desktop and phone widths.
 */

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = fileURLToPath(new URL('../../.dev/screenshots/', import.meta.url));
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
/** Generous: a busy 2-core machine runs a whole analysis in this. */
const LONG = 90_000;

let browser: Browser;
let acme: TestSite;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium) to run this test.`);
  await mkdir(SCREENSHOTS, { recursive: true });
  acme = await serveSite(ACME_PAGES);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // playwright-core starts it headless, with a fresh temporary profile per launch.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await acme?.close();
});

/** A new browser tab; script errors and refused resources (a CSP violation is a console error) are collected in `problems`. */
async function newPage(problems: string[], expectedErrors = /status of (404|409)/): Promise<Page> {
  const page = await browser.newPage({ viewport: DESKTOP });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !expectedErrors.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  return page;
}

async function startFromForm(page: Page, options: { maxPages: number; personaCount: number; language?: string }): Promise<string> {
  await page.fill('input[name=url]', acme.url);
  await page.fill('input[name=maxPages]', String(options.maxPages));
  await page.fill('input[name=personaCount]', String(options.personaCount));
  await page.fill('input[name=language]', options.language ?? '');
  await page.click('#start-form button[type=submit]');
  await page.waitForURL(/#\/analysis\/[0-9a-f-]{36}$/, { timeout: LONG });
  return /#\/analysis\/([0-9a-f-]{36})$/.exec(page.url())![1]!;
}

describe('the web page', () => {
  let service: TestService;
  let page: Page;
  let firstId: string;
  const problems: string[] = [];

  beforeAll(async () => {
    service = await startTestService();
    page = await newPage(problems);
  });

  afterAll(async () => {
    await page?.close();
    await service?.stop();
  });

  async function screenshot(name: string) {
    await page.screenshot({ path: `${SCREENSHOTS}web-${name}-desktop.png`, fullPage: true });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: `${SCREENSHOTS}web-${name}-phone.png`, fullPage: true });
    await page.setViewportSize(DESKTOP);
  }

  it('is served at / with its own content security policy, and its files beside it', async () => {
    const res = await fetch(`${service.apiUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await res.text()).toContain('<script type="module" src="/web/app.js">');
    for (const file of ['/web/app.js', '/web/style.css', '/web/vendor/openapi-fetch.js', '/web/vendor/eventsource-parser.js']) {
      const asset = await fetch(`${service.apiUrl}${file}`);
      expect(asset.status, file).toBe(200);
      await asset.arrayBuffer();
    }
    const missing = await fetch(`${service.apiUrl}/web/nothing-here.js`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('starts an analysis from the form, follows it to 100% and shows the personas with linked evidence', async () => {
    await page.goto(`${service.apiUrl}/`);
    firstId = await startFromForm(page, { maxPages: 3, personaCount: 2 });
    await page.waitForSelector('#analysis .bar[aria-valuenow="100"]', { timeout: LONG });
    await page.waitForSelector('#report .report[data-version="1"] .persona', { timeout: LONG });

    // Every step is named and done; the crawl's and the model's sub-steps were counted from the event stream.
    expect(await page.getAttribute('#analysis', 'data-feed')).toBe('events');
    await expect.poll(() => page.locator('#steps li[data-state=completed]').count(), { timeout: LONG }).toBe(7);
    await expect.poll(() => page.textContent('#steps li[data-step=content_extraction] .sub')).toMatch(/^read [1-3] pages?$/);
    expect(await page.textContent('#steps li[data-step=ai_analysis] .sub')).toMatch(/^model answers \d+\/\d+$/);

    // What the page shows is the stored report: its personas, and evidence linked to the quoted passage.
    const { body } = await api(service.apiUrl, `/analysis/${firstId}/report`);
    const report = body.data.report;
    expect(await page.locator('.persona h3').allTextContents()).toEqual(report.personas.map((p: { name: string }) => p.name));
    expect(await page.textContent('#report .summary')).toBe(report.summary);
    const evidence = [...(report.offering?.evidence ?? []), ...report.personas.flatMap((p: { evidence: unknown[] }) => p.evidence)][0];
    expect(evidence, 'the stand-in report cites evidence').toBeDefined();
    const href = `${evidence.url.replace(/#.*$/, '')}${textFragment(evidence.quote)}`;
    expect(await page.locator(`#report a[href="${href}"]`).count()).toBeGreaterThan(0);
    expect(await page.textContent('#quality .verdict')).toBeTruthy();
    // The figures in the words the Markdown report uses: the route's view, worked out once.
    expect(await page.textContent('#quality')).toContain(body.data.view.figures.claims);
    expect(await page.textContent('#report .usage')).toMatch(/\d+ model calls/);
    // The pages not read, grouped by why and said in words, not the API's reason codes.
    const pages = (await page.textContent('#report details.pages')) ?? '';
    expect(pages).toContain("Disallowed by the site's robots.txt (1):");
    expect(pages).toContain('/private/admin');
    expect(pages).not.toMatch(/page_limit|off_site|: robots/);
    await screenshot('report');
  });

  it('regenerates the personas, shows version 2 and what changed from version 1', async () => {
    const instructions = 'Write for agency owners who bill by the hour.';
    await page.fill('#regenerate-form textarea[name=instructions]', instructions);
    await page.check('#regenerate-form input[value=personas]');
    await page.click('#regenerate-form button[type=submit]');
    await page.waitForSelector('#report .report[data-version="2"]', { timeout: LONG });
    await page.waitForSelector('#analysis .bar[aria-valuenow="100"]', { timeout: LONG });
    expect(await page.locator('#version option').allTextContents()).toEqual(['2 (latest)', '1']);
    expect(await page.textContent('#report .instructions')).toContain(instructions);

    await page.selectOption('#compare', '1');
    await page.waitForSelector('#diff [data-from="1"][data-to="2"]', { timeout: LONG });
    const { body } = await api(service.apiUrl, `/analysis/${firstId}/report?version=2&diff=1`);
    const diffText = (await page.textContent('#diff')) ?? '';
    expect(diffText).toContain(instructions);
    expect(body.data.carriedOver.length).toBeGreaterThan(0);
    expect(diffText).toContain(`Carried over unchanged: ${body.data.carriedOver.join(', ')}.`);
    for (const name of [...body.data.personas.added, ...body.data.personas.removed]) expect(diffText).toContain(name);

    await page.locator('#diff').screenshot({ path: `${SCREENSHOTS}web-diff-only.png` });
    // The older version is still there to read.
    await page.selectOption('#version', '1');
    await page.waitForSelector('#report .report[data-version="1"]', { timeout: LONG });
    await page.selectOption('#version', '2');
    await page.waitForSelector('#report .report[data-version="2"]', { timeout: LONG });
    await screenshot('diff');
  });

  it('cancels a running analysis, finds it in the list by status and deletes it', async () => {
    await page.goto(`${service.apiUrl}/`);
    service.standIn.setLatency(20_000);
    let id: string;
    try {
      id = await startFromForm(page, { maxPages: 2, personaCount: 1 });
      await page.waitForSelector('#steps li[data-step=ai_analysis][data-state=running]', { timeout: LONG });
      await screenshot('running');
      await page.click('#cancel');
      await page.waitForSelector('#analysis[data-status=cancelled]', { timeout: LONG });
    } finally {
      service.standIn.setLatency(0);
    }

    // The list reads PostgreSQL, which may learn of the cancellation a moment after the workflow: filter again until it has.
    await page.selectOption('#filters select[name=status]', 'cancelled');
    const row = page.locator(`#list li[data-id="${id}"]`);
    const listed = () => page.locator('#list li[data-status]').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-id'), r.getAttribute('data-status')]));
    await expect
      .poll(
        async () => {
          const answered = page.waitForResponse((res) => new URL(res.url()).pathname === '/api/v2/analysis' && res.url().includes('status=cancelled'));
          await page.click('#filters button[type=submit]');
          await answered;
          // The list is redrawn right after the answer arrives.
          await page.waitForFunction(() => document.querySelector('#list li') !== null);
          const rows = await listed();
          return rows.some(([rowId]) => rowId === id) && rows.every(([, status]) => status === 'cancelled');
        },
        { timeout: LONG, interval: 500 },
      )
      .toBe(true);
    await screenshot('list');

    page.once('dialog', (dialog) => void dialog.accept());
    await row.locator('button.delete').click();
    await row.waitFor({ state: 'detached', timeout: LONG });
    const gone = await api(service.apiUrl, `/analysis/${id}`);
    expect(gone.status).toBe(404);
    expect(problems).toEqual([]);
  });
});

describe('the web page with API keys, and without the event stream', () => {
  let service: TestService;
  let page: Page;
  // The page's first reads, before the key is entered, are refused: the browser logs those 401s.
  const problems: string[] = [];

  beforeAll(async () => {
    service = await startTestService({ env: { API_KEYS: 'web-page-test-key' } });
    page = await newPage(problems, /status of (401|404|409)/);
  });

  afterAll(async () => {
    await page?.close();
    await service?.stop();
  });

  it('says a key is needed, then sends the saved one on every call, the event stream included', async () => {
    await page.goto(`${service.apiUrl}/`);
    await page.waitForSelector('#notice.error:not([hidden])', { timeout: LONG });
    expect(await page.textContent('#notice')).toMatch(/key/i);

    await page.click('.key summary');
    await page.fill('#api-key', 'web-page-test-key');
    await page.click('#key-form button[type=submit]');
    await page.waitForSelector('#notice.info', { timeout: LONG });
    expect(await page.evaluate(() => localStorage.getItem('persona-analyzer.apiKey'))).toBe('web-page-test-key');

    await startFromForm(page, { maxPages: 2, personaCount: 1 });
    await page.waitForSelector('#analysis .bar[aria-valuenow="100"]', { timeout: LONG });
    await page.waitForSelector('#report .report[data-version="1"] .persona', { timeout: LONG });
    expect(await page.getAttribute('#analysis', 'data-feed')).toBe('events');
    await expect.poll(() => page.textContent('#steps li[data-step=content_extraction] .sub')).toMatch(/^read [12] pages?$/);
  });

  it('falls back to reading the status every second when the event stream is unavailable', async () => {
    // As a proxy that does not pass Server-Sent Events would: the stream's requests fail.
    await page.route('**/api/v2/analysis/*/events', (route) => route.abort());
    try {
      await startFromForm(page, { maxPages: 2, personaCount: 1 });
      await page.waitForSelector('#analysis[data-feed=polling]', { timeout: LONG });
      await page.waitForSelector('#analysis .bar[aria-valuenow="100"]', { timeout: LONG });
      await page.waitForSelector('#report .report[data-version="1"] .persona', { timeout: LONG });
      await expect.poll(() => page.locator('#steps li[data-state=completed]').count(), { timeout: LONG }).toBe(7);
    } finally {
      await page.unroute('**/api/v2/analysis/*/events');
    }
    expect(problems.filter((p) => !/net::ERR_FAILED/.test(p))).toEqual([]);
  });
});

describe('the web page with a degraded report (the misbehaving stand-in)', () => {
  let service: TestService;
  let ai: MisbehavingAi;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    ai = await startMisbehavingAi();
    // Every text field a placeholder, every quote invented: every part is withheld, and none keeps evidence.
    ai.use(['placeholders', 'invented_urls']);
    service = await startTestService({ aiBaseUrl: ai.baseUrl });
    page = await newPage(problems);
  });

  afterAll(async () => {
    await page?.close();
    await service?.stop();
    await ai?.stop();
  });

  it('says what was withheld and why, naming the summary once, and says nothing of the evidence of parts it does not show', async () => {
    await page.goto(`${service.apiUrl}/`);
    const id = await startFromForm(page, { maxPages: 2, personaCount: 1 });
    await page.waitForSelector('#analysis .bar[aria-valuenow="100"]', { timeout: LONG });
    await page.waitForSelector('#report .report[data-version="1"]', { timeout: LONG });

    const { body } = await api(service.apiUrl, `/analysis/${id}/report`);
    expect(body.data.status).toBe('degraded');
    // The parts were unsupported as checked, and withheld whole after.
    expect(body.data.quality.issues.some((i: { rule: string }) => i.rule === 'unsupported')).toBe(true);
    expect(body.data.report.summary).toBeNull();
    expect(body.data.report.personas).toEqual([]);

    const quality = (await page.textContent('#quality')) ?? '';
    expect(quality).toMatch(/Withheld \(summary\): summary /);
    expect(quality).not.toContain('summary, summary');
    expect(quality).not.toContain('cites no passage');
    expect(problems).toEqual([]);
  });

  it('shows a part written in another language than asked, with a note saying so', async () => {
    // Cooperative: it copies the English site's sentences whatever language it is asked for.
    ai.use([]);
    await page.goto(`${service.apiUrl}/`);
    const id = await startFromForm(page, { maxPages: 2, personaCount: 1, language: 'de' });
    await page.waitForSelector('#report .report[data-version="1"]', { timeout: LONG });
    const { body } = await api(service.apiUrl, `/analysis/${id}/report`);
    expect(body.data.quality.issues.some((i: { rule: string; part: { kind: string } }) => i.rule === 'wrong_language' && i.part.kind === 'offering')).toBe(true);
    expect(body.data.report.offering).not.toBeNull();
    expect(await page.textContent('#quality')).toContain("Offering is written in English, not in German, the report's language");
    expect(problems).toEqual([]);
  });
});
