import { randomUUID } from 'node:crypto';
import { cleanPage } from '../../src/domain/clean-page.js';
import { fitTokenBudget } from '../../src/domain/token-budget.js';
import { withPassages, type CleanPage } from '../../src/domain/corpus.js';
import type { Db } from '../../src/database.js';
import { readFixture } from './fixtures.js';


/** Sites made of the saved real pages: a German service page, and three English pages under one domain. */
export const GERMAN_SITE: readonly (readonly [url: string, file: string])[] = [
  ['https://www.rs-ingenieure.de/tragwerksplanung', 'rs-ingenieure.de.tragwerksplanung.html'],
];
export const ENGLISH_SITE: readonly (readonly [url: string, file: string])[] = [
  ['https://www.caktusgroup.com/', 'caktusgroup.com.django.html'],
  ['https://www.caktusgroup.com/course', 'learnnode.com.html'],
  ['https://www.caktusgroup.com/api', 'microlink.io.html'],
];

export interface SeededAnalysis {
  analysisId: string;
  url: string;
  pages: CleanPage[];
}

/**
 * Inserts an analysis as content_processing leaves it: cached pages with their cleaned text in
 * website_content, and the corpus the insight calls read.
 */
export async function seedAnalysis(
  db: Db,
  opts: { site?: readonly (readonly [string, string])[]; personaCount?: number; language?: string } = {},
): Promise<SeededAnalysis> {
  const site = opts.site ?? ENGLISH_SITE;
  const analysisId = randomUUID();
  const fetched = await Promise.all(site.map(async ([url, file]) => ({ url, html: readFixture(file) })));
  const pages = fetched.map(({ url, html }) => cleanPage(html, url));
  const contentIds: string[] = [];
  for (const [i, page] of pages.entries()) {
    const row = await db
      .insertInto('website_content')
      .values({
        url: page.url,
        // Unique per seed, so tests can seed the same pages again.
        content_hash: randomUUID(),
        status_code: 200,
        content_type: 'text/html',
        html: fetched[i]!.html,
        cleaned: JSON.stringify(page),
        language: page.language,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    contentIds.push(row.id);
  }
  const corpus = withPassages(
    fitTokenBudget(
      pages.map((page, i) => ({ contentId: contentIds[i]!, url: page.url, page })),
      8_000,
    ),
  );
  const url = site[0]![0];
  await db
    .insertInto('analyses')
    .values({
      id: analysisId,
      url,
      input_url: url,
      domain: new URL(url).hostname,
      status: 'running',
      options: JSON.stringify({
        maxPages: 10,
        personaCount: opts.personaCount ?? 3,
        forceRefresh: false,
        ...(opts.language ? { language: opts.language } : {}),
      }),
      request_hash: `test-${analysisId}`,
      workflow_id: `analysis-${analysisId}`,
      content_ids: contentIds,
      corpus: JSON.stringify(corpus),
      language: corpus.language,
    })
    .execute();
  return { analysisId, url, pages };
}

/** A bare running analysis row for repository tests (no pages, no corpus), on a domain of the test's own. */
export async function insertAnalysisRow(db: Db, domain: string, options: object = {}): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('analyses')
    .values({
      id,
      url: `https://${domain}/`,
      input_url: domain,
      domain,
      status: 'running',
      options: JSON.stringify(options),
      request_hash: id,
      workflow_id: `analysis-${id}`,
    })
    .execute();
  return id;
}
