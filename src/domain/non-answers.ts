import { foldForMatching } from './passages.js';

/**
 * Fields that tell the reader nothing about the company: what models write when a site does not
 * say something, although the prompt asks them to leave such a field out. Pure; quality.ts checks
 * every text field with `nonAnswer`.
 *
 *   - a non-answer: the whole field says there is no answer ("Not specified", "Unknown", "Not
 *     mentioned in the text", "Keine Angabe", "Non précisé"). Whole field only: "Unknown costs"
 *     and "No time for bookkeeping" are things a customer says.
 *   - source talk: the field talks about the model's input or the model itself ("Based on the
 *     provided text, ...", "The text does not mention any pain points.", "As an AI language
 *     model ..."), a sentence about the prompt's material, not about the company or its customers.
 */

export type NonAnswerKind = 'non_answer' | 'source_talk';

/** Where a model says it looked: "in the text", "on the website", "dans le texte". */
const SOURCE =
  '(the |this |der |dem |den |le |la |les )?(text|website|site|page|passages?|sources?|content|information( provided)?|website text|webseite|webseiten|texte?|site web)';

const NON_ANSWERS = [
  'not (specified|mentioned|stated|provided|available|given|known|applicable|clear|found|disclosed|listed|defined|indicated|described)',
  'unknown|none|nothing|unclear|unspecified|undisclosed|n/?a',
  'no (data|info|information|details?|mention|answer)( (is |was )?(available|provided|given|found|specified|mentioned|stated))?',
  '(information|details?) (is |are )?not (available|provided|given|specified|known|mentioned|stated)',
  'nicht (angegeben|bekannt|erwähnt|genannt|verfügbar|spezifiziert)|keine (angaben?|informationen?|daten)( verfügbar)?|unbekannt',
  'non (spécifiée?s?|précisée?s?|mentionnée?s?|indiquée?s?|disponibles?|connue?s?)|inconnue?s?|aucune (information|donnée)s?( disponibles?)?',
].join('|');

const NON_ANSWER = new RegExp(`^(${NON_ANSWERS})( (in|on|from|by|im|auf|dans|sur) ${SOURCE})?$`, 'u');

/** Phrases about the model's input or itself; each passes where the site itself says it (a privacy page's "this information is not shared"). */
const SOURCE_TALK: readonly RegExp[] = [
  /\b(the|this|that) (provided|given|supplied|above|following|source|input) (text|passages?|content|information|context|excerpts?|data|documents?|material|website text)\b/u,
  // Not "the text provided by their agency": a customer's own copy.
  /\b(the )?(text|passages?|excerpts?|context) (provided|given|supplied|above)\b(?! by\b)/u,
  /\b(the|this) (text|passages?|excerpts?|sources?|context|input) (does not|doesn't|do not|don't|did not|says? nothing|mentions? no|gives? no|provides? no|contains? no|is silent|only mentions?)\b/u,
  /\bthere (is|are) no (information|mention|indication)\b/u,
  /\b(this|that|such) information (is not|isn't|was not|is unavailable|is missing)\b/u,
  /\b(not|n't|no) (\S+ ){0,3}(this|that|such) information\b/u,
  /\bas an ai\b|\b(ai|large) language model\b/u,
  /\b(my|this|the) answer (is|was) based on\b/u,
];

/** Lower case, typography folded, surrounding quotes, brackets and end punctuation dropped. */
function bare(text: string): string {
  return foldForMatching(text).replace(/^[\s"'([{]+|[\s"')\]}.!?;:,]+$/gu, '');
}

/**
 * Whether a field is a non-answer or source talk, or null. `siteSays(phrase)`: whether the site's
 * own text has the phrase (then it is the site's words, not the model's talk).
 */
export function nonAnswer(text: string, siteSays: (phrase: string) => boolean): NonAnswerKind | null {
  const field = bare(text);
  if (NON_ANSWER.test(field)) return 'non_answer';
  for (const pattern of SOURCE_TALK) {
    const match = pattern.exec(field);
    if (match && !siteSays(match[0])) return 'source_talk';
  }
  return null;
}
