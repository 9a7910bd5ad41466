// sentencex ships no types; this is its documented API (README: `segment(languageCode, text)`).
declare module 'sentencex' {
  /** The text's sentences in order, each with the spaces after it: joined, they give the text back. */
  export function segment(languageCode: string, text: string): string[];
}
