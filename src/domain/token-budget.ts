import type { CleanPage, Corpus, CorpusPage, UnsentPage } from './corpus.js';
import { jsonLdSummary } from './clean-structured.js';
import { pageKind, pageKindRank, pageKindValue, type PageKind } from './page-kind.js';

/**
 * The token budget: what of the cleaned pages the model may read. The budget is shared out by page
 * value with diminishing returns, block by block (the cleaner writes one block per line):
 *
 * 1. Text repeated across pages (navigation, counters, sidebars, footers, cookie notices) is kept
 *    once, on the most telling page that has it, and dropped from the others.
 * 2. Every page gets its most informative part first: its headings and lead paragraph, then its
 *    other leads, prices, testimonials and lists, each capped by the page's value, before any page
 *    gets the rest of its text.
 * 3. Within each round, the next block goes to the page whose next block is worth most:
 *    `value / (1 + chars already given / STEP)`, so a long legal page cannot crowd out pricing.
 *
 * Selected blocks keep their page order. A page's corpus text is its selected blocks, runs of
 * adjacent blocks copied as one verbatim slice of `CleanPage.text`, runs separated by a blank line
 * (`GROUP_SEPARATOR`); passages are cut per run, so every passage is a substring of the cleaned page.
 */

export interface BudgetPage {
  contentId: string;
  url: string;
  page: CleanPage;
}

export const estimateTokens = (text: string) => Math.ceil(text.length / 4);

/** Between two runs of blocks that are not adjacent on the page. Cleaned text has no empty lines. */
export const GROUP_SEPARATOR = '\n\n';

// A page cut to fewer tokens than this says too little to be worth the space.
const MIN_PAGE_TOKENS = 100;
// Diminishing returns: a page that was given this many characters is worth half as much again.
const STEP_CHARS = 1_500;
// A block longer than this is cut into sentence-bounded pieces; the first counts as the block.
const MAX_BLOCK_CHARS = 800;
const PIECE_CHARS = 500;
// A lead paragraph says something in full sentences.
const LEAD_MIN_CHARS = 40;
// List-like: a run of at least this many short lines (items, table cells, feature bullets).
const LIST_RUN = 3;
const LIST_ITEM_MAX_CHARS = 120;
// A line on at least this many pages is site chrome: kept once, and last.
const CHROME_PAGES = 3;
// What of the context a page carries along (description, headings, structured data, tags).
const MAX_CONTEXT_HEADINGS = 12;
// Per page and round, at most this many characters of its headings and lead (core), and of its other informative blocks.
const CORE_CHARS = (value: number) => 300 + 900 * value;
const INFORMATIVE_CHARS = (value: number) => 300 + 1_200 * value;
const LIST_CHARS = (value: number) => 200 + 600 * value;

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

/** The language most of the text is in. */
function dominantLanguage(pages: readonly CleanPage[]): string {
  const weight = new Map<string, number>();
  for (const p of pages) {
    if (p.language !== 'und') weight.set(p.language, (weight.get(p.language) ?? 0) + p.text.length);
  }
  return [...weight].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'und';
}

/** How informative a block is: the budget's rounds, most informative first. */
export type BlockTier = 'core' | 'informative' | 'list' | 'rest' | 'chrome';
const ROUNDS: readonly BlockTier[] = ['core', 'informative', 'list', 'rest', 'chrome'];

interface Block {
  /** Offsets in the page's cleaned text. */
  start: number;
  end: number;
  tier: BlockTier;
  /** Position in the page, for keeping page order. */
  order: number;
}

const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();
/** Two lines are the same text when they differ only in case and spacing. */
const lineKey = (s: string) => collapse(s).toLowerCase();

const PRICE =
  /(?:[$€£¥₹]\s?\d|\d(?:[.,]\d+)*\s?(?:€|\$|£|USD|EUR|GBP|CHF)(?!\p{L})|(?:\bper|\/)\s?(?:month|mo|year|yr|user|seat|monat|jahr|mois|mes)\b|\bfree trial\b|\bfree plan\b|\bkostenlos\b|\bgratis\b)/iu;
const TESTIMONIAL = /^\s*[“"„«‘‚]|[”"»’]\s*[—–-]\s*\p{L}|^\s*[—–]\s*\p{Lu}/u;

/** A line's tier on its page (before chrome is known). */
function classify(lines: readonly { text: string; heading: boolean }[]): BlockTier[] {
  const tiers: BlockTier[] = lines.map(() => 'rest');
  let leadTaken = false;
  let afterHeading = false;
  lines.forEach((line, i) => {
    if (line.heading) {
      tiers[i] = 'core';
      afterHeading = true;
      return;
    }
    const long = line.text.length >= LEAD_MIN_CHARS;
    if (long && !leadTaken) {
      tiers[i] = 'core'; // the page's lead paragraph
      leadTaken = true;
      afterHeading = false;
      return;
    }
    if (long && afterHeading) tiers[i] = 'informative'; // the lead of a section
    if (long) afterHeading = false;
    if (PRICE.test(line.text) || TESTIMONIAL.test(line.text)) tiers[i] = 'informative';
  });
  // Runs of short lines: list items, table cells, feature bullets.
  for (let i = 0; i < lines.length; ) {
    let j = i;
    while (j < lines.length && !lines[j]!.heading && lines[j]!.text.length <= LIST_ITEM_MAX_CHARS && /\p{L}/u.test(lines[j]!.text)) j++;
    if (j - i >= LIST_RUN) for (let k = i; k < j; k++) if (tiers[k] === 'rest') tiers[k] = 'list';
    i = Math.max(j, i + 1);
  }
  return tiers;
}

/** A line as budget blocks: itself, or sentence-bounded pieces of a long line (later pieces are 'rest'). */
function piecesOf(text: string, start: number, end: number, tier: BlockTier): { start: number; end: number; tier: BlockTier }[] {
  if (end - start <= MAX_BLOCK_CHARS) return [{ start, end, tier }];
  const out: { start: number; end: number; tier: BlockTier }[] = [];
  let from = start;
  while (from < end) {
    const rest = text.slice(from, end);
    const piece = cutAtBoundary(rest, PIECE_CHARS);
    const to = from + Math.max(piece.length, 1);
    out.push({ start: from, end: to, tier: out.length === 0 ? tier : 'rest' });
    from = to;
    while (from < end && /\s/.test(text[from]!)) from++;
  }
  return out;
}

interface Candidate {
  source: BudgetPage;
  kind: PageKind;
  value: number;
  index: number;
  blocks: Block[];
  given: number;
  taken: Set<Block>;
  tooBig: Set<Block>;
}

/** The page's corpus text: its taken blocks in page order, adjacent ones as one verbatim slice. */
function corpusText(text: string, blocks: readonly Block[]): { text: string; sentChars: number } {
  const runs: { start: number; end: number }[] = [];
  for (const b of [...blocks].sort((a, z) => a.order - z.order)) {
    const last = runs[runs.length - 1];
    if (last && /^\s*$/.test(text.slice(last.end, b.start))) last.end = b.end;
    else runs.push({ start: b.start, end: b.end });
  }
  const slices = runs.map((r) => text.slice(r.start, r.end).trim()).filter(Boolean);
  return { text: slices.join(GROUP_SEPARATOR), sentChars: slices.reduce((n, s) => n + s.length, 0) };
}

// What a page's structured data may add to the prompt, at most.
const MAX_FACTS = 8;
const MAX_FACT_CHARS = 300;

// Addresses say nothing about the customers; in the prompt a URL would read as a page header.
const noUrls = (s: string) => collapse(s.replace(/\b(?:https?:\/\/|www\.)\S+/gi, ''));
const clip = (s: string) => (s.length <= MAX_FACT_CHARS ? s : `${cutAtBoundary(s, MAX_FACT_CHARS - 1)}…`);

/**
 * What a page's JSON-LD says, as short lines: the cleaner's summary (`CleanPage.summary`:
 * organization, products with prices and ratings, FAQ, reviews), or the same made now for a page
 * cleaned before it had one; without addresses, at most MAX_FACTS lines.
 */
export function structuredFacts(page: Pick<CleanPage, 'jsonLd' | 'summary'>): string[] {
  const summary = page.summary ?? jsonLdSummary(Array.isArray(page.jsonLd) ? page.jsonLd : []);
  const facts: string[] = [];
  for (const line of summary.split('\n')) {
    const fact = clip(noUrls(line));
    if (/\p{L}/u.test(fact) && !facts.includes(fact)) facts.push(fact);
    if (facts.length >= MAX_FACTS) break;
  }
  return facts;
}

function contextOf(page: CleanPage): Pick<CorpusPage, 'description' | 'headings' | 'facts' | 'tags'> {
  const description = clip(noUrls(page.description ?? ''));
  const headings = (page.headings ?? []).map(collapse).filter(Boolean).slice(0, MAX_CONTEXT_HEADINGS);
  const facts = structuredFacts(page);
  const tags = (page.tags ?? []).map(collapse).filter(Boolean).slice(0, MAX_CONTEXT_HEADINGS);
  return {
    ...(description ? { description } : {}),
    ...(headings.length ? { headings } : {}),
    ...(facts.length ? { facts } : {}),
    ...(tags.length ? { tags } : {}),
  };
}

/**
 * Fits the cleaned pages into what the insight calls may read (see the module comment). Pages come
 * out most telling first (home, about, pricing, product, customers, FAQ, blog, the rest; legal,
 * careers, login and archive pages last), crawl order within a kind. When the budget cannot give
 * every page a useful share, the least telling pages are left out; pages left out, and why, are
 * listed in `unsent`.
 */
export function fitTokenBudget(pages: readonly BudgetPage[], budgetTokens: number): Corpus {
  const unsent: UnsentPage[] = [];
  const described = pages.map((p, index) => {
    const kind = pageKind(p.url, p.page.title);
    return { source: p, kind, value: pageKindValue(kind), index };
  });
  for (const d of described) {
    if (d.source.page.text.trim() === '') unsent.push({ url: d.source.url, kind: d.kind, chars: d.source.page.text.length, reason: 'empty' });
  }
  const ordered = described
    .filter((d) => d.source.page.text.trim() !== '')
    .sort((a, b) => pageKindRank(a.kind) - pageKindRank(b.kind) || a.index - b.index);
  const maxPages = Math.max(1, Math.floor(budgetTokens / MIN_PAGE_TOKENS));
  for (const d of ordered.slice(maxPages)) unsent.push({ url: d.source.url, kind: d.kind, chars: d.source.page.text.length, reason: 'budget' });
  const kept = ordered.slice(0, maxPages);

  // Lines and where each first appears (the most telling page that has it); how many pages have it.
  const pagesWith = new Map<string, number>();
  const lined = kept.map((d) => {
    const text = d.source.page.text;
    const lines: { text: string; start: number; end: number; key: string }[] = [];
    let offset = 0;
    for (const line of text.split('\n')) {
      const start = offset;
      offset += line.length + 1;
      const lead = line.length - line.trimStart().length;
      const trimmed = line.trim();
      if (!trimmed) continue;
      lines.push({ text: trimmed, start: start + lead, end: start + lead + trimmed.length, key: lineKey(trimmed) });
    }
    for (const key of new Set(lines.map((l) => l.key))) pagesWith.set(key, (pagesWith.get(key) ?? 0) + 1);
    return { ...d, lines };
  });
  const claimed = new Set<string>();
  const candidates: Candidate[] = lined.map((d) => {
    const headings = new Set((d.source.page.headings ?? []).map(lineKey));
    const own = d.lines.filter((l) => !claimed.has(l.key) && (claimed.add(l.key), true));
    const tiers = classify(own.map((l) => ({ text: l.text, heading: headings.has(l.key) })));
    let order = 0;
    const blocks = own.flatMap((l, i) => {
      const tier: BlockTier = (pagesWith.get(l.key) ?? 0) >= CHROME_PAGES ? 'chrome' : tiers[i]!;
      return piecesOf(d.source.page.text, l.start, l.end, tier).map((p) => ({ ...p, order: order++ }));
    });
    return { ...d, blocks, given: 0, taken: new Set<Block>(), tooBig: new Set<Block>() };
  });

  // Each block costs its characters and a line break; the slack keeps per-page token rounding within budget.
  let remaining = Math.max(0, Math.floor(budgetTokens) * 4 - 4 * candidates.length);
  for (const round of ROUNDS) {
    // Per round and page, at most this much: so that every page gets its share of the round first.
    const cap = (c: Candidate) => (round === 'core' ? CORE_CHARS(c.value) : round === 'informative' ? INFORMATIVE_CHARS(c.value) : round === 'list' ? LIST_CHARS(c.value) : Infinity);
    // This round's blocks, after what earlier rounds' caps held back (most informative first, page order within a tier).
    const r = ROUNDS.indexOf(round);
    const queues = candidates.map((c) => ({
      c,
      queue: c.blocks.filter((b) => !c.taken.has(b) && !c.tooBig.has(b) && (b.tier === round || (b.tier !== 'chrome' && ROUNDS.indexOf(b.tier) < r))).sort((a, z) => ROUNDS.indexOf(a.tier) - ROUNDS.indexOf(z.tier) || a.order - z.order),
      at: 0,
      spent: 0,
    }));
    for (;;) {
      let best: (typeof queues)[number] | undefined;
      let bestScore = -1;
      for (const q of queues) {
        // Drop what can no longer fit: the budget left, or the page's cap for this round (its first block always may).
        while (q.at < q.queue.length) {
          const next = q.queue[q.at]!;
          const cost = next.end - next.start + 2;
          if (cost > remaining) q.c.tooBig.add(next); // the budget only shrinks: never again
          else if (q.spent > 0 && q.spent + cost > cap(q.c)) q.at = q.queue.length; // this round's cap reached: the rest waits for the next round
          else break;
          q.at++;
        }
        if (q.at >= q.queue.length) continue;
        const score = q.c.value / (1 + q.c.given / STEP_CHARS);
        if (score > bestScore) {
          best = q;
          bestScore = score;
        }
      }
      if (!best) break;
      const block = best.queue[best.at++]!;
      const cost = block.end - block.start + 2;
      best.c.taken.add(block);
      best.c.given += cost;
      best.spent += cost;
      remaining -= cost;
    }
  }

  const corpusPages: CorpusPage[] = [];
  for (const c of candidates) {
    const { text, sentChars } = corpusText(c.source.page.text, [...c.taken]);
    if (text === '') {
      const allRepeated = c.blocks.length === 0;
      unsent.push({ url: c.source.url, kind: c.kind, chars: c.source.page.text.length, reason: allRepeated ? 'repeated' : 'budget' });
      continue;
    }
    corpusPages.push({
      contentId: c.source.contentId,
      url: c.source.url,
      title: c.source.page.title,
      text,
      kind: c.kind,
      chars: c.source.page.text.length,
      sentChars,
      ...contextOf(c.source.page),
    });
  }
  return {
    language: dominantLanguage(kept.map((p) => p.source.page)),
    tokenEstimate: corpusPages.reduce((sum, p) => sum + estimateTokens(p.text), 0),
    pages: corpusPages,
    ...(unsent.length > 0 ? { unsent } : {}),
  };
}
