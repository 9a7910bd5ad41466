import { sentencePieces, sentences } from './sentences.js';

/**
 * Names a report gives that the site does not: the customers, partners, integrations, press and
 * competitors models add to sound convincing ("trusted by teams at Google and Shopify",
 * "integrates with Salesforce", "as featured in Forbes", "unlike QuickBooks"). In a field that
 * speaks for the company or makes a claim, such a name reads as a fact the site gave. Pure;
 * quality.ts checks those fields against every word of the site's text.
 *
 * A name is a capitalised word inside a sentence (or one written like "iPhone"): not the first
 * word of a sentence unless it has a capital inside ("QuickBooks"), not an abbreviation in
 * capitals ("CRM", "GDPR", "PDFs": trade vocabulary, not names), not a weekday or month.
 * Sentences are cut as sentences.ts does. German capitalises every noun, so where the words around
 * read as German only a word with a capital inside ("HubSpot", "QuickBooks") counts as a name:
 * there a first capital does not tell a name from a word. Words are compared folded
 * (case and accents), in the singular or the plural.
 */

/** A word, hyphen or apostrophe parts included ("Open-Source", "Google's"), not touching digits ("Web3"). */
const WORD = /(?<![\p{L}\p{M}\p{N}])[\p{L}\p{M}]+(?:[-'\u2019][\p{L}\p{M}]+)*(?![\p{L}\p{M}\p{N}])/gu;
/** The same for the site's words, where touching digits does not matter (a known word too many is harmless) and speed does. */
const ANY_WORD = /\p{L}+(?:[-']\p{L}+)*/gu;

/** What may stand between a sentence's end and its first word: spaces (a line break aside), opening quotes and brackets. */
const OPENING = /[^\S\n]|["'\u2018\u201C\u201E\u00AB([{*]/u;
/** What ends a sentence or starts a new one: a full stop, a colon, a line break, a list's bullet or dash, a title's bar, a symbol ("✓ Faster"). */
const SENTENCE_BREAK = /[.!?:;\n\u2026\u2022\u00B7\u2013\u2014|>]|\p{S}|\p{Extended_Pictographic}/u;

/** Capitalised in English and French, yet not names. */
const NOT_NAMES = new Set(
  [
    'monday tuesday wednesday thursday friday saturday sunday',
    'january february march april may june july august september october november december',
    'lundi mardi mercredi jeudi vendredi samedi dimanche',
    // Written with capitals inside ("SaaS", "DevOps", "GmbH"): trade vocabulary and legal forms, not names.
    'saas paas iaas devops fintech ecommerce ebook email gmbh ggmbh gbr kgaa',
  ]
    .join(' ')
    .split(' '),
);

/**
 * Function words that tell a field's language; words two of the languages share ("in", "am",
 * "des", "will") are in none.
 */
const FUNCTION_WORDS = {
  de: 'der die das den dem und ist sind nicht mit für auf bei von zu zur zum ein eine einen einer eines sich sie wir ihr ihre ihren ihrer sein seine auch oder im vom beim werden wird wurde haben hat kann können müssen wollen soll sollen als wie durch über unter nach vor gegen ohne um dass noch nur sehr mehr bereits ihnen uns unsere unser',
  en: 'the and is are of to for with on at a an their they it that this these those by as from or be been was were have has can could would should your our we you who which what when where how not than into its also but over under about after before between through during without within most many more some any each every other such only just very then there here',
  fr: 'le la les du de et est sont une un dans sur par pour avec qui que ce ces leur leurs vous nous il elle au aux',
};

/** Lower case, accents off ("Générale" is "generale"), one apostrophe; a whole text at once, not word by word. */
export const foldCaseAndAccents = (text: string): string => text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[\u2018\u2019\u02BC]/gu, "'");

/** Places of the German-speaking countries and their neighbours whose English and French names differ from their own, which Intl does not know. */
const EXONYMS =
  'munich vienna cologne nuremberg hanover brunswick bavaria bavarian saxony thuringia hesse westphalia rhineland swabia palatinate franconia pomerania tyrol styria carinthia salzburg zurich geneva lucerne basel bern berne grisons ticino milan turin venice florence rome naples prague warsaw brussels antwerp ghent hague lisbon copenhagen rhine danube alps alpine constance black forest belgian dutch flemish european baltic scandinavian nordic ' +
  'munich vienne cologne nuremberg hanovre baviere saxe thuringe hesse rhenanie souabe tyrol styrie carinthie zurich geneve lucerne bale berne milan turin venise florence naples prague varsovie bruxelles anvers gand haye lisbonne copenhague rhin danube alpes constance foret noire belge europeen europeenne';
let places: ReadonlySet<string> | undefined;

/**
 * Names a report in another language than its site's may use for the site's places, languages and
 * peoples ("Germany" and "Austrian" on a German site, "Munich" for "München"): every country's and
 * language's name as Intl knows them in the languages reports are asked in most, the names of a
 * language as spoken in a country ("Swiss French", "Austrian German"), and EXONYMS. Folded words,
 * built once on first use (about 0.1 s).
 */
export function placeAndLanguageWords(): ReadonlySet<string> {
  if (places) return places;
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const codes = [...letters].flatMap((a) => [...letters].map((b) => a + b));
  const knownRegion = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
  const knownLanguage = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });
  const regions = codes.map((c) => c.toUpperCase()).filter((c) => knownRegion.of(c) !== undefined);
  const languages = codes.filter((c) => knownLanguage.of(c) !== undefined);
  const names: string[] = [EXONYMS];
  for (const locale of ['en', 'de', 'fr', 'es', 'it', 'nl']) {
    const region = new Intl.DisplayNames([locale], { type: 'region' });
    const language = new Intl.DisplayNames([locale], { type: 'language' });
    for (const r of regions) names.push(region.of(r) ?? '');
    for (const l of languages) names.push(language.of(l) ?? '');
    for (const l of ['de', 'en', 'fr', 'es', 'pt', 'it', 'nl']) for (const r of regions) names.push(language.of(`${l}-${r}`) ?? '');
  }
  return (places = wordSet(names));
}

/** The function words folded like the words they are compared with ("für" is "fur"). */
const LANGUAGE_WORDS = {
  de: new Set(foldCaseAndAccents(FUNCTION_WORDS.de).split(' ')),
  en: new Set(foldCaseAndAccents(FUNCTION_WORDS.en).split(' ')),
  fr: new Set(foldCaseAndAccents(FUNCTION_WORDS.fr).split(' ')),
};

/** The function words of each language among some folded words. */
function functionWords(words: readonly string[]): Record<'de' | 'en' | 'fr', number> {
  const count = { de: 0, en: 0, fr: 0 };
  for (const w of words) for (const lang of ['de', 'en', 'fr'] as const) if (LANGUAGE_WORDS[lang].has(w)) count[lang]++;
  return count;
}

/** More German function words than English or French ones: the text is German. */
const germanCount = (c: Record<'de' | 'en' | 'fr', number>) => c.de > c.en && c.de > c.fr;

/** How many words on either side of a word tell the language it stands in. */
const CONTEXT_WORDS = 4;

/**
 * Whether the word at each position stands in German: by the function words around it, so an
 * English phrase a model adds to a German sentence ("... berücksichtigt auch die Trusted by teams
 * at Shopify") is read as English; where none are near, by those of its sentence (an English
 * sentence after a German one: "... richtig. Connects to the CRM sales teams already use, e.g.
 * Pipedrive." has none within four words of "Pipedrive"); where its sentence has none either, by
 * the field's, or the part's language. `sentenceOf`: each word's sentence.
 */
function germanContext(words: readonly string[], partLanguage: string | undefined, sentenceOf: readonly number[]): (position: number) => boolean {
  const whole = partLanguage === 'de' || germanCount(functionWords(words));
  const bySentence = new Map<number, Record<'de' | 'en' | 'fr', number>>();
  const ofSentence = (n: number) => bySentence.get(n) ?? bySentence.set(n, functionWords(words.filter((_, i) => sentenceOf[i] === n))).get(n)!;
  const any = (c: Record<'de' | 'en' | 'fr', number>) => c.de + c.en + c.fr > 0;
  return (position) => {
    const near = functionWords(words.slice(Math.max(0, position - CONTEXT_WORDS), position + CONTEXT_WORDS + 1));
    if (any(near)) return germanCount(near);
    const sentence = ofSentence(sentenceOf[position]!);
    return any(sentence) ? germanCount(sentence) : whole;
  };
}

/**
 * Every word of some texts, folded, hyphen and apostrophe parts also on their own: the site's words
 * a field's names are checked against, or the report's labels it may repeat.
 */
export function wordSet(texts: Iterable<string>): Set<string> {
  const known = new Set<string>();
  for (const text of texts) {
    for (const [word] of foldCaseAndAccents(text).matchAll(ANY_WORD)) {
      known.add(word);
      if (/[-']/u.test(word)) for (const part of word.split(/[-']/u)) known.add(part);
    }
  }
  return known;
}

/**
 * The words some texts write in small letters, folded: a report that writes "tax law" somewhere
 * uses "Tax" and "Law" as ordinary words where it capitalises them ("its Tax Criminal Law team"),
 * while a name is written with its capital everywhere.
 */
export function ordinaryWords(texts: Iterable<string>): Set<string> {
  const words = new Set<string>();
  for (const text of texts) for (const [word] of text.matchAll(WORD)) if (word === word.toLowerCase() && word !== word.toUpperCase()) words.add(foldCaseAndAccents(word));
  return words;
}

/** The singular and plural an English word may also be written in ("agency", "agencies"; "tool", "tools"). */
function numberForms(word: string): string[] {
  if (word.endsWith('ies')) return [`${word.slice(0, -3)}y`];
  if (word.endsWith('y')) return [`${word.slice(0, -1)}ies`, `${word}s`];
  return word.endsWith('s') ? [word.slice(0, -1), word.slice(0, -2)] : [`${word}s`, `${word}es`];
}

/** True when `word` (folded) is among `known`, as written or in its other number. */
function isKnown(word: string, known: ReadonlySet<string>): boolean {
  return known.has(word) || numberForms(word).some((form) => known.has(form));
}

/** Where the first word at or after `start` begins: past spaces and openings. */
function firstWordAt(text: string, start: number): number {
  let i = start;
  while (i < text.length && (/\s/u.test(text[i]!) || OPENING.test(text[i]!))) i++;
  return i;
}

/** Marks that end a sentence unless they end an abbreviation ("e.g.", "z. B."), which the segmenter tells. */
const SENTENCE_END = /[.!?\u2026]/u;

/**
 * Whether the word at `index` starts a sentence: nothing before it but an opening, or a sentence
 * break, or a dash set apart. After a full stop (or !, ?, ...) only where `sentenceStarts` has a
 * sentence begin: "e.g. Salesforce" names Salesforce inside its sentence.
 */
function startsSentence(text: string, index: number, sentenceStarts: ReadonlySet<number>): boolean {
  let i = index - 1;
  while (i >= 0 && OPENING.test(text[i]!)) i--;
  if (i < 0) return true;
  const c = text[i]!;
  if (SENTENCE_END.test(c)) return sentenceStarts.has(index);
  return SENTENCE_BREAK.test(c) || (c === '-' && (i === 0 || /\s/u.test(text[i - 1]!)));
}

/** A capital after a small letter: "HubSpot", "iPhone"; no German noun is written so. */
const CAPITAL_INSIDE = /\p{Ll}\p{Lu}/u;

/** Capitalised ("Shopify") or written like "iPhone", and not an abbreviation in capitals ("CRM", "PDFs"). */
function looksLikeName(part: string): boolean {
  if ([...part].length < 2) return false;
  if (part === part.toUpperCase() || /^\p{Lu}{2,}s$/u.test(part)) return false;
  return /^\p{Lu}/u.test(part) || /^\p{Ll}+\p{Lu}/u.test(part);
}

/**
 * The names in a field that the site does not mention (in order, once each). `allowed` holds
 * folded words the report may use freely (quality.ts: its personas' names and roles, its products
 * and channels, the requester's instructions). `partLanguage`: the language the field's part is
 * told to be written in from all its text; a short German line may carry none of the function
 * words that tell ("Open Source aus Überzeugung, seit 1995").
 */
export function unstatedNames(text: string, known: ReadonlySet<string>, allowed: ReadonlySet<string> = new Set(), partLanguage?: string): string[] {
  const words = [...text.matchAll(WORD)];
  const folded = words.map(([w]) => foldCaseAndAccents(w));
  const pieces = sentencePieces(text, partLanguage ?? (germanCount(functionWords(folded)) ? 'de' : 'en'));
  // Each word's sentence, and where each sentence's first word begins (past spaces and openings).
  let piece = 0;
  const sentenceOf = words.map(({ index }) => {
    while (piece < pieces.length - 1 && index >= pieces[piece]!.end) piece++;
    return piece;
  });
  const starts = new Set(pieces.map(({ start }) => firstWordAt(text, start)));
  const germanAt = germanContext(folded, partLanguage, sentenceOf);
  const names: string[] = [];
  for (const [position, match] of words.entries()) {
    const parts = match[0].split(/([-'\u2019])/u);
    let offset = match.index;
    parts.forEach((part, i) => {
      const at = offset;
      offset += part.length;
      if (i % 2 === 1 || !looksLikeName(part) || (germanAt(position) && !CAPITAL_INSIDE.test(part))) return;
      // A word's first part may start a sentence; one after a hyphen or apostrophe never does. A
      // capital inside ("QuickBooks exports are slow.") tells a name there too: no word is so written.
      if (i === 0 && !CAPITAL_INSIDE.test(part) && startsSentence(text, at, starts)) return;
      const folded = foldCaseAndAccents(part);
      if (NOT_NAMES.has(folded) || allowed.has(folded) || isKnown(folded, known)) return;
      if (!names.includes(part)) names.push(part);
    });
  }
  return names;
}

/**
 * Words that speak of a person: the pronouns a portrait refers to its customer by ("he", "sie",
 * "elle") and "who". Not "we", "you" and their kin: that is the company's voice ("We integrate
 * with ...", "Ihre Vorteile"), not a customer's.
 */
const PERSON_WORDS = new Set(
  [
    'i me my mine he him his himself she her hers herself they them their theirs themselves who whom whose',
    'ich mich mir mein meine meinen meinem meiner meines er ihn ihm sein seine seinen seinem seiner seines',
    'je moi mon ma mes il lui son sa ses elle ils elles eux',
  ]
    .join(' ')
    .split(' '),
);
/** German "sie", "ihr", "ihre", ...: "she" or "they" in small letters or first, the polite "you" ("Schreiben Sie Ihre ...") capitalised inside a sentence. */
const GERMAN_SHE = new Set(['sie', 'ihr', 'ihre', 'ihren', 'ihrem', 'ihrer', 'ihres', 'ihnen']);
const ALL_FUNCTION_WORDS = new Set(Object.values(FUNCTION_WORDS).flatMap((words) => words.split(' ')));

/**
 * The sentences of a persona's summary that speak of no one: neither a pronoun for a person nor
 * the persona's name ("Maria", written with its capital as a name is). A portrait imagines a
 * customer and may name their world ("Maria plans bridges for the City of Bern"); a sentence
 * about no one ("Trusted by teams at Shopify, Airbnb and Deloitte.") speaks for the company, and
 * quality.ts holds it to the names rule. Not the role's words: a role is written in small letters
 * and shares them with such sentences ("Small agencies" and "Chosen over Xero by most small
 * firms."), so a fragment without name or pronoun ("Lead engineer in Bern") is held to the rule.
 */
export function sentencesAboutNoOne(text: string, personaName: string, language: string): string[] {
  const name = new Set(
    [...personaName.matchAll(WORD)].map(([w]) => w).filter((w) => /^\p{Lu}/u.test(w) && [...w].length >= 3 && !ALL_FUNCTION_WORDS.has(foldCaseAndAccents(w))).map(foldCaseAndAccents),
  );
  return sentences(text, language).filter((sentence) => {
    const words = [...sentence.matchAll(WORD)].map(([w]) => w);
    return !words.some((word, i) => {
      const folded = foldCaseAndAccents(word);
      if (GERMAN_SHE.has(folded)) return i === 0 || word === word.toLowerCase();
      return PERSON_WORDS.has(folded) || (/^\p{Lu}/u.test(word) && isKnown(folded, name));
    });
  });
}
