import { foldCaseAndAccents } from './names.js';

/**
 * Whether a persona's citations speak to its claims. A model that cites without reading (the
 * first passage for every claim, or IDs at random: constrained decoding fills an ID enum whatever
 * the model understood) makes every claim look backed, and a reader who follows the link finds a
 * passage about something else. Pure.
 *
 * One claim is not judged alone: a good model's claim may rest on a passage in other words
 * ("worried about paying for capacity they don't use" on "based on API call quotas, use just you
 * need"; 4 of 37 such pairs written for four saved pages shared no word). Written for four saved
 * pages, passages drawn at random shared no word with a claim in 75% of pairs, the page's first
 * passage in 65%. So a persona's citations are judged careless only when most of its cited
 * claims share no word with their passages AND a good share of those had a passage of the site
 * that does speak to them (two of their topic words) and cited another: that is citing without
 * reading. A good model's persona can miss the words of its passages everywhere where it writes in
 * its own words ("Noch keine Bewertungen anderer Käufer" on "Schreiben Sie die erste
 * Kundenmeinung": one of fourteen personas written by hand for saved pages,
 * test/support/good-answers.ts, did so in 6 of 6 claims), and then no passage has its words
 * either. Once careless, each citation that does not clearly speak to its claim is dropped
 * (unrelatedCitations).
 */

/** Words that say nothing about a topic: function words of English, German and French, and what every claim says. */
const COMMON = new Set(
  [
    'the and for with are was were you your our their they them this that these those from have has had can will would could should not all any who what how when where more most into out also than then there here about over under such only very much many some each every other its his her him she one two get gets got make makes made want wants need needs like less able way ways being been does did just use',
    'der die das den dem des und ist sind war nicht mit fur auf bei von zur zum ein eine einen einer eines einem sich sie wir ihr ihre ihren ihrer sein seine auch oder vom beim werden wird wurde haben hat kann konnen mussen wollen soll sollen als wie durch uber unter nach vor gegen ohne dass noch nur sehr mehr bereits ihnen uns unsere unser diese dieser dieses jede jeder jedes alle allen man wer wenn dann denn aber',
    'les des une est sont dans sur par pour avec qui que ces leur leurs vous nous elle aux pas plus tout tous',
  ]
    .join(' ')
    .split(' '),
);

/** A persona's citations are judged once it has this many cited claims: fewer say nothing about its habits. */
export const MIN_CITED_CLAIMS = 4;
/** ... and at least this share of them share no word with any passage they cite, ... */
export const UNRELATED_SHARE = 0.5;
/** ... and at least this share of them cite so while another passage of the site has their words (answers written by hand for saved pages: at most 1 of 6). */
export const MISATTRIBUTED_SHARE = 0.25;

/** The words of a text that could carry its topic: three letters or more, not common, not said all over the site. */
export function topicWords(text: string, siteWide: ReadonlySet<string> = new Set()): string[] {
  return [...foldCaseAndAccents(text).matchAll(/[\p{L}\p{N}]+/gu)].map((m) => m[0]).filter((w) => w.length >= 3 && !COMMON.has(w) && !siteWide.has(w));
}

/** A word in this share of the site's passages (and in three at least) is the site's, not a topic: the company's name. */
const SITE_WIDE_SHARE = 0.25;

/** The site's passages as citations are judged against them; computed once per analysis (each reads every passage). */
export interface SiteTopics {
  /** Words said all over the site: in SITE_WIDE_SHARE of its passages and three at least ("acme" on Acme's site). */
  siteWide: ReadonlySet<string>;
  /** Each passage's topic words by its text, once each, site-wide words left out. */
  passages: ReadonlyMap<string, readonly string[]>;
}

export function siteTopics(passages: readonly string[]): SiteTopics {
  const words = passages.map((p) => [...new Set(topicWords(p))]);
  const count = new Map<string, number>();
  for (const ws of words) for (const w of ws) count.set(w, (count.get(w) ?? 0) + 1);
  const min = Math.max(3, SITE_WIDE_SHARE * passages.length);
  const siteWide = new Set([...count].filter(([, n]) => n >= min).map(([w]) => w));
  return { siteWide, passages: new Map(passages.map((p, i) => [p, words[i]!.filter((w) => !siteWide.has(w))])) };
}

/**
 * Two words of one stem, roughly: equal, one plus "s", the same first `stem` letters
 * ("invoices", "invoicing"), or one of `stem` letters or more inside the other (German compounds:
 * "Daten" in "Nutzerdaten").
 */
function sameWord(a: string, b: string, stem = 5): boolean {
  if (a === b || a + 's' === b || b + 's' === a) return true;
  if (a.length < stem || b.length < stem) return false;
  return a.slice(0, stem) === b.slice(0, stem) || a.includes(b) || b.includes(a);
}

/** How many of a claim's topic words a passage's (or another claim's) topic words have. */
export function sharedCount(claimWords: readonly string[], passageWords: readonly string[]): number {
  return claimWords.filter((c) => passageWords.some((w) => sameWord(c, w))).length;
}

/** How many of a claim's topic words a passage has. */
export function sharedWords(claimWords: readonly string[], passage: string, siteWide?: ReadonlySet<string>): number {
  return sharedCount(claimWords, topicWords(passage, siteWide));
}

/** Whether a claim and a passage share a topic word. */
export function sharesWord(claimWords: readonly string[], passage: string, siteWide?: ReadonlySet<string>): boolean {
  return sharedWords(claimWords, passage, siteWide) > 0;
}

export interface CitedClaim {
  text: string;
  /** The passages' texts, in citation order. */
  cited: readonly string[];
}

/**
 * For each claim, the indexes of its citations to drop (words said all over the site do not
 * count as shared): empty everywhere unless the persona's citations are careless, that is at
 * least MIN_CITED_CLAIMS claims cite something, UNRELATED_SHARE of them share no word with any
 * passage they cite, and MISATTRIBUTED_SHARE of them do so while a passage of the site has the
 * words a kept citation needs. Then one is kept only where its passage has two of the claim's
 * topic words (all of them, for a claim of one): one word in common is what a passage drawn at
 * random often has ("course" on a site selling courses).
 */
export function unrelatedCitations(claims: readonly CitedClaim[], site: SiteTopics): number[][] {
  const judged = claims.map((c) => {
    const words = topicWords(c.text, site.siteWide);
    const shared = c.cited.map((passage) => sharedCount(words, passageWords(passage, site)));
    return { words, need: wordsNeeded(words), shared };
  });
  const cited = judged.filter((j) => j.shared.length > 0);
  const unrelated = cited.filter((j) => j.shared.every((n) => n === 0));
  if (cited.length < MIN_CITED_CLAIMS || unrelated.length / cited.length < UNRELATED_SHARE) return claims.map(() => []);
  const spokenToElsewhere = (j: (typeof judged)[number]) => j.words.length > 0 && [...site.passages.values()].some((p) => sharedCount(j.words, p) >= j.need);
  if (unrelated.filter(spokenToElsewhere).length / cited.length < MISATTRIBUTED_SHARE) return claims.map(() => []);
  return judged.map((j) => j.shared.flatMap((n, i) => (n >= j.need ? [] : [i])));
}

/** A cited passage is one of the site's, whose words are told already. */
const passageWords = (passage: string, site: SiteTopics) => site.passages.get(passage) ?? topicWords(passage, site.siteWide);

/** How many of a claim's topic words a passage must have to speak to it: two, or all of a claim of one. */
const wordsNeeded = (claimWords: readonly string[]) => Math.max(1, Math.min(2, claimWords.length));

/**
 * Whether a passage speaks to one of `texts` as a kept citation speaks to its claim: for the
 * evidence a persona cites as a whole, once its citations are judged careless.
 */
export function speaksToOne(passage: string, texts: readonly string[], site: SiteTopics): boolean {
  const words = passageWords(passage, site);
  return texts.some((t) => {
    const claimWords = topicWords(t, site.siteWide);
    return claimWords.length > 0 && sharedCount(claimWords, words) >= wordsNeeded(claimWords);
  });
}

/**
 * A product the site does not offer: fewer than half of its topic words are the site's (a stem's
 * forms count as one word). None of the 23 products written by hand for saved pages in their
 * site's language (test/support/good-answers.ts) is taken for one; of the same products put on
 * the other sites of their language, 74 of 85 are (src/domain/quality.good-answers.test.ts). Only
 * for a label in the site's language: a translation has other words.
 */
export const PRODUCT_WORDS_ON_SITE = 0.5;

export function offSiteProduct(label: string, siteWords: readonly string[]): boolean {
  const words = [...new Set(topicWords(label))];
  // A stem of six letters, not five: a product name is a few words, each of which counts for much,
  // and five letters join unrelated words ("marketing" and the German "Marke", "collaboration" and
  // "labor": a stock "Marketing Automation" passed on a German site).
  const onSite = words.filter((w) => siteWords.some((s) => sameWord(w, s, 6))).length;
  return words.length > 0 && onSite / words.length < PRODUCT_WORDS_ON_SITE;
}
