import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CleanPage, Corpus } from '../src/domain/corpus.js';
import { createDatabase, type Db } from '../src/database.js';
import { createLogger } from '../src/logger.js';
import { serveFixtures, serveSite, type TestSite } from '../test/support/sites.js';
import { createProcessingActivities } from './processing.js';
import { createScrapingActivities } from './scraping.js';
import type { ActivityDeps, ProcessingResult } from './types.js';
import { testResolver } from '../test/support/test-resolver.js';
import { FIXTURES_DIR } from '../test/support/fixtures.js';
import { unusedModelClient } from '../test/support/activity-env.js';
import { insertAnalysis } from '../test/support/activity-env.js';

const databaseUrl = inject('databaseUrl');
let db: Db;
let activities: ReturnType<typeof createScrapingActivities> & ReturnType<typeof createProcessingActivities>;
const sites: TestSite[] = [];

beforeAll(async () => {
  db = createDatabase(databaseUrl, 2);
  const deps: ActivityDeps = {
    db,
    logger: createLogger('error'),
    ai: unusedModelClient(),
    config: { OPENAI_MODEL: 'unused', SCRAPE_ALLOW_PRIVATE_NETWORKS: true, CACHE_TTL_HOURS: 24 },
    // Sites are on 127.0.0.1; should a name come up, it never goes to the machine's DNS.
    resolve: testResolver({ localhost: '127.0.0.1' }),
  };
  activities = { ...createScrapingActivities(deps), ...createProcessingActivities(deps) };
});

afterAll(async () => {
  await Promise.all(sites.map((s) => s.close()));
  await db?.destroy();
});

const newAnalysis = (url: string, options: Record<string, unknown> = {}) => insertAnalysis(db, url, options);

/** Crawls the site for a new analysis, then processes it; returns the analysis id, result and heartbeats. */
async function crawlAndProcess(site: TestSite, options: Record<string, unknown> = {}) {
  const analysisId = await newAnalysis(site.url, options);
  await new MockActivityEnvironment().run(activities.extractContent, { analysisId });
  const env = new MockActivityEnvironment();
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => heartbeats.push(d));
  const result = (await env.run(activities.processContent, { analysisId })) as ProcessingResult;
  return { analysisId, result, heartbeats };
}

async function storedAnalysis(id: string) {
  return db.selectFrom('analyses').select(['content_ids', 'corpus', 'language']).where('id', '=', id).executeTakeFirstOrThrow();
}

describe('processContent', () => {
  it('cleans the saved real pages, stores them, and writes a corpus whose text is verbatim cleaned text', async () => {
    const fixtures = await serveFixtures(FIXTURES_DIR);
    sites.push(fixtures);
    const { analysisId, result, heartbeats } = await crawlAndProcess(fixtures, { maxPages: 9 });

    const analysis = await storedAnalysis(analysisId);
    expect(analysis.content_ids).toHaveLength(9); // the index page and the eight fixtures
    const rows = await db.selectFrom('website_content').selectAll().where('id', 'in', analysis.content_ids).execute();
    const cleanedById = new Map(rows.map((r) => [r.id, r.cleaned as CleanPage]));
    for (const row of rows) {
      expect(row.cleaned, row.url).not.toBeNull();
      expect(row.language).toBe((row.cleaned as CleanPage).language);
    }
    const byFile = (name: string) => rows.find((r) => r.url.endsWith(`/${name}`))!;
    expect(byFile('fairkom.eu.about.html').language).toBe('de');
    expect(byFile('microlink.io.html').language).toBe('en');
    expect((byFile('caktusgroup.com.django.html').cleaned as CleanPage).jsonLd).toHaveLength(1);

    const corpus = analysis.corpus as Corpus;
    expect(result).toEqual({ pageCount: corpus.pages.length, language: corpus.language, tokenEstimate: corpus.tokenEstimate });
    expect(corpus.tokenEstimate).toBeLessThanOrEqual(12_000);
    expect(corpus.pages.length).toBe(8); // the index page has no text once its link list is gone
    expect(analysis.language).toBe(corpus.language);
    expect(['en', 'de']).toContain(corpus.language);
    for (const page of corpus.pages) {
      const cleaned = cleanedById.get(page.contentId)!;
      // The budget keeps blocks, not a prefix: each run of adjacent blocks is a verbatim slice of the cleaned page, and so is every passage.
      for (const run of page.text.split('\n\n')) expect(cleaned.text.includes(run), page.url).toBe(true);
      for (const passage of page.passages ?? []) expect(cleaned.text, page.url).toContain(passage.text);
      // Any sentence an insight call quotes from the corpus is found in the cleaned page.
      const quote = page.text.split('\n').find((line) => line.length > 40) ?? page.text;
      expect(cleaned.text).toContain(quote);
    }
    expect(heartbeats.at(-1)).toEqual({ done: 9, total: 9 });
  });

  it('reuses a page cleaned earlier instead of cleaning it again', async () => {
    const acme = await serveSite({ '/': '<html lang="en"><body><p>Acme makes invoicing simple for freelancers and small agencies.</p></body></html>' });
    sites.push(acme);
    const { analysisId } = await crawlAndProcess(acme);
    const [contentId] = (await storedAnalysis(analysisId)).content_ids;
    const marker: CleanPage = { url: acme.url, title: 'Marker', description: '', headings: [], text: 'Text from the earlier cleaning.', jsonLd: [], language: 'en' };
    await db.updateTable('website_content').set({ cleaned: JSON.stringify(marker) }).where('id', '=', contentId!).execute();

    const again = await crawlAndProcess(acme);
    const corpus = (await storedAnalysis(again.analysisId)).corpus as Corpus;
    expect(corpus.pages).toEqual([
      {
        contentId,
        url: acme.url,
        title: 'Marker',
        text: 'Text from the earlier cleaning.',
        kind: 'home',
        chars: 31,
        sentChars: 31,
        passages: [{ id: 'p1.1', text: 'Text from the earlier cleaning.' }],
      },
    ]);
  });

  it('writes in the language asked for in the options, and keeps the site\'s with the corpus', async () => {
    const acme = await serveSite({ '/': '<html lang="en"><body><p>Acme makes invoicing simple for freelancers and small agencies.</p></body></html>' });
    sites.push(acme);
    const { analysisId, result } = await crawlAndProcess(acme, { language: 'fr' });
    expect(result.language).toBe('fr');
    const analysis = await storedAnalysis(analysisId);
    expect(analysis.language).toBe('fr');
    // What the quality rules compare the report's language with.
    expect((analysis.corpus as Corpus).language).toBe('en');
  });

  it('fails with NoContent when no page has visible text', async () => {
    const empty = await serveSite({ '/': '<html><body><script>render()</script><div hidden>Loading</div></body></html>' });
    sites.push(empty);
    await expect(crawlAndProcess(empty)).rejects.toMatchObject({ type: 'NoContent', nonRetryable: true });
  });

  it('fails non-retryably for an analysis that does not exist', async () => {
    await expect(new MockActivityEnvironment().run(activities.processContent, { analysisId: randomUUID() })).rejects.toMatchObject({
      type: 'AnalysisNotFound',
      nonRetryable: true,
    });
  });
});
