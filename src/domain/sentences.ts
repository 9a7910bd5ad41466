import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { initSync, segment } from 'sentencex-wasm';

/**
 * Sentences as sentencex (Wikimedia's segmenter for about 240 languages) cuts a text: it knows each
 * language's abbreviations, so "Integrates with CRMs, e.g. Salesforce." and "Tools wie z. B.
 * HubSpot" stay one sentence where a cut at every full stop made "Salesforce" and "HubSpot" the
 * first words of sentences of their own. Where it errs, it mostly keeps two sentences together
 * ("Acme Inc. The team ..."). Pure and deterministic.
 */

/** A sentence's place in its text: `text.slice(start, end)`, its spaces after it included; the pieces in order give the text back. */
export interface SentencePiece {
  start: number;
  end: number;
}

let ready = false;

/** sentencex's WebAssembly build (the same on every platform), compiled once on first use: about 16 ms. */
function segmenter(): typeof segment {
  if (!ready) {
    initSync({ module: readFileSync(createRequire(import.meta.url).resolve('sentencex-wasm/sentencex_wasm_bg.wasm')) });
    ready = true;
  }
  return segment;
}

/** The pieces of `text` in `language` (ISO 639-1; a region or an unknown code falls back as sentencex's chains do). */
export function sentencePieces(text: string, language: string): SentencePiece[] {
  const code = language.split(/[-_]/u)[0]!.toLowerCase() || 'en';
  const pieces: SentencePiece[] = [];
  let at = 0;
  for (const sentence of segmenter()(code, text) as string[]) {
    // Each piece is a slice of the text; one that is not (a future version trimming them) is found where it stands.
    const start = text.startsWith(sentence, at) ? at : text.indexOf(sentence, at);
    if (start < 0) return [{ start: 0, end: text.length }];
    pieces.push({ start, end: start + sentence.length });
    at = start + sentence.length;
  }
  return pieces;
}

/** The sentences of `text`, each also cut at its line breaks, trimmed, empty ones left out. */
export function sentences(text: string, language: string): string[] {
  return sentencePieces(text, language)
    .flatMap(({ start, end }) => text.slice(start, end).split(/\n+/u))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
