import type { CleanPage, Corpus, CorpusPage } from './corpus.js';

/**
 * The token budget: what of the cleaned pages the model may read. Each page's share is a prefix of
 * its cleaned text, so every passage cut from it is a verbatim substring of the stored page.
 */

export interface BudgetPage {
  contentId: string;
  url: string;
  page: CleanPage;
}

export const estimateTokens = (text: string) => Math.ceil(text.length / 4);

// A page cut to fewer tokens than this says too little to be worth the space.
const MIN_PAGE_TOKENS = 100;

/** The longest prefix of `text` within `maxChars`, ending at a sentence end, else a word end. */
export function cutAtBoundary(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const window = text.slice(0, maxChars + 1);
  const floor = Math.floor(maxChars / 2);
  let sentenceEnd = -1;
  for (const m of window.matchAll(/[.!?。！？](?=\s)|\n/g)) {
    const end = m[0] === '\n' ? m.index : m.index + 1;
    if (end <= maxChars) sentenceEnd = end;
  }
  if (sentenceEnd >= floor) return text.slice(0, sentenceEnd).trimEnd();
  const wordEnd = window.search(/\s\S*$/);
  if (wordEnd >= floor) return text.slice(0, wordEnd).trimEnd();
  // One enormous token: cut it, but never inside a surrogate pair.
  const code = text.charCodeAt(maxChars - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? maxChars - 1 : maxChars);
}

function isHomePage(url: string): boolean {
  try {
    return new URL(url).pathname === '/';
  } catch {
    return false;
  }
}

/** The language most of the text is in. */
function dominantLanguage(pages: readonly CleanPage[]): string {
  const weight = new Map<string, number>();
  for (const p of pages) {
    if (p.language !== 'und') weight.set(p.language, (weight.get(p.language) ?? 0) + p.text.length);
  }
  return [...weight].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'und';
}

/**
 * Fits the cleaned pages into what the insight calls may read: home page first, then the given
 * (crawl) order. Every page gets a fair share of the budget; what a short page leaves over goes to
 * the longer ones. Each page's text is a prefix of its cleaned text, cut at a sentence or word
 * end, so any quote taken from the corpus is a verbatim substring of `CleanPage.text`.
 * When the budget cannot give every page a useful share, the last pages are left out.
 */
export function fitTokenBudget(pages: readonly BudgetPage[], budgetTokens: number): Corpus {
  const ordered = [...pages.filter((p) => p.page.text.trim() !== '')].sort(
    (a, b) => Number(isHomePage(b.url)) - Number(isHomePage(a.url)),
  );
  const kept = ordered.slice(0, Math.max(1, Math.floor(budgetTokens / MIN_PAGE_TOKENS)));
  const allowance = new Map<BudgetPage, number>();
  let remaining = Math.max(0, Math.floor(budgetTokens));
  // Smallest first, so each page's unused share flows to the larger pages after it.
  const bySize = [...kept].sort((a, b) => a.page.text.length - b.page.text.length);
  bySize.forEach((p, i) => {
    const share = Math.floor(remaining / (bySize.length - i));
    const give = Math.min(estimateTokens(p.page.text), share);
    allowance.set(p, give);
    remaining -= give;
  });
  const corpusPages: CorpusPage[] = kept
    .map((p) => ({
      contentId: p.contentId,
      url: p.url,
      title: p.page.title,
      text: cutAtBoundary(p.page.text, (allowance.get(p) ?? 0) * 4),
    }))
    .filter((p) => p.text !== '');
  return {
    language: dominantLanguage(kept.map((p) => p.page)),
    tokenEstimate: corpusPages.reduce((sum, p) => sum + estimateTokens(p.text), 0),
    pages: corpusPages,
  };
}
