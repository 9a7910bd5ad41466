import type { DropReason } from './evidence.js';
import { siteFigures, unstatedFigures } from './figures.js';
import { ordinaryWords, placeAndLanguageWords, sentencesAboutNoOne, unstatedNames, wordSet } from './names.js';
import { nonAnswer } from './non-answers.js';
import { detectLanguage } from './language.js';
import { foldForMatching, type LocatablePassage } from './passages.js';
import { instructionsLines } from './prompts.js';
import { offSiteProduct, topicWords } from './relevance.js';
import { repeatedPersonas } from './repeated-personas.js';
import { CLAIM_FIELDS, inSiteLanguage, LIST_FIELDS, partLabel, samePart, TEXT_LIMITS, type Claim, type EvidenceRef, type Persona, type ReportContent, type ReportPart } from './report.js';

/**
 * The report's quality rules. Pure: the caller loads the passages, the cleaned pages and the
 * prompt text. Each issue names the part it belongs to (summary, offering, one persona) so a
 * repair re-asks the model for that part only, and the field (and list item) so that what still
 * fails after the last repair can be withheld field by field (see withhold.ts).
 */

export type QualityRule =
  | 'required_section'
  | 'placeholder'
  | 'junk'
  | 'prompt_echo'
  | 'unstated_figure'
  | 'unstated_name'
  | 'evidence_not_found'
  | 'unsupported'
  | 'wrong_language'
  | 'distinct_personas';

export interface QualityIssue {
  part: ReportPart;
  rule: QualityRule;
  /** The field of the part, e.g. 'name', 'goals'; absent for the part as a whole. */
  field?: string;
  /** The list item, for list fields. */
  item?: number;
  message: string;
}

export interface DroppedTally {
  count: number;
  reasons: Partial<Record<DropReason | 'unverified', number>>;
}

export interface QualityResult {
  passed: boolean;
  issues: QualityIssue[];
  /** Evidence the model cited that did not resolve to a stored passage, per part label ("persona 2"). */
  droppedEvidence: Record<string, DroppedTally>;
  /** Persona claims (goals, pain points, objections, triggers) and how many cite evidence. */
  claims: { total: number; withEvidence: number; share: number | null };
  /**
   * Personas ("persona 2") written in another language than the site's: whether their citations
   * speak to their claims cannot be told from the words (relevance.ts), so a reader is told it was
   * not checked. Absent in results stored before 2026-12-01.
   */
  citationsNotJudged?: string[];
  /** Text fields checked and how many were rejected as junk, placeholder, non-answer, prompt text, or a figure or name the site does not give. */
  fields: { checked: number; rejected: number };
}

export interface QualityContext {
  /** The corpus passages: evidence must name one of these, with its text and URL. */
  passages: readonly LocatablePassage[];
  /** Cleaned page text by URL: every quote must also appear verbatim there. */
  pageTexts: ReadonlyMap<string, string>;
  /** What the prompt shows of the site beside its passages (page titles, descriptions, headings, structured data, tags): figures and names a field may give. */
  siteContext: readonly string[];
  /** The language the site's text was detected in (ISO 639-1; 'und' when undetermined). */
  siteLanguage: string;
  /** Prompt text a field must not repeat (prompts.ts PROMPT_SCAFFOLDING); the check adds the report's own instructions. */
  scaffolding: readonly string[];
  /** Patterns of the prompt format itself (page headers, passage tags, labels). */
  markers: readonly RegExp[];
  /** What the prompt calls its own parts ("numbered passages", "research notes"): a field using one talks about the prompt. */
  terms: readonly string[];
}

const PLACEHOLDERS: readonly { pattern: RegExp; label: string }[] = [
  { pattern: /\bTODO\b/, label: 'TODO' },
  { pattern: /\bTBD\b/, label: 'TBD' },
  { pattern: /\bFIXME\b/, label: 'FIXME' },
  { pattern: /lorem ipsum/i, label: 'lorem ipsum' },
  { pattern: /\[\s*(insert|your|add|company|product|name|placeholder)\b/i, label: '[insert …]' },
  { pattern: /\{\{[^}]*\}\}|<[A-Z_ ]{3,}>/, label: 'template variable' },
  { pattern: /(^|[\s(])N\/A([\s).,;:]|$)/i, label: 'N/A' },
  { pattern: /\bexample\.(com|org|net)\b/i, label: 'example.com' },
  { pattern: /\b(xxx+|yyy+)\b/i, label: 'xxx' },
];

/** A name as compared with the company's: letters and digits only ("Acme-Invoicing" is "acmeinvoicing"). */
const nameKey = (text: string) => foldForMatching(text).replace(/[^\p{L}\p{N}]+/gu, '');

/**
 * What the company and its products are called: the site's domain name, the parts of its title, the
 * offering's products, and the words of those the domain name is made of ("Acme" of "Acme
 * Invoicing" on acme-invoicing.com: SmolLM2 named a persona so). A word must be in the domain name
 * to count alone, so "Maria" of "Maria, freelance designer" on studio-k.de stays a customer's name.
 */
function companyNames(report: Pick<ReportContent, 'site' | 'offering'>): Set<string> {
  const label = report.site.domain.replace(/^www\./i, '').split('.')[0] ?? '';
  const titleParts = report.site.title.split(/\s*[|–—·]\s*|\s[-:]\s|:\s/);
  const names = [label, report.site.title, ...titleParts, ...(report.offering?.products ?? [])];
  const domainKey = nameKey(label);
  const words = [...label.split('-'), ...names.flatMap((n) => n.split(/[^\p{L}\p{N}]+/u))].map(nameKey).filter((k) => k.length >= 3 && domainKey.includes(k));
  return new Set([...names.map(nameKey), ...words].filter((k) => k.length >= 2));
}

/** "Premise 1", "Role #2": one word and a number, a name or role a model numbered instead of writing (SmolLM2). */
const NUMBERED = /^\p{L}+\s*#?\s*\d+$/u;

/** The fields that portray a persona rather than state facts or claims. */
const PERSONA_PORTRAIT = new Set(['name', 'role', 'summary', 'channels']);

/** "Persona 1", "Customer A", "User #2": a name the model left generic. */
const GENERIC_NAME = /^(persona|customer|user|buyer|segment|profile|person)\s*#?\s*(\d+|[A-Z])\b/i;

/** The first placeholder found in `text`, as a short label, or null. */
export function findPlaceholder(text: string, opts: { allowExampleDomain?: boolean } = {}): string | null {
  for (const { pattern, label } of PLACEHOLDERS) {
    if (label === 'example.com' && opts.allowExampleDomain) continue;
    if (pattern.test(text)) return label;
  }
  return null;
}

/**
 * Words a label cannot end on ("About Acme We", "Invoices for"): articles, pronouns, conjunctions
 * and prepositions of the languages the product is used in most, where a label cut from running
 * text stops ("Schreiben Sie Ihre" of "Schreiben Sie Ihre eigene Kundenmeinung", a product of the
 * stand-in on a saved shop page). Not "a", which ends product names ("Plan A"), nor words that end
 * names too ("son", "her", "sein").
 */
const DANGLING = new Set(
  [
    'an the and or but of to for with from by in on at as that which who we our you your their its is are my',
    // Prepositions a label cut from a sentence ends on ("Acme after", a cooperative stand-in's role).
    'after before about into onto under between through during without within than via',
    'der die das den dem des ein eine einen einem einer eines und oder aber von zu zum zur für mit bei aus im am wir unser unsere unseren unserem unserer sie ihr ihre ihren ihrem ihrer eure euren meine meinen deine deinen seine seinen seinem seiner ist sind',
    'nach über unter durch ohne gegen zwischen während seit',
    'le la les un une et ou de du des pour avec par au aux nous notre nos vous votre vos leur leurs ses mes mon cette ces est sont',
    'sur sous dans entre sans après avant chez',
  ]
    .join(' ')
    .split(' '),
);

/**
 * Degenerate decoding: a run of four words said three times or more ("including a range of
 * products, including a range of ..."), whatever punctuation the words carry ("products," is "products").
 */
function loops(text: string): boolean {
  const words = text
    .toLowerCase()
    .split(/\s+/)
    .map((w) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ''))
    .filter(Boolean);
  if (words.length < 6) return false;
  const seen = new Map<string, number>();
  for (let i = 0; i + 4 <= words.length; i++) {
    const run = words.slice(i, i + 4).join(' ');
    const n = (seen.get(run) ?? 0) + 1;
    if (n >= 3) return true;
    seen.set(run, n);
  }
  return false;
}

/** How page titles, heading lists and lists of names join their items: a pipe, a semicolon, or more than one middle dot or bullet. */
const LIST_SEPARATORS = / \| |\S; \S|( [·•] .*){2}/;
const MARKUP = /<\/?[a-z][\w-]*(\s[^<>]*)?\/?>|&[a-z]+;|&#\d+;/i;
const JSON_FRAGMENT = /^\s*\{|^\s*\[\s*["{[\d]|[{[]\s*"|\}\s*$|"\s*[}\]]|"\s*,\s*$|"\s*:\s*["{[\d]|",\s*"|\\n|\\"/;

/**
 * Why a text is junk rather than words, or null: what weak models emit when they lose track of
 * the schema (bare punctuation, single letters, identifiers, markup, JSON fragments), and labels
 * that are lists (page headings or a page title copied whole, "Pricing | The Solo | The Studio").
 */
export function junkReason(text: string, kind: 'label' | 'sentence'): string | null {
  const flat = text.replace(/\s+/g, ' ').trim();
  const letters = flat.match(/\p{L}/gu)?.length ?? 0;
  const visible = flat.replace(/\s/g, '').length;
  if (letters < 2) return 'has no words';
  if (MARKUP.test(flat)) return 'contains markup';
  if (JSON_FRAGMENT.test(flat)) return 'contains a JSON fragment';
  if (!flat.includes(' ') && /^[\p{L}\p{N}_.:-]{8,}$/u.test(flat) && (/_/.test(flat) || (flat.match(/\p{N}/gu)?.length ?? 0) >= 3)) {
    return 'is an identifier, not words';
  }
  // A key and its value run together ("evidence:Stein", as SmolLM2 wrote a channel); not a URL.
  if (!flat.includes(' ') && /^[\p{L}_]+:[^\s/]/u.test(flat)) return 'is an identifier, not words';
  if (letters / Math.max(visible, 1) < 0.5) return 'is mostly punctuation or digits';
  if (kind === 'label' && LIST_SEPARATORS.test(flat)) return 'is a list (of headings, names or a page title), not a label';
  if (loops(flat)) return 'says the same words over and over';
  const words = flat.split(' ');
  const half = words.length / 2;
  const lower = (list: string[]) => list.join(' ').toLowerCase().replace(/[.,;:!?]+$/, '');
  if (words.length >= 2 && Number.isInteger(half) && lower(words.slice(0, half)) === lower(words.slice(half))) return 'says the same words twice';
  // A label that ends on a colon announces what does not follow ("pricesList:", "Our plans:").
  if (kind === 'label' && (/:$/.test(flat) || (words.length >= 2 && DANGLING.has(lower(words.slice(-1)))))) return 'stops mid-phrase';
  if (kind === 'sentence' && words.filter((w) => /\p{L}/u.test(w)).length < 3) return 'is too short to say anything';
  return null;
}

/** Words in a row of prompt text that make a field an echo. */
const ECHO_WORDS = 6;
/** The shortest run of prompt words that counts (and the fewest words a short field needs to be an echo). */
const RUN_WORDS = 3;

/** The words of a text as the echo check compares them; a number reads as any number ("persona 2 of 3", "item 4"). */
function wordsOf(text: string): string[] {
  return foldForMatching(text)
    .split(/[^\p{L}\p{N}']+/u)
    .filter(Boolean)
    .map((w) => (/^\p{N}+$/u.test(w) ? '#' : w));
}

/**
 * What promptEcho compares a field with: every run of three words of the prompt sentences (a set,
 * built once per scaffolding, so a field costs a lookup per word instead of a scan of the prompt),
 * the prompt's terms, and the site's words, folded only when some field does share a run with the prompt.
 */
export interface EchoIndex {
  markers: readonly RegExp[];
  terms: readonly string[];
  promptRuns: ReadonlySet<string>;
  siteWords(): string;
}

/** The prompt runs of the scaffoldings checked lately: the same for every report but the requester's instructions. */
const runsOf = new Map<string, ReadonlySet<string>>();

function promptRunsOf(scaffolding: readonly string[]): ReadonlySet<string> {
  const key = scaffolding.join('\n');
  let runs = runsOf.get(key);
  if (runs) return runs;
  const built = new Set<string>();
  for (const sentence of scaffolding) {
    const words = wordsOf(sentence);
    for (let i = 0; i + RUN_WORDS <= words.length; i++) built.add(words.slice(i, i + RUN_WORDS).join(' '));
  }
  if (runsOf.size >= 16) runsOf.clear();
  runsOf.set(key, (runs = built));
  return runs;
}

export function echoIndex(ctx: Pick<QualityContext, 'scaffolding' | 'markers' | 'terms'>, siteText: string): EchoIndex {
  const promptRuns = promptRunsOf(ctx.scaffolding);
  let site: string | undefined;
  return { markers: ctx.markers, terms: ctx.terms.map((t) => wordsOf(t).join(' ')), promptRuns, siteWords: () => (site ??= ` ${wordsOf(siteText).join(' ')} `) };
}

/**
 * Why a field repeats the prompt, or null. A field echoes the prompt when it holds a line of the
 * prompt format (a page header, a passage tag, a label), uses a word only the prompt uses for its
 * own parts ("as the numbered passages show"), or when six words in a row of it are prompt
 * words: each inside a run of three that some prompt sentence has, so a field that
 * strings short prompt lines together ("goals is empty - goals item 2 is empty") is caught like
 * one long line. A short field is an echo when all its words are. A run the site also says is
 * not prompt text.
 */
export function promptEcho(text: string, index: EchoIndex): string | null {
  if (index.markers.some((m) => m.test(text))) return 'holds a line of the prompt format';
  const words = wordsOf(text);
  const spaced = ` ${words.join(' ')} `;
  if (index.terms.some((t) => spaced.includes(` ${t} `) && !index.siteWords().includes(` ${t} `))) return 'talks about the prompt instead of the company';
  if (words.length < RUN_WORDS) return null;
  const inPrompt = (run: string) => index.promptRuns.has(run) && !index.siteWords().includes(` ${run} `);
  const needed = Math.min(ECHO_WORDS, words.length);
  let coveredTo = -1; // the last word index inside a prompt run found so far
  let stretch = 0;
  for (let i = 0; i < words.length; i++) {
    if (i + RUN_WORDS <= words.length && inPrompt(words.slice(i, i + RUN_WORDS).join(' '))) coveredTo = i + RUN_WORDS - 1;
    stretch = i <= coveredTo ? stretch + 1 : 0;
    if (stretch >= needed) return 'repeats the instructions';
  }
  return null;
}

/**
 * A sentence that fills its field's length limit (report.ts TEXT_LIMITS, the schema's maxLength)
 * to within a word and ends on no sentence mark: cut there, by a model decoding under the schema
 * (llama.cpp stops a string at maxLength) or one that copied a long sentence to fit.
 */
function cutAtLimit(text: string, limit: number): boolean {
  const flat = text.trim();
  return flat.length > limit - LAST_WORD_CHARS && !/[.!?\u2026)\]"'\u00BB\u201C\u201D\u2019]$/u.test(flat);
}
/** How far from the limit a cut may end: the word that did not fit. */
const LAST_WORD_CHARS = 25;

/** What a report says itself that its sentences may repeat as names (Checker.allowedWords). */
interface ReportLabels {
  instructions: string;
  products: readonly string[];
  /** Persona names, roles and channels. */
  personas: readonly string[];
  /** Words the report writes in small letters somewhere (names.ts ordinaryWords). */
  ordinary: ReadonlySet<string>;
}

class Checker {
  readonly issues: QualityIssue[] = [];
  checked = 0;
  rejected = 0;
  private readonly echoes: EchoIndex;
  private readonly byId: Map<string, LocatablePassage>;
  private readonly pageTexts: Map<string, string>;
  private readonly figures: ReadonlySet<string>;
  private readonly siteTexts: readonly string[];
  private readonly siteLanguage: string;
  private siteWords?: ReadonlySet<string>;
  private siteTopicWords?: readonly string[];
  private readonly allowed = new Map<string, ReadonlySet<string>>();
  unverified: { part: ReportPart }[] = [];

  constructor(
    ctx: QualityContext,
    private readonly allowExampleDomain: boolean,
    private readonly companyNames: ReadonlySet<string>,
    /** The report's own words its sentences may repeat (allowedWords). */
    private readonly labels: ReportLabels,
    /** The language each part is written in (told from its prose): one in another than the site's may name the site's places in its own words. */
    private readonly partLanguage: (part: ReportPart) => string,
  ) {
    this.echoes = echoIndex(ctx, ctx.passages.map((p) => p.text).join('\n'));
    this.byId = new Map(ctx.passages.map((p) => [p.id, p]));
    this.pageTexts = new Map([...ctx.pageTexts].map(([url, text]) => [url, text.replace(/\s+/g, ' ')]));
    this.siteTexts = [...ctx.passages.map((p) => p.text), ...ctx.pageTexts.values(), ...ctx.siteContext];
    this.siteLanguage = ctx.siteLanguage;
    this.figures = siteFigures(this.siteTexts);
  }

  add(issue: QualityIssue): void {
    this.issues.push(issue);
  }

  /** One text field; returns whether it passed. `name`: the persona's name, which a role must not repeat and a summary's sentences speak of the persona by. */
  text(part: ReportPart, field: string, value: string | null | undefined, kind: 'label' | 'sentence', item?: number, name?: string): boolean {
    const where = item === undefined ? field : `${field}[${item}]`;
    const at = { part, field, ...(item === undefined ? {} : { item }) };
    if (!value || !value.trim()) {
      this.add({ ...at, rule: 'required_section', message: `${where} is empty` });
      return false;
    }
    this.checked++;
    const problem = this.problemOf(part, field, value, kind, name);
    if (!problem) return true;
    this.rejected++;
    // The message is shown to readers of a degraded report: it says why, never repeats the rejected text.
    this.add({ ...at, rule: problem[0], message: `${where} ${problem[1]}` });
    return false;
  }

  /** The first rule a filled field breaks, in this order, with why; null when it breaks none. */
  private problemOf(part: ReportPart, field: string, value: string, kind: 'label' | 'sentence', name?: string): [QualityRule, string] | null {
    const junk = junkReason(value, kind);
    if (junk) return ['junk', junk];
    if (kind === 'sentence' && cutAtLimit(value, field === 'summary' ? TEXT_LIMITS.summary : TEXT_LIMITS.sentence)) return ['junk', 'stops mid-sentence at the length limit'];
    const echo = promptEcho(value, this.echoes);
    if (echo) return ['prompt_echo', echo];
    const placeholder = findPlaceholder(value, { allowExampleDomain: this.allowExampleDomain });
    if (placeholder) return ['placeholder', `contains placeholder text (${placeholder})`];
    const generic = (field === 'name' && GENERIC_NAME.test(value.trim())) || ((field === 'name' || field === 'role') && NUMBERED.test(value.trim()));
    if (generic) return ['placeholder', `is generic; give the persona a real ${field}`];
    if (field === 'name' && this.companyNames.has(nameKey(value))) return ['placeholder', 'is the name of the site, the company or a product, not of a customer'];
    // SmolLM2 wrote "Stein" as a persona's name and again as its role.
    if (field === 'role' && name !== undefined && nameKey(value) === nameKey(name)) return ['placeholder', "repeats the persona's name; give the persona a real role"];
    const said = nonAnswer(value, (phrase) => this.echoes.siteWords().includes(` ${wordsOf(phrase).join(' ')} `));
    if (said === 'non_answer') return ['placeholder', 'says only that the site does not tell'];
    if (said === 'source_talk') return ['prompt_echo', 'talks about its sources instead of the company'];
    // Names, roles, a persona's summary and channels describe an imagined customer ("Maria, 34"):
    // there only statistics (money, percentages, decimals, thousands) must be the site's; every
    // other field speaks for the company or makes a claim, and gives only the site's figures.
    const portrait = part.kind === 'persona' && PERSONA_PORTRAIT.has(field);
    const invented = unstatedFigures(value, this.figures, { statisticsOnly: portrait });
    if (invented.length > 0) return ['unstated_figure', `gives ${invented.length === 1 ? 'a number' : 'numbers'} the site does not state`];
    // Customers, partners, integrations or press the site never names. A portrait may name an
    // imagined customer's world, except in a sentence of its summary that speaks of no one.
    const claim = !portrait ? value : field === 'summary' && name !== undefined ? sentencesAboutNoOne(value, name, this.partLanguage(part)).join('\n') : '';
    if (kind === 'sentence' && claim) {
      // A part in another language than the site's may name the site's places and languages in its
      // own words ("Germany", "Munich" for "München"); an invented customer or press name is the
      // same in every language ("As featured in Forbes"), so the rule holds there too.
      const written = this.partLanguage(part);
      const allowed = this.allowedWords(part, !inSiteLanguage(this.siteLanguage, written));
      const names = unstatedNames(claim, (this.siteWords ??= wordSet(this.siteTexts)), allowed, written);
      if (names.length > 0) return ['unstated_name', `names ${names.length === 1 ? 'a company, product or person' : 'companies, products or people'} the site does not mention`];
    }
    return null;
  }

  /** The site's topic words, once: what products are checked against. */
  private siteTopics(): readonly string[] {
    return (this.siteTopicWords ??= [...new Set(topicWords(this.siteTexts.join('\n')))]);
  }

  /**
   * Words a part's sentences may use as names though the site does not: the requester's
   * instructions, the words the report writes in small letters somewhere (names.ts ordinaryWords),
   * and labels. A persona's sentences may repeat every label (its name, channels, the products:
   * "Show Maria on LinkedIn how ..."). The summary and the offering speak for the company: there a
   * persona's imagined name or channel licenses nothing, nor does a product the site does not
   * offer (SmolLM2 named a persona "Elon-Chrome", and its summary "The new E-Chrome product" passed).
   * `translated`: a part in another language than the site's, which may also name the site's places
   * and languages in its own words.
   */
  private allowedWords(part: ReportPart, translated: boolean): ReadonlySet<string> {
    const key = `${part.kind === 'persona'}:${translated}`;
    let words = this.allowed.get(key);
    if (!words) {
      const { instructions, products, personas, ordinary } = this.labels;
      const labels = part.kind === 'persona' ? [...products, ...personas] : products.filter((p) => !offSiteProduct(p, this.siteTopics()));
      words = new Set([...wordSet([instructions, ...labels]), ...ordinary, ...(translated ? placeAndLanguageWords() : [])]);
      this.allowed.set(key, words);
    }
    return words;
  }

  /**
   * After `list`: a product named by short and common words only ("Was I", cut from "Was I losing
   * my mind?"), which names nothing (a product called "Go" too: two letters say too little to
   * check); and, where the part is in the site's language, a product the site does not offer
   * (relevance.ts offSiteProduct).
   */
  productsOnSite(part: ReportPart, products: readonly string[]): void {
    const sameLanguage = inSiteLanguage(this.siteLanguage, this.partLanguage(part));
    products.forEach((product, item) => {
      if (this.issues.some((i) => samePart(i.part, part) && i.field === 'products' && i.item === item)) return;
      if (topicWords(product).length === 0) {
        this.rejected++;
        this.add({ part, field: 'products', item, rule: 'junk', message: `products[${item}] is only short or common words, no name` });
        return;
      }
      if (!sameLanguage || !offSiteProduct(product, this.siteTopics())) return;
      this.rejected++;
      this.add({ part, field: 'products', item, rule: 'unstated_name', message: `products[${item}] names a product the site does not mention` });
    });
  }

  list(part: ReportPart, field: string, values: readonly string[], kind: 'label' | 'sentence'): void {
    if (values.length === 0) {
      this.add({ part, field, rule: 'required_section', message: `${field} has no entries` });
      return;
    }
    values.forEach((v, i) => this.text(part, field, v, kind, i));
  }

  /** Evidence is resolved from storage when the report is written; this re-checks it against the pages (defence in depth). */
  evidence(part: ReportPart, refs: readonly EvidenceRef[], field = 'evidence', item?: number): void {
    refs.forEach((ref) => {
      const passage = this.byId.get(ref.passageId);
      const page = this.pageTexts.get(ref.url);
      const ok = passage !== undefined && passage.text === ref.quote && passage.url === ref.url && page !== undefined && page.includes(ref.quote.replace(/\s+/g, ' '));
      if (!ok) {
        this.unverified.push({ part });
        this.add({ part, field, ...(item === undefined ? {} : { item }), rule: 'evidence_not_found', message: `evidence ${ref.passageId} is not a passage of ${ref.url}` });
      }
    });
  }

  claims(part: ReportPart, field: string, claims: readonly Claim[]): void {
    if (claims.length === 0) {
      this.add({ part, field, rule: 'required_section', message: `${field} has no entries` });
      return;
    }
    claims.forEach((c, i) => {
      this.text(part, field, c.text, 'sentence', i);
      this.evidence(part, c.evidence, field, i);
    });
  }
}

function personaEvidenceCount(p: Persona): number {
  return p.evidence.length + CLAIM_FIELDS.reduce((n, f) => n + p[f].reduce((m, c) => m + c.evidence.length, 0), 0);
}

function checkPersona(c: Checker, persona: Persona, index: number): void {
  const part: ReportPart = { kind: 'persona', index };
  c.text(part, 'name', persona.name, 'label');
  c.text(part, 'role', persona.role, 'label', undefined, persona.name);
  c.text(part, 'summary', persona.summary, 'sentence', undefined, persona.name);
  for (const field of CLAIM_FIELDS) c.claims(part, field, persona[field]);
  for (const field of LIST_FIELDS) c.list(part, field, persona[field], field === 'channels' ? 'label' : 'sentence');
  c.evidence(part, persona.evidence);
  if (personaEvidenceCount(persona) === 0) {
    c.add({ part, rule: 'unsupported', message: `${partLabel(part)} cites no passage of the site` });
  }
}

function checkDistinct(c: Checker, personas: readonly Persona[]): void {
  const key = (s: string) => foldForMatching(s);
  for (const field of ['name', 'role'] as const) {
    const seen = new Map<string, number>();
    personas.forEach((p, i) => {
      const k = key(p[field]);
      if (!k) return;
      const first = seen.get(k);
      // The later duplicate is the one to redo; the first keeps its place.
      if (first !== undefined) {
        c.add({ part: { kind: 'persona', index: i }, field, rule: 'distinct_personas', message: `${field} repeats persona ${first + 1}'s ${field}` });
      } else {
        seen.set(k, i);
      }
    });
  }
  for (const r of repeatedPersonas(personas)) {
    // Named already when its name or role repeats: one reason is enough to redo it.
    if (c.issues.some((x) => x.rule === 'distinct_personas' && samePart(x.part, { kind: 'persona', index: r.index }))) continue;
    c.add({
      part: { kind: 'persona', index: r.index },
      rule: 'distinct_personas',
      message: `${r.repeated} of its ${r.claims} goals, pain points, objections and buying triggers say what persona ${r.of + 1}'s do`,
    });
  }
}

/** The prose of each part: what tells the language it is written in (labels are too short to). */
function partProse(report: ReportContent): Array<[ReportPart, string]> {
  const prose = (texts: readonly string[]) => texts.join('\n');
  return [
    [{ kind: 'summary' }, report.summary ?? ''],
    [{ kind: 'offering' }, report.offering ? prose([report.offering.summary, ...report.offering.valuePropositions]) : ''],
    ...report.personas.map((p, index): [ReportPart, string] => [
      { kind: 'persona', index },
      prose([p.summary, ...CLAIM_FIELDS.flatMap((f) => p[f].map((claim) => claim.text)), ...p.messaging]),
    ]),
  ];
}

/** How much of a part's prose tells its language: one piece of detectLanguage's. */
const PROSE_SAMPLE_CHARS = 500;

const LANGUAGE_NAMES = new Intl.DisplayNames(['en'], { type: 'language' });
const languageName = (code: string) => LANGUAGE_NAMES.of(code) ?? code;

/** The language each part is written in, told from its prose; the report's where too short to tell. */
function partLanguages(prose: ReadonlyArray<[ReportPart, string]>, reportLanguage: string): Array<[ReportPart, string]> {
  // One piece of each part is enough to tell (a part is written in one language), and a piece is
  // a comparison with every language franc knows: about 0.6 ms.
  return prose.map(([part, text]) => {
    const found = detectLanguage(text.slice(0, PROSE_SAMPLE_CHARS), reportLanguage);
    return [part, found === 'und' ? reportLanguage : found];
  });
}

/**
 * Parts written in another language than the report's (small models answer in English whatever
 * they are asked). Not withheld, the text may be right, but repaired, and said: a reader who asked
 * for German should not find English without a word. Parts too short to tell are not judged.
 */
function checkLanguage(c: Checker, report: ReportContent, languages: ReadonlyArray<[ReportPart, string]>): void {
  for (const [part, found] of languages) {
    if (found === report.language) continue;
    c.add({ part, rule: 'wrong_language', message: `${partLabel(part)} is written in ${languageName(found)}, not in ${languageName(report.language)}, the report's language` });
  }
}

export function checkReportQuality(report: ReportContent, ctx: QualityContext): QualityResult {
  const allowExampleDomain = /(^|\.)example\.(com|org|net)$/i.test(report.site.domain);
  // The requester's instructions as the prompt sends them: under their label.
  // A requester who asks about "Shopify merchants" gets sentences that name Shopify.
  const products = report.offering?.products ?? [];
  const personaLabels = report.personas.flatMap((p) => [p.name, p.role, ...p.channels]);
  // Each part's language, told from its prose (a translated report, or a model that answered
  // English for a German site): the names rule allows a part in another language than the site's
  // its own words for the site's places. Both are ISO 639-1 codes (outputLanguage, the cleaner,
  // detectLanguage); a site's undetermined one is taken for the part's.
  const prose = partProse(report);
  const languages = partLanguages(prose, report.language);
  const partLanguage = (part: ReportPart) => languages.find(([p]) => samePart(p, part))?.[1] ?? report.language;
  const instructions = report.instructions ?? '';
  const ordinary = ordinaryWords([...products, ...personaLabels, instructions, ...prose.map(([, text]) => text)]);
  const labels: ReportLabels = { instructions, products, personas: personaLabels, ordinary };
  const c = new Checker({ ...ctx, scaffolding: [...ctx.scaffolding, ...instructionsLines(report.instructions)] }, allowExampleDomain, companyNames(report), labels, partLanguage);

  c.text({ kind: 'summary' }, 'summary', report.summary, 'sentence');

  const offering: ReportPart = { kind: 'offering' };
  if (!report.offering) {
    c.add({ part: offering, rule: 'required_section', message: 'the offering is missing' });
  } else {
    c.text(offering, 'summary', report.offering.summary, 'sentence');
    c.list(offering, 'products', report.offering.products, 'label');
    c.productsOnSite(offering, report.offering.products);
    c.list(offering, 'valuePropositions', report.offering.valuePropositions, 'sentence');
    c.evidence(offering, report.offering.evidence);
    if (report.offering.evidence.length === 0) c.add({ part: offering, rule: 'unsupported', message: 'the offering cites no passage of the site' });
  }

  if (report.personas.length === 0) c.add({ part: { kind: 'personas' }, rule: 'required_section', message: 'the report has no personas' });
  report.personas.forEach((p, i) => checkPersona(c, p, i));
  checkDistinct(c, report.personas);
  checkLanguage(c, report, languages);

  const droppedEvidence: Record<string, DroppedTally> = {};
  const tally = (part: ReportPart, reason: DropReason | 'unverified') => {
    const t = (droppedEvidence[partLabel(part)] ??= { count: 0, reasons: {} });
    t.count++;
    t.reasons[reason] = (t.reasons[reason] ?? 0) + 1;
  };
  for (const d of report.droppedEvidence) tally(d.part, d.reason);
  for (const u of c.unverified) tally(u.part, 'unverified');

  return {
    passed: c.issues.length === 0,
    issues: c.issues,
    droppedEvidence,
    claims: claimTally(report),
    citationsNotJudged: languages.filter(([part, language]) => part.kind === 'persona' && !inSiteLanguage(ctx.siteLanguage, language)).map(([part]) => partLabel(part)),
    fields: { checked: c.checked, rejected: c.rejected },
  };
}

/** Persona claims and how many cite evidence: of the report as checked, or as delivered after withholding. */
export function claimTally(report: Pick<ReportContent, 'personas'>): QualityResult['claims'] {
  const claims = report.personas.flatMap((p) => CLAIM_FIELDS.flatMap((f) => p[f]));
  const withEvidence = claims.filter((cl) => cl.evidence.length > 0).length;
  return { total: claims.length, withEvidence, share: claims.length ? withEvidence / claims.length : null };
}

/** The distinct parts named by a list of issues, in report order. */
export function failingParts(issues: readonly QualityIssue[]): ReportPart[] {
  const order = (p: ReportPart) => (p.kind === 'summary' ? -3 : p.kind === 'offering' ? -2 : p.kind === 'personas' ? -1 : p.index);
  const parts: ReportPart[] = [];
  for (const { part } of issues) {
    if (!parts.some((p) => samePart(p, part))) parts.push(part);
  }
  return parts.sort((a, b) => order(a) - order(b));
}
