import { sentencePieces } from './sentences.js';
/**
 * Numbered passages: the unit of evidence. Each corpus page's text is cut into passages (a block,
 * or a few sentences of a long block), each a verbatim substring of the page's cleaned text, with
 * an ID that names its page and position (`p3.12`: page 3, passage 12). IDs are stable for an
 * analysis: the corpus is built once, deterministically, and every report version cites the same
 * passages. The model cites IDs; the product fills in the text and the page URL from storage, so a
 * quote is verbatim and its page right by construction.
 */

export interface Passage {
  id: string;
  text: string;
}

/** What a report shows for one piece of evidence: the stored passage's own text and its page. */
export interface EvidenceRef {
  passageId: string;
  url: string;
  quote: string;
}

/** A passage aims at about this many characters: a sentence or two, short enough to quote. */
const TARGET_CHARS = 280;
/** A block shorter than this joins the next one (headings, labels, short list items). */
const MIN_CHARS = 40;

/**
 * OpenAI accepts at most 500 enum values in one schema; the ID list is sent as an enum, once per
 * schema (a shared definition), so a prompt shows at most this many passages.
 */
export const MAX_PROMPT_PASSAGES = 400;

export const PASSAGE_ID = /^p(\d{1,3})\.(\d{1,4})$/;

export function passageId(pageNumber: number, index: number): string {
  return `p${pageNumber}.${index}`;
}

/**
 * Cuts a page's text into passages. Lines are blocks (the cleaner writes one block per line);
 * short blocks join the next, long ones are cut between sentences. Each passage is a contiguous,
 * trimmed slice of `text`, so `text.includes(passage.text)` holds for every one.
 */
export function splitPassages(text: string, pageNumber: number, language: string): Passage[] {
  const pieces: { start: number; end: number }[] = [];
  let offset = 0;
  for (const line of text.split('\n')) {
    const start = offset;
    offset += line.length + 1;
    if (!line.trim()) continue;
    if (line.length <= TARGET_CHARS) {
      pieces.push({ start, end: start + line.length });
      continue;
    }
    // A long block: sentences in the page's language, packed up to the target length. A cut at an
    // abbreviation would end a quote on "Rechtsanwalts bzw." and start the next mid-sentence.
    let from = 0;
    for (const piece of sentencePieces(line, language)) {
      const cursor = piece.start + line.slice(piece.start, piece.end).trimEnd().length;
      if (cursor - from >= TARGET_CHARS) {
        pieces.push({ start: start + from, end: start + cursor });
        from = cursor;
      }
    }
    if (from < line.length) pieces.push({ start: start + from, end: start + line.length });
  }

  // Join short pieces with what follows (a heading with its first paragraph), never past the target.
  const merged: { start: number; end: number }[] = [];
  for (const piece of pieces) {
    const last = merged[merged.length - 1];
    if (last && last.end - last.start < MIN_CHARS && piece.end - last.start <= TARGET_CHARS) last.end = piece.end;
    else merged.push({ ...piece });
  }
  return merged
    .map((p) => text.slice(p.start, p.end).trim())
    .filter((t) => /\p{L}/u.test(t))
    .map((t, i) => ({ id: passageId(pageNumber, i + 1), text: t }));
}

/**
 * How a prompt shows the line breaks inside a passage (a heading and its first paragraph): a
 * visible break, so "About Acme" and "We started Acme" do not read as one phrase.
 */
const PASSAGE_LINE_BREAK = ' / ';

/**
 * A passage on one line, as prompts and reports show it: a line break after a line that does not
 * end a sentence (a heading) as PASSAGE_LINE_BREAK, the others as a space.
 */
export function oneLinePassage(text: string): string {
  return text
    .trim()
    .replace(/([^.!?:;…"”'’)\s])[^\S\n]*\n\s*/gu, `$1${PASSAGE_LINE_BREAK}`)
    .replace(/\s+/g, ' ');
}

/**
 * Text as compared when a model returns a quote instead of an ID: case, whitespace, curly quotes,
 * dashes and ellipses are folded, so typographic drift does not hide a real quote.
 */
export function foldForMatching(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u201A\u201B\u2032\u0060\u00B4]/g, "'")
    .replace(/[\u201C\u201D\u201E\u201F\u2033\u00AB\u00BB]/g, '"')
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/\u2026/g, '...')
    .replace(/\s+/g, ' ')
    .replace(/^[\s"'.,;:-]+|[\s"'.,;:-]+$/g, '')
    .trim();
}

/** A quote must be at least this long, folded, to be looked for: shorter ones match anywhere. */
const MIN_QUOTE_CHARS = 20;

export interface LocatablePassage extends Passage {
  url: string;
}

/**
 * A passage's folded text, kept while the passage object lives: a check locates every quote of a
 * report in the same passages: each is folded once, not once per quote.
 */
const folded = new WeakMap<LocatablePassage, string>();
function fold(p: LocatablePassage): string {
  let text = folded.get(p);
  if (text === undefined) folded.set(p, (text = asShown(foldForMatching(p.text))));
  return text;
}

/** Folded text with the prompt's line-break mark read as a space, on both sides: a quote copied across it, or a passage that writes " / " itself, still match. */
const asShown = (folded: string) => folded.replaceAll(PASSAGE_LINE_BREAK, ' ');

/**
 * The passage a free-text quote comes from: the one whose text contains the quote, or that the
 * quote contains (a model quoting a whole passage plus its neighbour's start). Passages of the
 * cited page are tried first; a quote cited to the wrong page still finds its real one, and the
 * report then names the real page. A paraphrase or an invention is found nowhere: undefined.
 */
export function locateQuote(quote: string, passages: readonly LocatablePassage[], citedUrl?: (url: string) => boolean): LocatablePassage | undefined {
  const wanted = asShown(foldForMatching(quote.replace(/(\.\.\.|…)\s*$/, '')));
  if (wanted.length < MIN_QUOTE_CHARS) return undefined;
  const ordered = citedUrl ? [...passages.filter((p) => citedUrl(p.url)), ...passages.filter((p) => !citedUrl(p.url))] : passages;
  return ordered.find((p) => fold(p).includes(wanted)) ?? ordered.find((p) => fold(p).length >= MIN_QUOTE_CHARS && wanted.includes(fold(p)));
}

/**
 * A quote made of several pieces ("A ... B", or two sentences from different passages): each
 * piece located on its own. Pieces found nowhere are returned as `missing`.
 */
export function locateQuotePieces(
  quote: string,
  passages: readonly LocatablePassage[],
  citedUrl?: (url: string) => boolean,
): { found: LocatablePassage[]; missing: string[] } {
  const whole = locateQuote(quote, passages, citedUrl);
  if (whole) return { found: [whole], missing: [] };
  const pieces = quote
    .split(/\s*(?:\.\.\.|…|\[\.\.\.\])\s*|(?<=[.!?])\s+/u)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (pieces.length < 2) return { found: [], missing: [quote] };
  const found: LocatablePassage[] = [];
  const missing: string[] = [];
  for (const piece of pieces) {
    const passage = locateQuote(piece, passages, citedUrl);
    if (passage) {
      if (!found.includes(passage)) found.push(passage);
    } else if (foldForMatching(piece).length >= MIN_QUOTE_CHARS) {
      missing.push(piece);
    }
  }
  return found.length > 0 && missing.length === 0 ? { found, missing } : { found: [], missing: [quote] };
}
