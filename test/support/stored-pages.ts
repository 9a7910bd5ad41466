import type { Db } from '../../src/database.js';

export interface StoredPages {
  /** Cleaned body text by URL (the fetched URL and the cleaned one): what quotes must be on. */
  pages: Map<string, string>;
  /** Everything the site itself says as stored: body text plus titles, meta descriptions, headings and structured-data facts. */
  siteText: string;
}

/** The pages an analysis read, as PostgreSQL holds them: for judging a delivered report. */
export async function storedPages(db: Db, analysisId: string): Promise<StoredPages> {
  const row = await db.selectFrom('analyses').select('content_ids').where('id', '=', analysisId).executeTakeFirstOrThrow();
  const rows = row.content_ids.length ? await db.selectFrom('website_content').select(['url', 'cleaned']).where('id', 'in', row.content_ids).execute() : [];
  const pages = new Map<string, string>();
  const said: string[] = [];
  for (const r of rows) {
    const cleaned = r.cleaned as { url: string; text: string; title?: string; description?: string; headings?: string[]; summary?: unknown };
    pages.set(cleaned.url, cleaned.text);
    pages.set(r.url, cleaned.text);
    said.push(cleaned.text, cleaned.title ?? '', cleaned.description ?? '', ...(cleaned.headings ?? []), typeof cleaned.summary === 'string' ? cleaned.summary : JSON.stringify(cleaned.summary ?? ''));
  }
  return { pages, siteText: said.join('\n') };
}
