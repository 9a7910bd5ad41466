import type { PagesRead } from './report.js';
import type { CrawlReport } from './site-links.js';
import type { Corpus } from './corpus.js';

/** How much of one page the model could read: its cleaned text, what of it was sent, and the share. */
export interface CorpusPageSummary {
  url: string;
  /** home, about, pricing, product, ... (null in corpora stored before budgeting by value). */
  kind: string | null;
  /** Characters of the page's cleaned text. */
  chars: number;
  /** Characters of it sent to the model (0 when the page was left out). */
  sentChars: number;
  /** sentChars / chars, rounded to two decimals. */
  share: number;
  /** Why nothing of the page was sent: it had no visible text, all its lines were also on a more telling page, or no room was left. */
  left?: 'empty' | 'repeated' | 'budget';
}

export interface CorpusSummary {
  tokenEstimate: number;
  pages: CorpusPageSummary[];
}

const share = (sent: number, chars: number) => (chars > 0 ? Math.round((sent / chars) * 100) / 100 : 0);

/**
 * What of a stored corpus the summary reads: sizes and kinds, no page text. The status route has
 * PostgreSQL project it from the stored JSON (analysesRepository.statusById), so a status read does
 * not fetch and parse every page's text and passages; `outlineOf` derives it from a loaded corpus.
 */
export interface CorpusOutline {
  tokenEstimate: number;
  pages: { url: string; kind?: string | null; chars?: number | null; sentChars?: number | null; textLength: number }[];
  unsent?: Corpus['unsent'] | null;
}

export function outlineOf(stored: unknown): CorpusOutline | null {
  const corpus = stored as Corpus | null | undefined;
  if (!corpus || !Array.isArray(corpus.pages)) return null;
  return {
    tokenEstimate: corpus.tokenEstimate,
    pages: corpus.pages.map((p) => ({ url: p.url, kind: p.kind ?? null, chars: p.chars ?? null, sentChars: p.sentChars ?? null, textLength: p.text.length })),
    unsent: corpus.unsent ?? null,
  };
}

/**
 * `corpus` in `GET /analysis/{id}`: per page read, how much of it the token budget sent to the
 * model, pages sent first in corpus order, then those left out. Nothing before content processing.
 */
export function corpusSummary(outline: CorpusOutline | null): { corpus?: CorpusSummary } {
  if (!outline) return {};
  const sent = outline.pages.map((p) => {
    const sentChars = p.sentChars ?? p.textLength;
    const chars = p.chars ?? sentChars;
    return { url: p.url, kind: p.kind ?? null, chars, sentChars, share: share(sentChars, chars) };
  });
  const unsent = (outline.unsent ?? []).map((p) => ({ url: p.url, kind: p.kind, chars: p.chars, sentChars: 0, share: 0, left: p.reason }));
  return { corpus: { tokenEstimate: outline.tokenEstimate, pages: [...sent, ...unsent] } };
}

/**
 * What a report says of the pages behind it: each page read with how much of it the model was
 * sent (from the corpus), and each page skipped with why (from the crawl).
 */
export function pagesRead(corpus: unknown, crawl: CrawlReport | null): PagesRead {
  const summary = corpusSummary(outlineOf(corpus)).corpus?.pages ?? [];
  return {
    read: summary.map((p) => ({ ...p, kind: p.kind ?? crawl?.read.find((r) => r.url === p.url)?.kind ?? null })),
    skipped: crawl?.skipped ?? [],
    moreSkipped: crawl?.moreSkipped ?? 0,
  };
}
