import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { textFragment } from '../domain/render-report.js';

// The browser's copy (src/web/public/fragment.js) must link evidence exactly as the Markdown and
// HTML reports do. A plain-JS module: imported by path, so tsc does not need a declaration for it.
const browserModule = new URL('./public/fragment.js', import.meta.url).href;

describe('the web page links evidence like the report renderer', () => {
  it('gives the same text fragment for short, long and awkward quotes', async () => {
    const { textFragment: inBrowser } = (await import(browserModule)) as { textFragment: (quote: string) => string };
    const quotes = [
      'Invoicing for freelancers.',
      'The Agency plan adds team seats, time tracking and client portals for 49 euros per month.',
      '  Spaces,\n tabs\tand   new lines  collapse  ',
      'Dashes - and (parentheses) & ampersands, commas, #hashes and 100% signs',
      'Ünïcödé quotes “like these” – and an en dash',
      'one',
    ];
    for (const quote of quotes) expect(inBrowser(quote)).toBe(textFragment(quote));
  });
});

describe('the web page calls the API as the OpenAPI document describes it', () => {
  it('uses only operations the document has', async () => {
    const source = await readFile(new URL('./public/api.js', import.meta.url), 'utf8');
    const document = JSON.parse(await readFile(new URL('../api/client/openapi.json', import.meta.url), 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    const calls = [...source.matchAll(/client\.(GET|POST|DELETE)\('([^']+)'/g)].map(([, method, path]) => `${method} ${path}`);
    expect(calls.length).toBeGreaterThanOrEqual(7);
    const described = Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    for (const call of calls) expect(described, call).toContain(call);
    // The event stream is read with fetch (EventSource cannot send the API key).
    expect(described).toContain('GET /api/v2/analysis/{id}/events');
  });
});
