import { CLAIM_FIELDS, type Persona } from './report.js';
import { sharedCount, topicWords } from './relevance.js';
import { foldForMatching } from './passages.js';

/**
 * Personas that repeat an earlier one under another name: mode collapse, where a model asked for
 * three audiences writes one three times and renames it ("Marketing Manager Mia", "Marketing Lead
 * Max"), its goals and pain points copied or reworded a word or two. A reader counts two personas
 * and gets one. Pure.
 *
 * Two claims of one field say the same when their text is the same, or when two of their topic
 * words and REPEATED_WORDS of the shorter one's are shared (a stem's forms count as one word).
 * Personas written by hand for saved pages (test/support/good-answers.ts) share at most 29% of the
 * shorter claim's topic words with a claim of the same field of another persona of their report
 * (51 such pairs; two words once, "großer Anbieter"); a claim copied with two of five topic words
 * swapped for synonyms keeps 60%.
 */

/** The share of the shorter claim's topic words two claims must share to say the same. */
export const REPEATED_WORDS = 0.6;
/** A persona repeats an earlier one when this share of its claims (and MIN_REPEATED at least) say what one of the earlier's claims of the same field says. */
export const REPEATED_SHARE = 2 / 3;
export const MIN_REPEATED = 3;

export interface PersonaRepeat {
  /** The later persona's index, the one to redo or withhold: the first keeps its place. */
  index: number;
  /** The earlier persona's index. */
  of: number;
  /** How many of its claims say what the earlier's do, of how many. */
  repeated: number;
  claims: number;
}

interface ClaimKey {
  folded: string;
  words: string[];
}

function sameClaim(a: ClaimKey, b: ClaimKey): boolean {
  if (a.folded === b.folded) return a.folded.length > 0;
  const [short, long] = a.words.length <= b.words.length ? [a, b] : [b, a];
  if (short.words.length === 0) return false;
  const shared = sharedCount(short.words, long.words);
  return shared >= 2 && shared / short.words.length >= REPEATED_WORDS;
}

export function repeatedPersonas(personas: readonly Persona[]): PersonaRepeat[] {
  const keys = personas.map((p) =>
    CLAIM_FIELDS.map((f) => p[f].map((c): ClaimKey => ({ folded: foldForMatching(c.text), words: [...new Set(topicWords(c.text))] }))),
  );
  const repeats: PersonaRepeat[] = [];
  keys.forEach((later, index) => {
    const claims = later.reduce((n, field) => n + field.length, 0);
    for (let of = 0; of < index; of++) {
      const earlier = keys[of]!;
      const repeated = later.reduce((n, field, f) => n + field.filter((c) => earlier[f]!.some((e) => sameClaim(c, e))).length, 0);
      if (repeated >= MIN_REPEATED && repeated >= REPEATED_SHARE * claims) {
        repeats.push({ index, of, repeated, claims });
        return;
      }
    }
  });
  return repeats;
}
