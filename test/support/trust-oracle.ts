/**
 * An independent judge of a delivered report, for tests and the benchmark. It imports nothing of
 * the product's rules: it reads the report JSON the API serves, the cleaned pages as stored, and
 * the prompts the model endpoint actually received, and answers five questions.
 *
 *   1. Is every quote on the page it cites? (verbatim, whitespace aside)
 *   2. Does any text field hold prompt text: a sentence or line the product said to the model
 *      that the site does not say (instructions, page headers, labels, passage tags)?
 *   3. Does a persona repeat another's claims under another name?
 *   4. Does the offering list a product the site does not mention?
 *   5. Does any field show the social proof the misbehaving stand-in makes up (INVENTED_NAMES,
 *      which it exports for judges), anywhere in its text?
 */
import { INVENTED_NAMES } from '../../src/dev/misbehaving-ai.js';

export interface TrustVerdict {
  quotes: number;
  verifiedQuotes: number;
  /** Quotes not found on their page, with the URL they cite. */
  unverified: string[];
  /** Fields (path: text) that hold prompt text. */
  promptText: string[];
  claims: number;
  claimsWithEvidence: number;
  fields: number;
  /** The largest share of a persona's claims that repeat an earlier persona's (repeatedPersonaShare). */
  repeatedPersonaShare: number;
  /** Offering products the site does not mention (productsNotOnSite). */
  productsNotOnSite: string[];
  /** Claims a persona says again in a later list of its own (claimsSaidTwice). */
  claimsSaidTwice: number;
  /** Fields (path: text) showing the misbehaving stand-in's made-up social proof (inventedNamesShown). */
  inventedNames: string[];
}

const flat = (s: string) => s.replace(/\s+/g, ' ').trim();
const fold = (s: string) => flat(s).toLowerCase();
const words = (s: string) => fold(s).split(/[^\p{L}\p{N}']+/u).filter((w) => /\p{L}/u.test(w));

interface Evidence {
  passageId?: unknown;
  url?: unknown;
  quote?: unknown;
}

function* evidenceOf(value: unknown): Generator<Evidence> {
  if (!value || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const v of value) yield* evidenceOf(v);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (k === 'evidence' && Array.isArray(v)) yield* v as Evidence[];
    else yield* evidenceOf(v);
  }
}

/** The report's text fields a reader sees, by path ("offering.summary", "personas[0].goals[1]"). */
export function* textFields(report: any): Generator<[string, string]> {
  if (typeof report.summary === 'string') yield ['summary', report.summary];
  const o = report.offering;
  if (o) {
    yield ['offering.summary', o.summary];
    for (const [i, p] of (o.products ?? []).entries()) yield [`offering.products[${i}]`, p];
    for (const [i, p] of (o.valuePropositions ?? []).entries()) yield [`offering.valuePropositions[${i}]`, p];
  }
  for (const [n, p] of (report.personas ?? []).entries()) {
    for (const f of ['name', 'role', 'summary']) yield [`personas[${n}].${f}`, p[f]];
    for (const f of ['goals', 'painPoints', 'objections', 'buyingTriggers']) {
      for (const [i, c] of (p[f] ?? []).entries()) yield [`personas[${n}].${f}[${i}]`, typeof c === 'string' ? c : c.text];
    }
    for (const f of ['channels', 'messaging']) for (const [i, c] of (p[f] ?? []).entries()) yield [`personas[${n}].${f}[${i}]`, c];
  }
}

/**
 * A line that names labels as taken ("Names already taken: A; B"): what follows its colon are the
 * model's own earlier labels, to avoid, not text to write (a persona's name not on the site, kept
 * in the report and listed for the repair of another, was judged prompt text). Its label is prompt text.
 */
const TAKEN_LINE = /^([^:]{0,60}\b(?:taken|already used|already in use|avoid)\b[^:]*):\s*\S/i;

/** A line carrying JSON: an object or array, or a label followed by one JSON string ('...: "text"'). */
const JSON_LINE = /[{[]\s*"|:\s*"(?:[^"\\]|\\.)*"\s*$/;

/**
 * Sentences and lines of the prompts that the site does not say. Lines that carry JSON are the
 * model's own earlier answers (research notes, a rejected version, also a rejected summary, a
 * single JSON string), not prompt text: in a local run, a persona summary the model also wrote as the
 * report summary was judged prompt text because the summary's repair prompt quoted it. A line that
 * lists things (`a | b | c`) is cut at its separators like a sentence at its full stop: each item
 * may be the site's words (its headings) even where the run of them is not (seen in CI: a report
 * listing the site's headings in the order a prompt line listed them was judged prompt text). A
 * line of labels taken (TAKEN_LINE) gives its label only.
 */
export function promptSentences(prompts: readonly string[], siteText: string): string[] {
  const site = ` ${words(siteText).join(' ')} `;
  const out = new Set<string>();
  for (const prompt of prompts) {
    for (const rawLine of prompt.split('\n')) {
      const line = rawLine.replace(/^\s*\[[^\]\s]{1,16}\]\s*/, '').trim();
      if (!line || JSON_LINE.test(line)) continue;
      const taken = TAKEN_LINE.exec(line);
      if (taken) {
        const w = words(taken[1]!);
        if (w.length >= 3 && !site.includes(` ${w.join(' ')} `)) out.add(w.join(' '));
        continue;
      }
      for (const piece of [line, ...line.split(/(?<=[.!?:])\s+|\s+[|·•]\s+/)]) {
        const w = words(piece);
        if (w.length >= 3 && !site.includes(` ${w.join(' ')} `)) out.add(w.join(' '));
      }
    }
  }
  return [...out];
}

/**
 * @param pages cleaned body text by URL: quotes must be on these.
 * @param siteText everything the site says (body, titles, descriptions, headings): a field that
 *   repeats it is the site's words, not prompt text. Defaults to the bodies.
 */
export function judgeReport(report: any, pages: ReadonlyMap<string, string>, prompts: readonly string[], siteText = [...pages.values()].join('\n')): TrustVerdict {
  const normalizedPages = new Map([...pages].map(([url, text]) => [url, flat(text)]));
  const unverified: string[] = [];
  let quotes = 0;
  for (const e of evidenceOf(report)) {
    quotes++;
    const page = typeof e.url === 'string' ? normalizedPages.get(e.url) : undefined;
    const ok = typeof e.passageId === 'string' && e.passageId !== '' && typeof e.quote === 'string' && page !== undefined && page.includes(flat(e.quote));
    if (!ok) unverified.push(`${String(e.url)}: ${String(e.quote).slice(0, 80)}`);
  }

  const scaffold = promptSentences(prompts, siteText);
  const site = ` ${words(siteText).join(' ')} `;
  const tags = new Set(prompts.flatMap((p) => [...p.matchAll(/\[([^\]\s]{1,16})\]/g)].map((m) => m[0].toLowerCase())));
  const promptText: string[] = [];
  let fields = 0;
  for (const [path, text] of textFields(report)) {
    if (typeof text !== 'string') continue;
    fields++;
    const w = words(text).join(' ');
    const padded = ` ${w} `;
    const holds = scaffold.some((s) => padded.includes(` ${s} `));
    const isPiece = words(text).length >= 3 && !site.includes(padded) && scaffold.some((s) => ` ${s} `.includes(padded));
    const tagged = [...tags].some((t) => text.toLowerCase().includes(t));
    if (holds || isPiece || tagged) promptText.push(`${path}: ${text.slice(0, 100)}`);
  }

  const claims = (report.personas ?? []).flatMap((p: any) => ['goals', 'painPoints', 'objections', 'buyingTriggers'].flatMap((f) => p[f] ?? []));
  return {
    quotes,
    verifiedQuotes: quotes - unverified.length,
    unverified,
    promptText,
    claims: claims.length,
    claimsWithEvidence: claims.filter((c: any) => Array.isArray(c.evidence) && c.evidence.length > 0).length,
    fields,
    repeatedPersonaShare: repeatedPersonaShare(report),
    productsNotOnSite: productsNotOnSite(report, siteText),
    claimsSaidTwice: claimsSaidTwice(report),
    inventedNames: inventedNamesShown(report),
  };
}

/** Text fields (path: text) that show a sentence of the misbehaving stand-in's made-up social proof, wherever in the field. */
export function inventedNamesShown(report: any): string[] {
  return [...textFields(report)].filter(([, text]) => typeof text === 'string' && INVENTED_NAMES.some((n) => text.includes(n))).map(([path, text]) => `${path}: ${text.slice(0, 100)}`);
}

/** Every message text of the chat requests an endpoint received. */
export function promptsOf(requests: readonly { messages?: { content: unknown }[] }[]): string[] {
  return requests.flatMap((r) =>
    (r.messages ?? []).map((m) => (typeof m.content === 'string' ? m.content : Array.isArray(m.content) ? m.content.map((p: any) => p.text ?? '').join('\n') : '')),
  );
}

/**
 * How much a delivered persona repeats an earlier one: the largest share, over pairs, of a later
 * persona's claims that say what a claim of the same field of the earlier says (half or more of
 * the shorter claim's words of four letters or more, two at least). A report of renamed copies
 * scores near 1; personas of their own near 0.
 */
export function repeatedPersonaShare(report: any): number {
  const fields = ['goals', 'painPoints', 'objections', 'buyingTriggers'];
  const long = (text: string) => new Set(words(text).filter((w) => w.length >= 4));
  const same = (a: Set<string>, b: Set<string>) => {
    const shared = [...a].filter((w) => b.has(w)).length;
    return shared >= 2 && shared >= Math.min(a.size, b.size) / 2;
  };
  const personas = (report.personas ?? []).map((p: any) => fields.map((f) => (p[f] ?? []).map((c: any) => long(typeof c === 'string' ? c : c.text))));
  let worst = 0;
  personas.forEach((later: Set<string>[][], j: number) => {
    const claims = later.flat().length;
    for (const earlier of personas.slice(0, j) as Set<string>[][][]) {
      const repeated = later.reduce((n, field, f) => n + field.filter((c) => earlier[f]!.some((e) => same(c, e))).length, 0);
      if (claims > 0) worst = Math.max(worst, repeated / claims);
    }
  });
  return worst;
}

/**
 * Claims a persona says in a later list after an earlier one of its own (the same words, case and
 * spacing aside): a goal said again as an objection or a buying trigger.
 */
export function claimsSaidTwice(report: any): number {
  return laterRepeats(report).length;
}

/**
 * Claims a persona said in an earlier list of its own and says again beside other claims of a
 * later list ("name: field: text"): a repeat may stand only where it is all its list has.
 */
export function claimsRepeatedBesideOthers(report: any): string[] {
  return laterRepeats(report)
    .filter((r) => r.listLength > 1)
    .map((r) => `${r.persona}: ${r.field}: ${r.text}`);
}

/** Each claim a persona says again, by its words, in a later list of its own, with that list's length. */
function laterRepeats(report: any): { persona: string; field: string; text: string; listLength: number }[] {
  const repeats: { persona: string; field: string; text: string; listLength: number }[] = [];
  for (const p of report.personas ?? []) {
    const said = new Set<string>();
    for (const field of ['goals', 'painPoints', 'objections', 'buyingTriggers']) {
      const here = ((p[field] ?? []) as any[]).map((c) => words(typeof c === 'string' ? c : c.text).join(' '));
      for (const text of here) if (said.has(text)) repeats.push({ persona: p.name, field, text, listLength: here.length });
      for (const text of here) said.add(text);
    }
  }
  return repeats;
}

/** Offering products of which no word of four letters or more (any word, where it has none) is on the site: another company's, or made up. */
export function productsNotOnSite(report: any, siteText: string): string[] {
  const site = new Set(words(siteText));
  return ((report.offering?.products ?? []) as string[]).filter((p) => {
    // Its words of four letters or more; all its words where it has none ("Foo Yea", a phrase of the site).
    const long = words(p).filter((w) => w.length >= 4);
    return !(long.length > 0 ? long : words(p)).some((w) => site.has(w));
  });
}
