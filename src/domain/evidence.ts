import { z } from 'zod';
import { PASSAGE_ID, locateQuotePieces, type EvidenceRef, type LocatablePassage } from './passages.js';
import { dedupeKey } from './site-links.js';
import { normalizeUrl } from './url.js';

/**
 * What a model may hand back as one piece of evidence. Asked for passage IDs (a JSON-schema enum
 * where the endpoint honours it), models still answer with quotes, quote objects, or IDs that do
 * not exist; every form is accepted here and resolved against storage by `resolveEvidence`.
 */
export const citedEvidenceSchema = z.union([
  z.string(),
  z
    .object({
      id: z.string().optional(),
      passageId: z.string().optional(),
      quote: z.string().optional(),
      text: z.string().optional(),
      sourceUrl: z.string().optional(),
      url: z.string().optional(),
    })
    .loose(),
]);
export type CitedEvidence = z.infer<typeof citedEvidenceSchema>;

/** Lenient: a single item instead of a list, or null, reads as a list. */
export const citedEvidenceListSchema = z.preprocess(
  (v) => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]),
  z.array(citedEvidenceSchema),
);

/**
 * The key a cited URL and a page URL are matched by: the crawl's own page identity, so the
 * variations a model tends to make (fragment, host case, www., tracking parameters, trailing
 * slash) still find the page. Something that is not a URL is its own key and matches nothing.
 */
export function citationKey(url: string): string {
  try {
    return dedupeKey(normalizeUrl(url));
  } catch {
    return url.trim();
  }
}

/** Why a citation was dropped: an ID that names no passage, a quote found on no page, a passage that does not speak to its claim (relevance.ts). */
export type DropReason = 'unknown_id' | 'not_found' | 'unrelated';

export interface DroppedCitation {
  reason: DropReason;
  /** What the model cited, shortened: an ID or the start of a quote. */
  cited: string;
}

export interface ResolvedEvidence {
  refs: EvidenceRef[];
  dropped: DroppedCitation[];
}

function short(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * Turns what the model cited into references to stored passages. An ID names its passage; a
 * quote is located in the corpus (folded for case, whitespace, quotes, dashes, ellipses) and
 * mapped to the passage it comes from, on whatever page that is. The text and URL of every
 * reference come from storage, never from the model. What cannot be resolved is dropped and
 * counted with its reason. Duplicates collapse.
 */
export function resolveEvidence(cited: readonly CitedEvidence[], passages: readonly LocatablePassage[]): ResolvedEvidence {
  const byId = new Map(passages.map((p) => [p.id.toLowerCase(), p]));
  const refs: EvidenceRef[] = [];
  const dropped: DroppedCitation[] = [];
  const add = (p: LocatablePassage) => {
    if (!refs.some((r) => r.passageId === p.id)) refs.push({ passageId: p.id, url: p.url, quote: p.text });
  };
  for (const item of cited) {
    const id = typeof item === 'string' ? idIn(item) : idIn(item.passageId ?? item.id ?? '');
    if (id !== undefined) {
      const passage = byId.get(id.toLowerCase());
      if (passage) add(passage);
      else dropped.push({ reason: 'unknown_id', cited: short(id) });
      continue;
    }
    const quote = typeof item === 'string' ? item : (item.quote ?? item.text ?? '');
    if (!quote.trim()) continue;
    const url = typeof item === 'string' ? undefined : (item.sourceUrl ?? item.url);
    const cited = url ? citationKey(url) : undefined;
    const { found } = locateQuotePieces(quote, passages, cited ? (u) => citationKey(u) === cited : undefined);
    if (found.length > 0) found.forEach(add);
    else dropped.push({ reason: 'not_found', cited: short(quote) });
  }
  return { refs, dropped };
}

/**
 * The passage ID a string names, if it is one: `p3.12`, `[p3.12]`, `P3.12`. Anything shaped like
 * an ID but unknown is still an ID (dropped as unknown), so `3.12`, `p3-12` and `passage 3.12`
 * count too; prose is not an ID.
 */
function idIn(text: string): string | undefined {
  const t = text.trim().replace(/^\[|\]$/g, '').trim();
  if (PASSAGE_ID.test(t.toLowerCase())) return t.toLowerCase();
  if (/^(p|passage\s*)?\d{1,3}[.\-_:]\d{1,4}$/i.test(t) || /^passage[-_ ]?\d+$/i.test(t)) return t;
  return undefined;
}
