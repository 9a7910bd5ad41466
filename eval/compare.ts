/**
 * The candidates compared on the evaluation set, and one run of the comparison: every candidate
 * reads the same pages in the same process and is scored by eval/score.ts. Used by `npm run bench`
 * (bench/cleaning.ts) and by `npx tsx eval/run.ts` (the same numbers, with every miss listed).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as cheerio from 'cheerio';
import { JSDOM, VirtualConsole } from 'jsdom';
import { Readability } from '@mozilla/readability';
import { DefuddleClass } from 'defuddle/node';
import { cleanPage } from '../src/domain/clean-page.js';
import { loadAnnotations, readPage, scorePage, scoreSet, type Annotation, type PageScore, type SetScore } from './score.js';

export interface Candidate {
  name: string;
  /** What the candidate gives the model to read: its title and its main text. */
  extract(html: string, url: string): string;
  /** Timed passes beyond the scored one, at most; slow candidates take fewer. */
  maxRounds?: number;
}

export const CANDIDATES: Candidate[] = [
  {
    name: 'cleaner',
    extract(html, url) {
      const page = cleanPage(html, url);
      return `${page.title}\n${page.text}`;
    },
  },
  {
    name: 'readability',
    maxRounds: 1,
    extract(html, url) {
      // jsdom reports CSS it cannot parse on the console; nothing of it matters here.
      const dom = new JSDOM(html, { url, virtualConsole: new VirtualConsole() });
      try {
        const article = new Readability(dom.window.document).parse();
        return article ? `${article.title ?? ''}\n${article.textContent ?? ''}` : '';
      } finally {
        dom.window.close();
      }
    },
  },
  {
    // About half a page per second on jsdom: timed on the scored pass only.
    name: 'defuddle',
    maxRounds: 0,
    extract(html, url) {
      const dom = new JSDOM(html, { url, virtualConsole: new VirtualConsole() });
      // defuddle reports invalid JSON-LD on the console, page after page.
      const { error, warn } = console;
      console.error = console.warn = () => {};
      try {
        const result = new DefuddleClass(dom.window.document, { url }).parse();
        return `${result.title ?? ''}\n${cheerio.load(result.content ?? '').text()}`;
      } finally {
        Object.assign(console, { error, warn });
        dom.window.close();
      }
    },
  },
  {
    // The speed baseline: every character of the page, scripts and styles included.
    name: 'bare',
    extract(html) {
      return cheerio.load(html).text();
    },
  },
];

/** A full garbage collection, so that each candidate's heap is measured from the same floor. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  return typeof gc === 'function' ? gc : () => {};
}

export interface CandidateResult {
  name: string;
  score: SetScore;
  pages: PageScore[];
  pagesPerSecond: number;
  /** Most heap in use above the collected baseline while this candidate read the set, MB. */
  peakHeapMb: number;
}

export interface Comparison {
  pages: number;
  results: CandidateResult[];
}

/**
 * Runs every candidate over the set: one pass whose output is scored, then up to `rounds` more,
 * the candidates taking turns within each round so that a busy machine slows all of them alike;
 * the fastest pass counts.
 */
export function compare(options: { rounds?: number; candidates?: readonly Candidate[] } = {}): Comparison {
  const rounds = options.rounds ?? 3;
  const candidates = options.candidates ?? CANDIDATES;
  const annotations: Annotation[] = loadAnnotations();
  const pages = annotations.map((a) => ({ a, html: readPage(a.file) }));
  const best = candidates.map(() => Infinity);
  const peak = candidates.map(() => 0);
  const gc = collector();
  const pass = (candidate: Candidate, i: number, out?: string[]) => {
    gc();
    const base = process.memoryUsage().heapUsed;
    const started = performance.now();
    for (const { a, html } of pages) {
      const text = candidate.extract(html, a.url);
      out?.push(text);
      peak[i] = Math.max(peak[i]!, process.memoryUsage().heapUsed - base);
    }
    best[i] = Math.min(best[i]!, performance.now() - started);
  };
  // The scored pass is timed too (the first pass of each candidate warms up its code alike).
  const outputs = candidates.map((candidate, i) => {
    const out: string[] = [];
    pass(candidate, i, out);
    return out;
  });
  for (let r = 0; r < rounds; r++) {
    candidates.forEach((candidate, i) => {
      if (r < (candidate.maxRounds ?? rounds)) pass(candidate, i);
    });
  }
  const results = candidates.map((candidate, i): CandidateResult => {
    const scores = pages.map(({ a }, j) => scorePage(a, outputs[i]![j]!));
    return {
      name: candidate.name,
      score: scoreSet(scores),
      pages: scores,
      pagesPerSecond: Math.round((10 * pages.length) / (best[i]! / 1000)) / 10,
      peakHeapMb: Math.round(peak[i]! / 1e6),
    };
  });
  return { pages: pages.length, results };
}
