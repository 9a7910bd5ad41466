/**
 * `npm run extract -- <url-or-file>...`: what the analyzer reads from each input, one JSON line
 * per input on stdout, through cleanPage, the same code content_processing runs. Files are read
 * from disk (many saved pages in one process); URLs are fetched with a plain fetch (a developer
 * tool: no crawler rules, no address checks). A file's URL is taken from a `<link rel=canonical>`
 * or `og:url` when the page has one, else it is file://<path>.
 *
 *   --full    also print jsonLd (the parsed blocks); by default only their summary
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { commandLine, usageExit } from '../src/dev/cli-args.js';
import { cleanPage } from '../src/domain/clean-page.js';

const USAGE = `usage: npm run extract -- [--full] <url-or-file>...
  One JSON line per input: what the analyzer reads from it (cleanPage).
  --full    also print jsonLd (the parsed blocks); by default only their summary`;
const { values, positionals } = commandLine(USAGE, { allowPositionals: true, options: { full: { type: 'boolean', default: false } } });
if (positionals.length === 0) usageExit(USAGE, 'Which pages? Give URLs or files.');

function pageUrl(html: string, path: string): string {
  const canonical = /<link[^>]+rel=["']?canonical["']?[^>]*href=["']([^"']+)["']/i.exec(html)?.[1] ?? /<meta[^>]+property=["']og:url["'][^>]*content=["']([^"']+)["']/i.exec(html)?.[1];
  try {
    if (canonical) return new URL(canonical).href;
  } catch {
    // not an absolute URL: fall back to the file's own
  }
  return pathToFileURL(resolve(path)).href;
}

let failed = 0;
for (const input of positionals) {
  const started = performance.now();
  try {
    let html: string;
    let url: string;
    if (/^https?:\/\//i.test(input)) {
      const response = await fetch(input, { redirect: 'follow', signal: AbortSignal.timeout(30_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      html = await response.text();
      url = response.url || input;
    } else {
      html = await readFile(input, 'utf8');
      url = pageUrl(html, input);
    }
    const page = cleanPage(html, url);
    const out = {
      input,
      url: page.url,
      language: page.language,
      title: page.title,
      description: page.description,
      headings: page.headings,
      text: page.text,
      ...(page.limited ? { limited: true, limitedReason: page.limitedReason } : {}),
      ...(page.summary ? { summary: page.summary } : {}),
      ...(page.openGraph ? { openGraph: page.openGraph } : {}),
      ...(values.full ? { jsonLd: page.jsonLd } : {}),
      cleanerVersion: page.cleanerVersion,
      chars: page.text.length,
      htmlBytes: Buffer.byteLength(html),
      ms: Math.round(performance.now() - started),
    };
    // U+2028 and U+2029 are valid in JSON but end a line for some readers: escaped, one line stays one line.
    console.log(JSON.stringify(out).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`));
  } catch (err) {
    failed++;
    console.log(JSON.stringify({ input, error: (err as Error).message }));
  }
}
process.exit(failed > 0 ? 1 : 0);
