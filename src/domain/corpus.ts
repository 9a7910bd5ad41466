import type { PageKind } from './page-kind.js';
import { passageId, splitPassages, type LocatablePassage, type Passage } from './passages.js';

/** A page after cleanPage: what `website_content.cleaned` holds. */
export interface CleanPage {
  url: string;
  title: string;
  description: string;
  headings: string[];
  /** Visible main text, boilerplate removed, one block per line. Every passage is a substring of it. */
  text: string;
  /** Parsed JSON-LD blocks (schema.org Organization, Product, ...). */
  jsonLd: unknown[];
  /** ISO 639-1 code, or 'und' when undetermined. */
  language: string;
  /**
   * The facts of the page's JSON-LD, one per line: "Organization: name — description",
   * "Product: name — by brand — description — price 49 USD — rated 4.6/5 from 120 reviews",
   * "FAQ: question answer", "Review (5/5) by author: text". Absent when there are none.
   */
  summary?: string;
  /** The tags or categories the page is filed under, from a tag list left out of `text` (version 8 on). */
  tags?: string[];
  /** OpenGraph: title, description, type, siteName, locale, priceAmount, priceCurrency (those present). */
  openGraph?: Record<string, string>;
  /** The page is an empty JavaScript shell: `text` holds what could be recovered without running it. */
  limited?: boolean;
  /** Why the page is limited, in words (what was found, where the text came from). */
  limitedReason?: string;
  /** CLEANER_VERSION of the cleaner that produced this page (absent before version 3). */
  cleanerVersion?: number;
}

export interface CorpusPage {
  contentId: string;
  url: string;
  title: string;
  /**
   * What of the page's cleaned text the budget kept: its selected blocks (lines) in page order, each
   * run of adjacent blocks a verbatim slice of `CleanPage.text`, runs separated by a blank line.
   * In corpora stored before budgeting by value: a prefix of the cleaned text.
   */
  text: string;
  /** The page's kind (home, pricing, legal, ...), which its share of the budget follows. Absent in older corpora, as are the fields below. */
  kind?: PageKind;
  /** Characters of the page's cleaned text, and of it sent in `text` (blank lines between runs not counted). */
  chars?: number;
  sentChars?: number;
  /** Page context shown to the model beside the passages, never cited: the meta description, headings, JSON-LD facts, tags. */
  description?: string;
  headings?: string[];
  facts?: string[];
  tags?: string[];
  /**
   * The budgeted text as numbered passages (IDs `p<page>.<n>`, page = position in the corpus,
   * from 1). Absent in corpora stored before evidence by reference: `corpusPassages` derives them.
   */
  passages?: Passage[];
}

/** What a prompt may show of each page beside its passages: its title and its context (description, headings, facts, tags). */
export function pageContextTexts(corpus: Pick<Corpus, 'pages'>): string[] {
  return corpus.pages.flatMap((p) => [p.title, p.description ?? '', ...(p.headings ?? []), ...(p.facts ?? []), ...(p.tags ?? [])]).filter(Boolean);
}

/** What the insight calls read: the analysis's cleaned pages fitted to a token budget (`analyses.corpus`). */
export interface Corpus {
  /** The site's language, most of its text's (ISO 639-1, 'und' unknown); the report's is `analyses.language`. Corpora stored before 2026-12-01 hold the requested one. */
  language: string;
  tokenEstimate: number;
  pages: CorpusPage[];
  /** Pages that were read but sent nothing, and why (older corpora: absent). */
  unsent?: UnsentPage[];
}

export interface UnsentPage {
  url: string;
  kind: PageKind;
  chars: number;
  /** empty: no visible text; repeated: every line also on a more telling page; budget: no room left. */
  reason: 'empty' | 'repeated' | 'budget';
}

/** Numbers the corpus's passages; deterministic, so a retried processing step gives the same IDs. */
export function withPassages(corpus: Corpus): Corpus {
  return { ...corpus, pages: corpus.pages.map((p, i) => ({ ...p, passages: pagePassages(p.text, i + 1, corpus.language) })) };
}

/**
 * A corpus page's passages: cut per run of adjacent blocks (runs are separated by a blank line), so
 * no passage spans two runs and each is a substring of the cleaned page; numbered across the page.
 */
export function pagePassages(text: string, pageNumber: number, language: string): Passage[] {
  let n = 0;
  return text
    .split(/\n\s*\n/)
    .flatMap((run) => splitPassages(run, pageNumber, language))
    .map((p) => ({ id: passageId(pageNumber, ++n), text: p.text }));
}

/** Every passage of the corpus with its page URL, in page order. */
export function corpusPassages(corpus: Corpus): LocatablePassage[] {
  return corpus.pages.flatMap((page, i) => (page.passages ?? pagePassages(page.text, i + 1, corpus.language)).map((p) => ({ ...p, url: page.url })));
}
