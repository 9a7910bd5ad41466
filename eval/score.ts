/**
 * Scoring of page cleaners on the annotated evaluation set (eval/annotations.json); see
 * eval/README.md for the definitions. Used by bench/cleaning.ts and by the annotation check in
 * src/domain/clean-page.test.ts, so every candidate is scored by the same code.
 */
import { readFileSync } from 'node:fs';
import * as cheerio from 'cheerio';

export interface Annotation {
  file: string;
  url: string;
  kind: string;
  /** Main content: must be in what the cleaner delivers. */
  keep: string[];
  /** Boilerplate and hidden text: must not be. */
  drop: string[];
}

export const EVAL_DIR = new URL('./', import.meta.url);

export function loadAnnotations(): Annotation[] {
  const raw = JSON.parse(readFileSync(new URL('annotations.json', EVAL_DIR), 'utf8')) as { pages: Annotation[] };
  return raw.pages;
}

export function readPage(file: string): string {
  return readFileSync(new URL(`pages/${file}`, EVAL_DIR), 'utf8');
}

/** What matching compares: Unicode NFC, every run of whitespace (NBSP included) one space. */
export function normalize(text: string): string {
  return text.normalize('NFC').replace(/[\s\u00a0\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/g, ' ').trim();
}

/** All text of the raw HTML (script and style contents included), entities decoded, normalized. */
export function rawText(html: string): string {
  return normalize(cheerio.load(html).root().text());
}

export interface PageScore {
  file: string;
  keepFound: number;
  keepTotal: number;
  dropFound: number;
  dropTotal: number;
  missed: string[];
  leaked: string[];
}

export function scorePage(annotation: Annotation, output: string): PageScore {
  const text = normalize(output);
  const missed = annotation.keep.filter((s) => !text.includes(normalize(s)));
  const leaked = annotation.drop.filter((s) => text.includes(normalize(s)));
  return {
    file: annotation.file,
    keepFound: annotation.keep.length - missed.length,
    keepTotal: annotation.keep.length,
    dropFound: leaked.length,
    dropTotal: annotation.drop.length,
    missed,
    leaked,
  };
}

export interface SetScore {
  /** TP / (TP + FP): a kept must-keep snippet is a TP, a kept must-drop snippet a FP. */
  precision: number;
  /** TP / (TP + FN): a must-keep snippet missing from the output is a FN. */
  recall: number;
  f1: number;
  /** Mean of the per-page F1 (a page without must-drop snippets counts its recall as F1). */
  macroF1: number;
  tp: number;
  fp: number;
  fn: number;
  pages: number;
}

const f1Of = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));
const round = (x: number) => Math.round(x * 1000) / 1000;

/** Micro-averaged snippet-level precision, recall and F1 over the whole set. */
export function scoreSet(scores: readonly PageScore[]): SetScore {
  const tp = scores.reduce((s, p) => s + p.keepFound, 0);
  const fn = scores.reduce((s, p) => s + (p.keepTotal - p.keepFound), 0);
  const fp = scores.reduce((s, p) => s + p.dropFound, 0);
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const perPage = scores.map((p) => {
    const pr = p.keepFound + p.dropFound === 0 ? 0 : p.keepFound / (p.keepFound + p.dropFound);
    const rc = p.keepTotal === 0 ? 1 : p.keepFound / p.keepTotal;
    return f1Of(pr, rc);
  });
  const macroF1 = perPage.reduce((s, x) => s + x, 0) / Math.max(perPage.length, 1);
  return { precision: round(precision), recall: round(recall), f1: round(f1Of(precision, recall)), macroF1: round(macroF1), tp, fp, fn, pages: scores.length };
}
