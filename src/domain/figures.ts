/**
 * Figures a report states that the site does not: what models add to sound convincing ("saves
 * teams 12 hours a week", "trusted by over 10,000 businesses", "from $49 a month"). In a field
 * about the company or its customers' claims such a number reads as a fact the site gave. Pure;
 * quality.ts checks those fields against every number of the site's text, and a persona's
 * portrait (name, role, summary) for statistics only: it may give an age, not a company's figures.
 *
 * Numbers are compared in one notation: "10,000", "10.000" and "10 000" are one figure (a
 * separator before three digits groups thousands), "4.9" and "4,9" are one figure, a price
 * "19.00" is "19", "50%" and "$49" are 50 and 49. Number words the site writes out ("three
 * plans", "zwei Nutzer") count as their digits, so a report that writes "3 plans" is not held to
 * have invented it.
 */

/**
 * A number as written: thousands groups after any locale's separator ("10,000", "10.000",
 * "10 000"), then a decimal part ("4.9", "19,99"). Not digits inside a name ("B2B", "MP3", "Web3").
 */
const NUMBER = /(?<![\p{L}\d])([$€£¥]\s?)?(\d+(?:[.,'\u00A0\u202F ]\d{3}(?!\d))*)(?:[.,](\d+))?(\s?%)?/gu;

/** One to twelve, twenty and a hundred in the languages the product is used in most. */
const NUMBER_WORDS: Readonly<Record<string, string>> = Object.fromEntries([
  ...[
    ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'],
    ['eins', 'zwei', 'drei', 'vier', 'fünf', 'sechs', 'sieben', 'acht', 'neun', 'zehn', 'elf', 'zwölf'],
    ['un', 'deux', 'trois', 'quatre', 'cinq', 'six', 'sept', 'huit', 'neuf', 'dix', 'onze', 'douze'],
  ].flatMap((words) => words.map((w, i) => [w, String(i + 1)])),
  ...Object.entries({ twenty: '20', hundred: '100', zwanzig: '20', hundert: '100', vingt: '20', cent: '100', ein: '1', eine: '1', une: '1' }),
]);

/** Any of the number words, as a whole word. */
const NUMBER_WORD = new RegExp(`(?<!\\p{L})(${Object.keys(NUMBER_WORDS).join('|')})(?!\\p{L})`, 'giu');

/** A written number in one notation: thousands separators out, a point for the decimal mark, zero decimals ("19.00") dropped. */
function canonical(whole: string, decimals: string | undefined): string {
  const digits = whole.replace(/\D/gu, '').replace(/^0+(?=\d)/u, '');
  return decimals && /[1-9]/u.test(decimals) ? `${digits}.${decimals}` : digits;
}

interface Figure {
  /** In one notation ("10000", "4.9"). */
  value: string;
  /**
   * Reads as a statistic rather than a count a person would give of themselves ("44", "3
   * people", "since 2015"): an amount of money, a percentage, a decimal, or a thousand and more.
   */
  statistic: boolean;
}

function figuresOf(text: string): Figure[] {
  return [...text.matchAll(NUMBER)].map(([, currency, whole, decimals, percent]) => {
    const value = canonical(whole!, decimals);
    const n = Number(value);
    const year = /^\d{4}$/u.test(whole!) && n >= 1900 && n < 2100;
    return { value, statistic: Boolean(currency || percent) || value.includes('.') || (n >= 1000 && !year) };
  });
}

/** The figures a text gives, each in one notation. */
export function figuresIn(text: string): string[] {
  return figuresOf(text).map((f) => f.value);
}

/** Every figure of the site's texts, number words included: what a field's figures are checked against. */
export function siteFigures(texts: Iterable<string>): Set<string> {
  const known = new Set<string>();
  for (const text of texts) {
    for (const figure of figuresIn(text)) known.add(figure);
    for (const [word] of text.matchAll(NUMBER_WORD)) known.add(NUMBER_WORDS[word.toLowerCase()]!);
  }
  return known;
}

/**
 * The figures of a field the site does not give (in order, once each); with `statisticsOnly`, only
 * those that read as statistics (a persona's portrait may give an age, not a company's figures).
 */
export function unstatedFigures(text: string, known: ReadonlySet<string>, opts: { statisticsOnly?: boolean } = {}): string[] {
  const figures = figuresOf(text).filter((f) => !known.has(f.value) && (f.statistic || !opts.statisticsOnly));
  return [...new Set(figures.map((f) => f.value))];
}
