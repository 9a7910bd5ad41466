// A copy of textFragment in src/domain/render-report.ts, which the browser cannot import (it
// loads marked). src/web/web-page.test.ts checks that both give the same link for many quotes.

/**
 * A text fragment (`#:~:text=start,end`) that scrolls a browser to the quoted passage on its page:
 * the reader jumps to the place the evidence came from.
 */
export function textFragment(quote) {
  const words = quote.replace(/\s+/g, ' ').trim().split(' ');
  const enc = (s) => encodeURIComponent(s).replace(/-/g, '%2D').replace(/[()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  if (words.length <= 8) return `#:~:text=${enc(words.join(' '))}`;
  return `#:~:text=${enc(words.slice(0, 4).join(' '))},${enc(words.slice(-4).join(' '))}`;
}
