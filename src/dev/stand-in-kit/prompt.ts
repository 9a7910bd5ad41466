/**
 * STAND-IN KIT (not an AI model): reads a chat request's messages the way any model would, without
 * knowing who wrote them. Node built-ins only; imports no product code and follows no rule written
 * for the product's checker.
 *
 * What it finds, generically:
 *   - passages: any line `[<id>] <text>` in a user message is a passage with that ID; its page is
 *     the URL on the nearest line above it (in the same message) that names one;
 *   - sentences and short capitalised phrases of those passages, each with its passage ID, always
 *     verbatim substrings of the passage text;
 *   - every other line (system rules, tasks, headers, notes): what misbehaving stand-ins copy;
 *   - labels the prompt names as taken ("Names already taken: A; B"), which a careful model avoids;
 *   - a JSON object written after a line such as "... JSON schema:" (json_object and text modes).
 */

export interface ChatMessage {
  role: string;
  content: unknown;
}

export interface Passage {
  id: string;
  text: string;
  /** The URL of the page the passage sits under, or null when no line above it names one. */
  url: string | null;
  /** The whole prompt line, tag included. */
  line: string;
}

/** A verbatim piece of a passage, with the passage it came from. */
export interface Piece {
  text: string;
  passageId: string;
}

export interface PromptLine {
  role: string;
  /** Index of the message it belongs to. */
  message: number;
  /** The line, trimmed. */
  text: string;
  passage: Passage | null;
  /** Between the page header above the first passage and the last passage of its message (page headers and titles are). */
  inPassageBlock: boolean;
}

export interface Prompt {
  messages: { role: string; text: string }[];
  /** Every non-empty line of every message, in order. */
  lines: PromptLine[];
  passages: Passage[];
  byId: ReadonlyMap<string, Passage>;
  /** Sentence candidates for prose fields, best first: whole sentences, then shorter pieces, then whole passages. */
  sentences: Piece[][];
  /** Label candidates, best first: capitalised phrases, short passages, single proper words, leading words of sentences, any word pair. */
  labels: Piece[][];
  /** URLs of the pages passages sit under, in order of appearance. */
  pageUrls: string[];
  /** Every URL anywhere in the prompt. */
  urls: string[];
  /** Labels the prompt says are taken, lower-cased. */
  avoid: string[];
  /** A JSON object written after "JSON schema:" in a message, if any. */
  schemaInText: Record<string, unknown> | null;
}

const PASSAGE_LINE = /^\s*\[([^\]\s]{1,40})\]\s+(\S.*)$/;
const URL_PATTERN = /https?:\/\/[^\s"'<>()[\]{}`]+/g;
const STOP = new Set(
  (
    'the a an our your we you it its this that these those they their there here with for and or but if when what how why who ' +
    'all any each every more most new get use see learn read find try start no not yes in on at to of by from as is are be ' +
    'de der die das den dem und oder wir sie ihr ihre unsere mit für le la les el los las et y un une des du il ils nous vous ' +
    'page title home menu contact login'
  ).split(' '),
);

export function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) => {
        const p = part as { type?: string; text?: unknown };
        return p && p.type === 'text' && typeof p.text === 'string' ? p.text : '';
      })
      .join('\n');
  }
  return '';
}

export function urlsIn(text: string): string[] {
  return (text.match(URL_PATTERN) ?? []).map((u) => u.replace(/[.,;:!?]+$/, ''));
}

export function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** Sentences of a text, each a verbatim substring of it. */
export function sentencesOf(text: string): string[] {
  return text
    .split(/(?<=[.!?…])\s+(?=[\p{Lu}\p{N}"“„'‘(¿¡])/u)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The first JSON object that follows `marker` in `text` (whitespace or a ``` fence may come
 * between), parsed; null if there is none or it does not parse.
 */
export function jsonObjectAfter(text: string, marker: RegExp): Record<string, unknown> | null {
  const flags = marker.flags.includes('g') ? marker.flags : `${marker.flags}g`;
  const re = new RegExp(marker.source, flags);
  let found: Record<string, unknown> | null = null;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const rest = text.slice(m.index + m[0].length);
    const lead = /^[\s:]*(?:```(?:json)?\s*)?/.exec(rest)?.[0] ?? '';
    if (rest[lead.length] !== '{') continue;
    const body = balancedObject(rest, lead.length);
    if (!body) continue;
    try {
      const parsed: unknown = JSON.parse(body);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) found = parsed as Record<string, unknown>;
    } catch {
      // not JSON after all: keep looking
    }
  }
  return found;
}

/** The `{...}` starting at `start`, braces balanced outside strings; null if it never closes. */
function balancedObject(text: string, start: number): string | null {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(start, i + 1);
  }
  return null;
}

/** Capitalised word runs of a passage ("Acme Invoicing", "Solo"), verbatim, without leading articles. */
function capitalisedPhrases(text: string): { multi: string[]; single: string[] } {
  const multi: string[] = [];
  const single: string[] = [];
  const run = /\p{Lu}[\p{L}\p{N}’'&.+-]*(?: (?:(?:of|for|and|&|de|du|der|des|und) )?\p{Lu}[\p{L}\p{N}’'&.+-]*){0,3}/gu;
  for (let m = run.exec(text); m; m = run.exec(text)) {
    // A phrase ends with its sentence ("JavaScript. We" is two); a dot inside a word ("Node.js") is kept.
    let phrase = m[0].split(/(?<=[.!?]) /)[0]!.replace(/[.'’+-]+$/, '');
    let index = m.index;
    for (;;) {
      const first = /^(\S+) /.exec(phrase);
      if (!first || !STOP.has(first[1]!.toLowerCase())) break;
      phrase = phrase.slice(first[0].length);
      index += first[0].length;
    }
    phrase = phrase.replace(/(?: (?:of|for|and|&|de|du|der|des|und))+$/, '').replace(/[.'’+-]+$/, '');
    if (phrase.length < 3 || phrase.length > 48) continue;
    if (!phrase.includes(' ')) {
      if (STOP.has(phrase.toLowerCase())) continue;
      const sentenceStart = /(^|[.!?:…]["”’)]?\s+|["“„(]\s*)$/.test(text.slice(0, index));
      const properLooking = /[\p{Lu}\p{N}]/u.test(phrase.slice(1));
      if (sentenceStart && !properLooking) continue;
      single.push(phrase);
    } else multi.push(phrase);
  }
  return { multi, single };
}

/** Two words near the start of a sentence, past leading articles ("Solo plan", "Small agencies"), when they read as a label. */
function leadingWords(sentence: string): string[] {
  // Split on single spaces so that joining two neighbours gives back verbatim text.
  const words = sentence.split(' ');
  for (let skip = 0; skip <= 3 && skip + 1 < words.length; skip++) {
    const pair = [words[skip]!, words[skip + 1]!];
    if (pair.every((w) => /^[\p{L}\p{N}’'&-]+$/u.test(w) && !STOP.has(w.toLowerCase()))) return [pair.join(' ')];
    if (!STOP.has(words[skip]!.toLowerCase())) return [];
  }
  return [];
}

/** Every pair of neighbouring words without articles or punctuation ("billable hours"): the last resort for labels. */
function wordPairs(text: string): string[] {
  const words = text.split(' ');
  const ok = (w: string) => /^[\p{L}\p{N}’'&-]+$/u.test(w) && !STOP.has(w.toLowerCase()) && w.length > 1;
  const out: string[] = [];
  for (let i = 0; i + 1 < words.length; i++) if (ok(words[i]!) && ok(words[i + 1]!)) out.push(`${words[i]} ${words[i + 1]}`);
  return out;
}

function dedupe(pieces: Piece[], seen: Set<string>): Piece[] {
  const out: Piece[] = [];
  for (const p of pieces) {
    const key = p.text.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

function takenLabels(line: string): string[] {
  if (line.includes('{') || !/\b(taken|already used|already in use|do not (re)?use|don'?t (re)?use|avoid)\b/i.test(line)) return [];
  const colon = line.indexOf(':');
  const after = colon >= 0 ? line.slice(colon + 1) : '';
  const listed = after.split(after.includes(';') ? ';' : ',').map((s) => s.trim());
  const quoted = [...line.matchAll(/["“]([^"”]{1,60})["”]/g)].map((m) => m[1]!.trim());
  return [...listed, ...quoted].filter((s) => s.length > 0 && s.length <= 80).map((s) => s.toLowerCase());
}

export function readPrompt(rawMessages: unknown): Prompt {
  const messages = (Array.isArray(rawMessages) ? rawMessages : [])
    .filter((m): m is ChatMessage => !!m && typeof m === 'object')
    .map((m) => ({ role: String(m.role ?? 'user'), text: messageText(m.content) }));
  const lines: PromptLine[] = [];
  const passages: Passage[] = [];
  messages.forEach((message, index) => {
    let currentUrl: string | null = null;
    const own: PromptLine[] = [];
    for (const raw of message.text.split('\n')) {
      const text = raw.trim();
      if (!text) continue;
      const m = message.role === 'user' ? PASSAGE_LINE.exec(raw) : null;
      let passage: Passage | null = null;
      if (m) {
        passage = { id: m[1]!, text: m[2]!.trim(), url: currentUrl, line: text };
        passages.push(passage);
      } else if (!text.includes('{')) {
        const urls = urlsIn(text);
        if (urls.length > 0 && urls.length <= 2) currentUrl = urls[0]!;
      }
      own.push({ role: message.role, message: index, text, passage, inPassageBlock: false });
    }
    const first = own.findIndex((l) => l.passage);
    const last = own.findLastIndex((l) => l.passage);
    if (first >= 0) {
      // The block opens at the page header above the first passage (the nearest line naming a URL).
      let start = first;
      for (let i = first - 1; i >= 0; i--) {
        if (urlsIn(own[i]!.text).length > 0 && !own[i]!.text.includes('{')) {
          start = i;
          break;
        }
      }
      for (let i = start; i <= last; i++) own[i]!.inPassageBlock = true;
    }
    lines.push(...own);
  });

  const byId = new Map<string, Passage>();
  for (const p of passages) if (!byId.has(p.id)) byId.set(p.id, p);

  const good: Piece[] = [];
  const fair: Piece[] = [];
  const whole: Piece[] = [];
  const multi: Piece[] = [];
  const short: Piece[] = [];
  const single: Piece[] = [];
  const leading: Piece[] = [];
  const pairs: Piece[] = [];
  for (const p of byId.values()) {
    whole.push({ text: p.text, passageId: p.id });
    const words = wordCount(p.text);
    if (words <= 5 && !/[.!?…]$/.test(p.text) && p.text.length <= 48) short.push({ text: p.text, passageId: p.id });
    for (const s of sentencesOf(p.text)) {
      const n = wordCount(s);
      if (n >= 4 && n <= 45 && /[.!?…]["”’)]?$/.test(s)) good.push({ text: s, passageId: p.id });
      else if (n >= 3) fair.push({ text: s, passageId: p.id });
      for (const w of leadingWords(s)) leading.push({ text: w, passageId: p.id });
    }
    for (const w of wordPairs(p.text)) pairs.push({ text: w, passageId: p.id });
    const phrases = capitalisedPhrases(p.text);
    for (const t of phrases.multi) multi.push({ text: t, passageId: p.id });
    for (const t of phrases.single) single.push({ text: t, passageId: p.id });
  }
  const sentenceSeen = new Set<string>();
  const labelSeen = new Set<string>();
  const sentences = [dedupe(good, sentenceSeen), dedupe(fair, sentenceSeen), dedupe(whole, sentenceSeen)].filter((t) => t.length > 0);
  const labels = [dedupe(multi, labelSeen), dedupe(short, labelSeen), dedupe(single, labelSeen), dedupe(leading, labelSeen), dedupe(pairs, labelSeen)].filter((t) => t.length > 0);

  const pageUrls = [...new Set(passages.map((p) => p.url).filter((u): u is string => u !== null))];
  const urls = [...new Set(messages.flatMap((m) => urlsIn(m.text)))];
  const avoid = [...new Set(lines.filter((l) => !l.passage).flatMap((l) => takenLabels(l.text)))];
  let schemaInText: Record<string, unknown> | null = null;
  for (const m of messages) schemaInText = jsonObjectAfter(m.text, /JSON schema\b[^\n{]*?:/i) ?? schemaInText;

  return { messages, lines, passages, byId, sentences, labels, pageUrls, urls, avoid, schemaInText };
}
