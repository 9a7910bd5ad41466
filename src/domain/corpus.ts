/** A page after cleanPage: what `website_content.cleaned` holds. */
export interface CleanPage {
  url: string;
  title: string;
  description: string;
  headings: string[];
  /** Visible main text, boilerplate removed, whitespace collapsed. Evidence quotes must appear here verbatim. */
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
}

/** What the insight calls read: the analysis's cleaned pages fitted to a token budget (`analyses.corpus`). */
export interface Corpus {
  language: string;
  tokenEstimate: number;
  pages: CorpusPage[];
}
