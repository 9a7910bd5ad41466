/** Which language a text is in: franc's trigram statistics, checked against what the text declares. Pure. */

import { francAll } from 'franc-min';
import { data as francData } from 'franc-min/data.js';
import { expressions as francExpressions } from 'franc-min/expressions.js';
import { iso6393To1 } from 'iso-639-3';

/**
 * franc reports some languages by an individual code (Standard Arabic, Mandarin) where ISO 639-1
 * only names their macrolanguage; iso-639-3 has no membership data, so these are listed here.
 */
const MACROLANGUAGE_1: Record<string, string> = {
  arb: 'ar', cmn: 'zh', pes: 'fa', zlm: 'ms', swh: 'sw', uzn: 'uz', azj: 'az', npi: 'ne',
  pbu: 'ps', plt: 'mg', ckb: 'ku', qug: 'qu', fuv: 'ff', zyb: 'za',
};

/** An ISO 639-3 code from franc as ISO 639-1, when the language has one. */
function toIso6391(code: string): string | undefined {
  return iso6393To1[code] ?? MACROLANGUAGE_1[code];
}

/** The ISO 639-1 codes of the languages franc-min can recognise (by trigrams or by script). */
const DETECTABLE = new Set(
  [...Object.values(francData).flatMap((byScript) => Object.keys(byScript)), ...Object.keys(francExpressions)]
    .map(toIso6391)
    .filter((code) => code !== undefined),
);

// Below this much prose, trigram statistics are too noisy to overrule what the page declares.
const MIN_DETECTION_CHARS = 150;
/**
 * Text is judged in pieces of about this size. franc's scores are relative to the best and close
 * up as a text grows: on 1500 characters of a German page English scores 0.95, on 400 under 0.9,
 * so a long text made any declared European language look plausible.
 */
const CHUNK_CHARS = 400;
// Three pieces settle it; more only costs time (each is a comparison with every language).
const MAX_CHUNKS = 3;
// How close to a piece's best score the declared language must come to count as plausible there:
// languages franc tells apart poorly (Danish and Norwegian, Spanish and Galician) come this close.
const PLAUSIBLE_SCORE = 0.95;

/** The text in pieces of about CHUNK_CHARS, cut between words; a short last piece joins the one before. */
function chunks(sample: string): string[] {
  const pieces: string[] = [];
  let rest = sample.trim();
  while (rest.length > 0 && pieces.length < MAX_CHUNKS) {
    const cut = rest.length <= CHUNK_CHARS ? rest.length : rest.lastIndexOf(' ', CHUNK_CHARS) > MIN_DETECTION_CHARS ? rest.lastIndexOf(' ', CHUNK_CHARS) : CHUNK_CHARS;
    pieces.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (pieces.length > 1 && pieces.at(-1)!.length < MIN_DETECTION_CHARS) pieces[pieces.length - 2] += ` ${pieces.pop()}`;
  return pieces;
}

/**
 * The language of a text as ISO 639-1. The declared one (a page's `<html lang>`, the language a
 * report was asked in) wins when the text does not contradict it: when it is plausible in at
 * least half of the text's pieces (templates often keep lang="en" on translated pages, and models
 * answer in English whatever they are asked). Otherwise the language most pieces are in; 'und'
 * when neither says anything usable.
 */
export function detectLanguage(text: string, declared: string | undefined): string {
  // Menus and buttons are short lines; prose is what trigram statistics need.
  const prose = text
    .split('\n')
    .filter((l) => l.length >= 40)
    .join(' ');
  const sample = prose.length >= MIN_DETECTION_CHARS ? prose : text.replace(/\n/g, ' ');
  if (sample.trim().length < MIN_DETECTION_CHARS) return declared ?? 'und';
  const texts = chunks(sample);
  const pieces: ReturnType<typeof francAll>[] = [];
  if (declared) {
    if (!DETECTABLE.has(declared)) return declared;
    let plausible = 0;
    for (const [i, piece] of texts.entries()) {
      const scores = francAll(piece, { minLength: MIN_DETECTION_CHARS });
      pieces.push(scores);
      if ((scores.find(([code]) => toIso6391(code) === declared)?.[1] ?? 0) >= PLAUSIBLE_SCORE) plausible++;
      // Settled once half the pieces agree with it, or too few are left to make half.
      if (plausible * 2 >= texts.length) return declared;
      if ((plausible + texts.length - i - 1) * 2 < texts.length) break;
    }
  }
  for (const piece of texts.slice(pieces.length)) pieces.push(francAll(piece, { minLength: MIN_DETECTION_CHARS }));
  const votes = new Map<string, number>();
  for (const [best] of pieces) {
    const code = best && best[0] !== 'und' ? toIso6391(best[0]) : undefined;
    if (code) votes.set(code, (votes.get(code) ?? 0) + 1);
  }
  // The most votes; on a tie, the language of the first piece among them (Map order).
  const [winner] = [...votes].sort(([, a], [, b]) => b - a)[0] ?? [];
  return winner ?? declared ?? 'und';
}
