import { splitPassages, type LocatablePassage, type Passage } from './passages.js';

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
}

export interface CorpusPage {
  contentId: string;
  url: string;
  title: string;
  /** The page's cleaned text, cut to fit the budget. */
  text: string;
  /**
   * The budgeted text as numbered passages (IDs `p<page>.<n>`, page = position in the corpus,
   * from 1). Absent in corpora stored before evidence by reference: `corpusPassages` derives them.
   */
  passages?: Passage[];
}

/** What the insight calls read: the analysis's cleaned pages fitted to a token budget (`analyses.corpus`). */
export interface Corpus {
  language: string;
  tokenEstimate: number;
  pages: CorpusPage[];
}

/** Numbers the corpus's passages; deterministic, so a retried processing step gives the same IDs. */
export function withPassages(corpus: Corpus): Corpus {
  return { ...corpus, pages: corpus.pages.map((p, i) => ({ ...p, passages: splitPassages(p.text, i + 1) })) };
}

/** Every passage of the corpus with its page URL, in page order. */
export function corpusPassages(corpus: Corpus): LocatablePassage[] {
  return corpus.pages.flatMap((page, i) => (page.passages ?? splitPassages(page.text, i + 1)).map((p) => ({ ...p, url: page.url })));
}
