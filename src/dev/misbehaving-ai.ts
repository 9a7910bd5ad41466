import { planAnswer } from './stand-in-kit/answer.js';
import { derive, hash, pick, rotate } from './stand-in-kit/hash.js';
import { apiError, completion, startChatServer, type ChatReply, type ChatRequest } from './stand-in-kit/http.js';
import { sentencesOf, urlsIn, type Piece, type Prompt } from './stand-in-kit/prompt.js';
import { clamp, fieldKind, isObject, SchemaFiller, type EnumArrayField, type ObjectArrayField, type Schema, type StringField } from './stand-in-kit/schema.js';

/**
 * LOCAL MISBEHAVING STAND-IN for an OpenAI-compatible endpoint. It is NOT an AI model. It answers
 * like the cooperative stand-in (src/dev/stand-in-ai.ts: schema-following JSON built only from
 * passage text and existing passage IDs) except that, on purpose and by script, it makes the
 * mistakes real weak, confused or unconstrained models make, so the product's quality claims can
 * be proven against them. Model name `local-stand-in-misbehaving`. It imports no product code and
 * follows no rule written for the product's checker: it reads prompts generically
 * (src/dev/stand-in-kit/).
 *
 * Each behaviour and the real-model failure it reproduces:
 *   any_prompt_sentence  A weak model filling fields with whatever text is nearby: every string field
 *                        gets some line or sentence of any message (system rules, task lines,
 *                        "Page 2: https://..." headers, "Page title: ..." lines, whole "[p1.2] ..."
 *                        lines with their tag, fragments of research-notes JSON).
 *   instruction_text     A model echoing its instructions: label and sentence fields get sentences
 *                        of the system and task messages (short ones, or their first words, as labels).
 *   placeholders         Template output left unfilled: 'TODO', '[insert company name]',
 *                        'Lorem ipsum dolor sit amet', 'N/A', 'Persona 1', 'Customer A', 'example.com'.
 *   non_answers          A model told to leave out what the site does not say, filling the field
 *                        anyway: 'Not specified', 'Unknown', 'No information available', 'The text
 *                        does not mention this.', or its answer wrapped in talk about its input
 *                        ('Based on the provided text, ...', 'As an AI language model, ...').
 *   invented_figures     Embellishment: sentence fields get a made-up statistic, alone or after the
 *                        answer ('Trusted by over 8,317 businesses worldwide.', 'Saves teams 11.6
 *                        hours every week.'), figures the site never gives.
 *   invented_names       Social proof made up: sentence fields get customers, integrations or press
 *                        the site never names, alone or after the answer ('Trusted by teams at
 *                        Shopify, Airbnb and Deloitte.', 'Integrates with Salesforce, Zapier and
 *                        QuickBooks.').
 *   generic_labels       A model answering from memory, about another company or any software
 *                        company: label fields (products, segments, channels, names) get stock
 *                        product and feature names the site may never use ('Analytics Dashboard',
 *                        'Mobile App', 'Enterprise Plan'); sentence fields are answered as usual.
 *   junk                 Degenerate decoding and broken tokenisation: identifiers like
 *                        '0_3t4z6w6p59l1b281c68a0y', bare punctuation '": "', single letters,
 *                        HTML/JSON fragments ('<div class="card">', '{"goals": [', '</p>').
 *   quotes_not_ids       A model that quotes instead of citing: evidence arrays (arrays of string
 *                        enums) hold {quote, sourceUrl} objects or plain quote strings, with the
 *                        passage's verbatim text and its page's URL, instead of IDs.
 *   paraphrased_quotes   As quotes_not_ids, the quote reworded from memory (words dropped or
 *                        reordered, synonyms): no longer a substring of any passage.
 *   merged_quotes        As quotes_not_ids, two passages stitched into one quote ('A ... B' or 'A B').
 *   typographic_quotes   As quotes_not_ids, verbatim but retyped: curly quotes and apostrophes, en/em
 *                        dashes for hyphens, '…' for '...', changed case, doubled spaces, wrapped in
 *                        quote marks.
 *   wrong_page           As quotes_not_ids, a verbatim quote credited to another page's URL.
 *   url_variants         As quotes_not_ids, the right page written another way: www. added or
 *                        removed, a #fragment, a trailing slash added or removed, ?utm_source=...
 *   invented_urls        As quotes_not_ids, a hallucinated source: an invented quote on a made-up
 *                        path or domain.
 *   careless_citations   A model citing without reading: real IDs of the enum chosen regardless of
 *                        the text beside them, the enum's first ID for every other array, one or
 *                        two drawn at random for the others (constrained decoding fills an ID enum
 *                        whatever the model understood).
 *   unknown_ids          A model ignoring the enum: evidence IDs that do not exist ('p99.1', '1.2',
 *                        'passage-7') mixed with real ones.
 *   duplicate_personas   Mode collapse: every array of objects repeats its first item.
 *   renamed_duplicates   Mode collapse under new names: an array of named objects (items with a
 *                        name-, role- or title-like field) repeats its first item in every place,
 *                        each copy under names of its own, the first's sentences (nested ones too)
 *                        copied or reworded a word or two (half of them), the first's evidence.
 *   truncated_json       Output cut by max_tokens or a dropped connection: valid-looking JSON cut
 *                        off mid-way; finish_reason 'length' for half the requests, 'stop' for the others.
 *   prose_around_json    A chatty model: 'Sure! Here is the JSON you asked for:' and a ```json
 *                        fence around the answer, a closing offer after it.
 *   refusal              A safety refusal: OpenAI-style `message.refusal` with content null (half
 *                        the requests), or the refusal sentence as content with no JSON (the others).
 *   no_json_schema       A server without structured outputs (older vLLM, llama.cpp, many proxies):
 *                        HTTP 400, OpenAI-style error, for any request with a json_schema
 *                        response_format; json_object and text requests are served.
 *
 * Behaviours combine (string mistakes are chosen per field among the active ones; quote mistakes
 * are applied together to each evidence item). Evidence mistakes act on arrays whose items are
 * string enums, found generically in the schema; string mistakes on string fields. Everything
 * else in an answer stays well-formed, so each mistake is isolated. Deterministic: the same
 * request with the same behaviours gets the same answer.
 */

export type Behaviour =
  | 'any_prompt_sentence'
  | 'instruction_text'
  | 'placeholders'
  | 'non_answers'
  | 'invented_figures'
  | 'invented_names'
  | 'generic_labels'
  | 'junk'
  | 'quotes_not_ids'
  | 'paraphrased_quotes'
  | 'merged_quotes'
  | 'typographic_quotes'
  | 'wrong_page'
  | 'url_variants'
  | 'invented_urls'
  | 'careless_citations'
  | 'unknown_ids'
  | 'duplicate_personas'
  | 'renamed_duplicates'
  | 'truncated_json'
  | 'prose_around_json'
  | 'refusal'
  | 'no_json_schema';

export const BEHAVIOURS: readonly Behaviour[] = [
  'any_prompt_sentence',
  'instruction_text',
  'placeholders',
  'non_answers',
  'invented_figures',
  'invented_names',
  'generic_labels',
  'junk',
  'quotes_not_ids',
  'paraphrased_quotes',
  'merged_quotes',
  'typographic_quotes',
  'wrong_page',
  'url_variants',
  'invented_urls',
  'careless_citations',
  'unknown_ids',
  'duplicate_personas',
  'renamed_duplicates',
  'truncated_json',
  'prose_around_json',
  'refusal',
  'no_json_schema',
];

export const MISBEHAVING_MODEL = 'local-stand-in-misbehaving';

type ReceivedRequest = { model?: string; messages?: { role: string; content: unknown }[]; response_format?: unknown; max_tokens?: number };

export interface MisbehavingAi {
  /** http://127.0.0.1:PORT/v1 */
  baseUrl: string;
  /** 'local-stand-in-misbehaving' */
  model: string;
  /**
   * Behaviours for the next `times` chat requests (default: every request until changed; after
   * `times` requests the standing behaviours apply again). Behaviours combine; an empty list
   * answers cooperatively (well-formed, schema-following, only passage text and existing IDs).
   */
  use(behaviours: Behaviour[], opts?: { times?: number }): void;
  received(): ReceivedRequest[];
  requests(): number;
  stop(): Promise<void>;
}

const STRING_BEHAVIOURS = ['any_prompt_sentence', 'instruction_text', 'placeholders', 'non_answers', 'invented_figures', 'invented_names', 'generic_labels', 'junk'] as const satisfies readonly Behaviour[];
const QUOTE_BEHAVIOURS = [
  'quotes_not_ids',
  'paraphrased_quotes',
  'merged_quotes',
  'typographic_quotes',
  'wrong_page',
  'url_variants',
  'invented_urls',
] as const satisfies readonly Behaviour[];
const URL_BEHAVIOURS: readonly Behaviour[] = ['wrong_page', 'url_variants', 'invented_urls'];

export const REFUSAL_TEXT = "I'm sorry, I can't help with that.";

const PLACEHOLDERS = {
  label: ['TODO', '[insert company name]', 'N/A', 'Persona 1', 'Customer A'],
  sentence: ['Lorem ipsum dolor sit amet', 'TODO', 'N/A', '[insert company name] helps [target audience] achieve [goal].', 'Lorem ipsum dolor sit amet, consectetur adipiscing elit.'],
  url: ['example.com', 'https://example.com', 'https://www.example.com/page'],
};
/** What non_answers writes: whole non-answers, and the openings it puts before an answer. Exported for judges of delivered reports. */
export const NON_ANSWERS = {
  label: ['Not specified', 'Unknown', 'None', 'Not mentioned in the text', 'Not available', 'Unspecified'],
  sentence: [
    'The text does not mention this.',
    'No information available.',
    'The provided passages do not specify this.',
    'There is no information about this in the text.',
    'As an AI language model, I cannot determine this from the website.',
    'Not specified on the website.',
  ],
  openings: ['Based on the provided text, ', 'According to the given information, ', 'From the text provided, '],
};
/** What invented_figures writes: statistics no test site gives. Exported for judges of delivered reports. */
export const INVENTED_FIGURES = [
  'Trusted by over 8,317 businesses worldwide.',
  'Saves teams 11.6 hours every week.',
  'Cuts payment times by 61.5%.',
  'Rated 4.83 out of 5 by 2,904 reviewers.',
  'Saves customers $6,250 a year on average.',
];
/** What invented_names writes: customers, integrations and press no test site names. Exported for judges of delivered reports. */
export const INVENTED_NAMES = [
  'Trusted by teams at Shopify, Airbnb and Deloitte.',
  'Integrates with Salesforce, Zapier and QuickBooks.',
  'As featured in Forbes and TechCrunch.',
  'Recommended by analysts at Gartner.',
  'Chosen over Xero by most small firms.',
  // A name after an abbreviation, as models write them: "e.g." ends no sentence.
  'Connects to the CRM sales teams already use, e.g. Pipedrive.',
];
export const GENERIC_LABELS = [
  'Analytics Dashboard',
  'Mobile App',
  'Enterprise Plan',
  'Team Collaboration Suite',
  'Payment Gateway',
  'Marketing Automation',
  'Cloud Storage',
  'Customer Success Program',
  'Workflow Builder',
  'Data Warehouse Connector',
  'AI Assistant',
  'Security Center',
  'Inventory Management',
  'Social Media Scheduler',
  'Video Conferencing',
  'Loyalty Rewards',
  'Help Desk Software',
  'Email Marketing Platform',
  'Mobile Banking',
  'Fleet Tracking',
];
const JUNK = ['": "', 'c', 'd', '<div class="card">', '{"goals": [', '</p>', '",', ']}', '<span>'];
const INVENTED_QUOTES = [
  'Trusted by over 10,000 teams worldwide.',
  'Our customers save an average of 12 hours every week.',
  'Rated 4.9 out of 5 by more than 2,000 verified reviewers.',
  'The number one choice for growing businesses across Europe.',
  'Join 50,000+ happy customers who switched this year.',
];
const SYNONYMS: Record<string, string> = {
  help: 'assist', helps: 'assists', use: 'utilize', uses: 'utilize', send: 'issue', sends: 'issues', professional: 'polished',
  small: 'little', track: 'monitor', tracks: 'monitors', includes: 'comes with', include: 'come with', costs: 'is priced at',
  customers: 'clients', customer: 'client', clients: 'customers', client: 'customer', fast: 'quick', quickly: 'rapidly',
  easy: 'simple', simple: 'easy', team: 'staff', teams: 'groups', business: 'company', businesses: 'companies', company: 'business',
  companies: 'firms', build: 'create', get: 'obtain', make: 'create', provide: 'offer', provides: 'offers', offer: 'provide',
  offers: 'provides', every: 'each', many: 'numerous', big: 'large', large: 'big', best: 'top', buy: 'purchase', need: 'require',
  needs: 'requires', want: 'wish', start: 'begin', manage: 'handle', create: 'build', save: 'spare', improve: 'enhance',
  unlimited: 'limitless', minute: 'moment', across: 'throughout', under: 'less than', projects: 'jobs', project: 'job',
};
const DROPPABLE = new Set(['the', 'a', 'an', 'very', 'just', 'really', 'all', 'that', 'also', 'our', 'your']);

/** Lower case, one space, typographic quotes and dashes folded: how a lenient matcher compares text. */
function fold(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[‘’‚‛]/g, "'")
    .replace(/[“”„‟]/g, '"')
    .replace(/[‐‑‒–—―]/g, '-')
    .replace(/…/g, '...')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

class MisbehavingFiller extends SchemaFiller {
  private anyLines?: string[];
  private instructions?: { sentences: string[]; labels: string[] };

  constructor(
    root: Schema,
    prompt: Prompt,
    seed: number,
    private readonly active: ReadonlySet<Behaviour>,
  ) {
    super(root, prompt, seed);
  }

  // ---- strings -------------------------------------------------------------------------------

  protected override stringValue(field: StringField): Piece | string {
    const applicable = STRING_BEHAVIOURS.filter((b) => this.active.has(b) && (field.kind !== 'url' || b !== 'instruction_text'));
    if (applicable.length === 0 || 'const' in field.schema) return super.stringValue(field);
    const behaviour = pick(applicable, derive(field.n, 'string-behaviour'));
    switch (behaviour) {
      case 'any_prompt_sentence': {
        const pool = this.anyLinePool();
        return pool.length > 0 ? pick(pool, field.n) : super.stringValue(field);
      }
      case 'instruction_text': {
        const pool = this.instructionPool();
        const list = field.kind === 'label' ? pool.labels : pool.sentences;
        return list.length > 0 ? pick(list, field.n) : super.stringValue(field);
      }
      case 'placeholders':
        if (field.kind === 'label' && field.index !== undefined) {
          return field.n % 2 === 0 ? `Persona ${field.index + 1}` : `Customer ${String.fromCharCode(65 + (field.index % 26))}`;
        }
        return pick(PLACEHOLDERS[field.kind], field.n);
      case 'non_answers': {
        if (field.kind === 'url') return super.stringValue(field);
        if (field.kind === 'label') return pick(NON_ANSWERS.label, field.n);
        if (field.n % 2 === 0) return pick(NON_ANSWERS.sentence, derive(field.n, 'non-answer'));
        // An answer, cited as the model would, behind talk about where it came from.
        const answer = super.stringValue(field);
        const opening = pick(NON_ANSWERS.openings, derive(field.n, 'opening'));
        const lower = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);
        return typeof answer === 'string' ? opening + lower(answer) : { ...answer, text: opening + lower(answer.text) };
      }
      case 'invented_figures':
      case 'invented_names': {
        if (field.kind !== 'sentence') return super.stringValue(field);
        const [pool, salt] = behaviour === 'invented_figures' ? [INVENTED_FIGURES, 'figure'] : [INVENTED_NAMES, 'name'];
        const made = pick(pool, derive(field.n, salt));
        if (field.n % 2 === 0) return made;
        // The answer, cited as the model would, with the embellishment added after it.
        const answer = super.stringValue(field);
        return typeof answer === 'string' ? `${answer} ${made}` : { ...answer, text: `${answer.text} ${made}` };
      }
      case 'generic_labels': {
        if (field.kind !== 'label') return super.stringValue(field);
        // Each once, and none the prompt names as taken (as the cooperative labels): a model that
        // is told a name is taken does not give it again, as a name or anything else.
        const passages = this.prompt.passages.map((p) => fold(p.text));
        const fresh = GENERIC_LABELS.filter((l) => !passages.some((p) => p.includes(fold(l))) && !this.usedLabels.has(l.toLowerCase()));
        if (fresh.length === 0) return super.stringValue(field);
        const label = pick(fresh, derive(field.n, 'generic'));
        this.usedLabels.add(label.toLowerCase());
        return label;
      }
      case 'junk':
        return field.n % 3 === 0 ? this.junkIdentifier(field.n) : pick(JUNK, derive(field.n, 'junk'));
    }
  }

  /** Every line of every message (passage lines whole, tag included), sentences of the others, JSON fragments; never bare passage text. */
  private anyLinePool(): string[] {
    if (this.anyLines) return this.anyLines;
    const pool: string[] = [];
    for (const line of this.prompt.lines) {
      pool.push(line.text);
      if (line.passage) continue;
      const brace = line.text.indexOf('{');
      if (brace >= 0) {
        let fragment = '';
        for (const part of line.text.slice(brace).split(/(?<=,)/)) {
          fragment += part;
          if (fragment.length >= 20) {
            pool.push(fragment.trim());
            fragment = '';
          }
          if (pool.length > 4000) break;
        }
      } else {
        const sentences = sentencesOf(line.text);
        if (sentences.length > 1) pool.push(...sentences);
      }
    }
    const passages = this.prompt.passages.map((p) => p.text);
    this.anyLines = [...new Set(pool)].filter((s) => !passages.some((p) => p.includes(s)));
    return this.anyLines;
  }

  /** Sentences of the system rules and the task (outside the passage block, without URLs or JSON); short ones or first words as labels. */
  private instructionPool(): { sentences: string[]; labels: string[] } {
    if (this.instructions) return this.instructions;
    const passages = this.prompt.passages.map((p) => p.text);
    const sentences = [
      ...new Set(
        this.prompt.lines
          .filter((l) => !l.passage && !l.inPassageBlock && !l.text.includes('{') && urlsIn(l.text).length === 0)
          .flatMap((l) => sentencesOf(l.text)),
      ),
    ].filter((s) => !passages.some((p) => p.includes(s)));
    const labels = [...new Set(sentences.map((s) => (s.split(' ').length <= 6 ? s : s.split(' ').slice(0, 4).join(' '))))];
    this.instructions = { sentences, labels };
    return this.instructions;
  }

  private junkIdentifier(n: number): string {
    let text = '';
    for (let h = n; text.length < 22; ) {
      h = derive(h, 'id');
      text += h.toString(36);
    }
    return `${n % 10}_${text.slice(0, 22)}`;
  }

  // ---- evidence ------------------------------------------------------------------------------

  protected override enumArrayValue(field: EnumArrayField): unknown[] {
    const ids = this.active.has('careless_citations') ? this.carelessIds(field) : (super.enumArrayValue(field) as string[]);
    const quoting = QUOTE_BEHAVIOURS.filter((b) => this.active.has(b));
    let items: unknown[] = ids;
    if (quoting.length > 0) {
      const plainStrings = !quoting.some((b) => URL_BEHAVIOURS.includes(b)) && derive(field.n, 'form') % 2 === 1;
      items = ids.map((id, i) => this.quoteFor(id, derive(field.n, i), plainStrings));
    }
    if (this.active.has('unknown_ids')) {
      const unknown = this.unknownIds(field.values, field.n);
      const room = Number.isFinite(field.maxItems) ? field.maxItems : items.length + 2;
      if (room < 2) items = [unknown[0]];
      else {
        const extra = unknown.slice(0, Math.min(unknown.length, room - 1, 1 + (field.n % 2)));
        const real = items.slice(0, Math.max(1, room - extra.length));
        items = field.n % 2 === 0 ? [...real, ...extra] : [extra[0], ...real, ...extra.slice(1)];
      }
    }
    return items;
  }

  /** IDs picked without reading: the enum's first for every other array, one or two at random for the others. */
  private carelessIds(field: EnumArrayField): string[] {
    if (field.n % 2 === 0) return [field.values[0]!];
    const count = Math.min(field.maxItems, 1 + (derive(field.n, 'cites') % 2));
    return [...new Set(Array.from({ length: count }, (_, i) => pick(field.values, derive(field.n, `cite ${i}`))))];
  }

  private quoteFor(id: string, n: number, plainString: boolean): unknown {
    const passage = this.prompt.byId.get(id);
    if (!passage) return id;
    let quote = pick(sentencesOf(passage.text), n);
    let url = passage.url ?? this.prompt.pageUrls[0] ?? this.prompt.urls[0] ?? '';
    const has = (b: Behaviour) => this.active.has(b);
    if (has('merged_quotes')) {
      const others = this.prompt.passages.filter((p) => p.id !== id);
      const after = this.prompt.passages.findIndex((p) => p.id === id) + 1;
      const next = this.prompt.passages[after]?.id !== id ? this.prompt.passages[after] : undefined;
      const other = next ?? (others.length > 0 ? pick(others, n) : undefined);
      if (other) quote = `${quote}${n % 2 === 0 ? ' ... ' : ' '}${pick(sentencesOf(other.text), derive(n, 'merge'))}`;
    }
    if (has('paraphrased_quotes')) quote = this.paraphrase(quote, n);
    if (has('typographic_quotes')) quote = typographic(quote, n);
    if (has('wrong_page')) url = this.otherPage(url, n);
    if (has('url_variants')) url = urlVariant(url, n);
    if (has('invented_urls')) {
      quote = this.inventedQuote(n);
      url = this.inventedUrl(n);
    }
    return plainString ? quote : { quote, sourceUrl: url };
  }

  private paraphrase(text: string, n: number): string {
    const words = text.split(/\s+/).filter(Boolean);
    let changed = 0;
    for (const i of rotate(words.map((_, k) => k), n)) {
      const w = words[i]!;
      const bare = w.replace(/[^\p{L}]/gu, '').toLowerCase();
      const synonym = SYNONYMS[bare];
      if (!synonym) continue;
      const cased = /^\p{Lu}/u.test(w) ? synonym[0]!.toUpperCase() + synonym.slice(1) : synonym;
      words[i] = w.replace(/[\p{L}]+/u, cased);
      if (++changed >= 2) break;
    }
    const drop = words.findIndex((w, i) => i > 0 && DROPPABLE.has(w.toLowerCase()));
    if (drop > 0) words.splice(drop, 1);
    if (changed === 0 && drop < 0 && words.length >= 4) [words[1], words[2]] = [words[2]!, words[1]!];
    let result = words.join(' ');
    const passages = this.prompt.passages.map((p) => fold(p.text));
    if (result === text || passages.some((p) => p.includes(fold(result)))) result = `${result.replace(/[.!?]$/, '')}, basically.`;
    return result;
  }

  private otherPage(url: string, n: number): string {
    const others = this.prompt.pageUrls.filter((u) => u !== url);
    if (others.length > 0) return pick(others, n);
    const elsewhere = this.prompt.urls.filter((u) => u !== url);
    if (elsewhere.length > 0) return pick(elsewhere, n);
    try {
      const u = new URL(url);
      u.pathname = u.pathname === '/about' ? '/contact' : '/about';
      return u.toString();
    } catch {
      return 'https://example.test/about';
    }
  }

  private inventedQuote(n: number): string {
    const passages = this.prompt.passages.map((p) => fold(p.text));
    const fresh = INVENTED_QUOTES.filter((q) => !passages.some((p) => p.includes(fold(q))));
    return pick(fresh.length > 0 ? fresh : INVENTED_QUOTES, n);
  }

  private inventedUrl(n: number): string {
    let host = 'example.test';
    try {
      host = new URL(this.prompt.pageUrls[0] ?? this.prompt.urls[0] ?? 'https://example.test/').hostname;
    } catch {
      // keep the default
    }
    const name = host.replace(/^www\./, '').split('.')[0] || 'company';
    const candidates = [
      `https://${host}/customers/success-stories`,
      `https://${host}/case-studies/enterprise-rollout`,
      `https://${host}/blog/2023/why-teams-switch`,
      `https://www.${name}-reviews.com/${name}`,
      `https://www.g2.com/products/${name}/reviews`,
      `https://${host}/about/our-story`,
    ];
    const known = new Set(this.prompt.urls.map((u) => u.toLowerCase()));
    return pick(candidates.filter((c) => !known.has(c.toLowerCase())), n);
  }

  private unknownIds(values: readonly string[], n: number): string[] {
    const real = values[n % values.length] ?? 'p1.1';
    const m = /^([A-Za-z]*)(\d+)\.(\d+)$/.exec(real);
    const candidates = [
      'p99.1',
      m ? `${m[2]}.${m[3]}` : '1.2',
      'passage-7',
      m ? `${m[1]}${m[2]}.${Number(m[3]) + 40}` : 'p0.0',
      'p99.9',
    ];
    const known = new Set(values);
    return rotate([...new Set(candidates)].filter((c) => !known.has(c)), n);
  }

  // ---- arrays of objects ---------------------------------------------------------------------

  protected override objectArray(field: ObjectArrayField, make: (count: number) => unknown[]): unknown[] {
    const collapse = this.active.has('duplicate_personas') || this.active.has('renamed_duplicates');
    if (!collapse) return super.objectArray(field, make);
    let count = clamp(Math.min(3, field.maxItems), Math.max(field.minItems, 1), field.maxItems);
    if (field.maxItems >= 2) count = Math.max(count, 2);
    if (this.active.has('duplicate_personas')) {
      const [first] = make(1);
      return Array.from({ length: count }, () => structuredClone(first));
    }
    const items = make(count);
    const first = items[0];
    if (!isObject(first) || !Object.entries(first).some(([k, v]) => typeof v === 'string' && fieldKind(k) === 'label')) return items;
    return items.map((own, i) => (i === 0 || !isObject(own) ? own : this.renamedCopy(first, own, derive(field.n, `copy-${i}`))));
  }

  /** `first` under `own`'s names: its other strings copied or reworded, nested objects' too. */
  private renamedCopy(first: Record<string, unknown>, own: Record<string, unknown>, n: number): Record<string, unknown> {
    let k = 0;
    const copy = (value: unknown, key: string): unknown => {
      if (typeof value === 'string') return fieldKind(key) === 'sentence' && (n + k++) % 2 === 0 ? this.paraphrase(value, n + k) : value;
      if (Array.isArray(value)) return value.map((v) => (isObject(v) ? copyObject(v) : v));
      return isObject(value) ? copyObject(value) : value;
    };
    const copyObject = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([key, v]) => [key, copy(v, key)]));
    return Object.fromEntries(
      Object.entries(first).map(([key, v]) => [key, typeof v === 'string' && fieldKind(key) === 'label' && typeof own[key] === 'string' ? own[key] : copy(v, key)]),
    );
  }
}

function typographic(text: string, n: number): string {
  let t = text
    .replace(/\.\.\./g, '…')
    .replace(/"([^"]*)"/g, '“$1”')
    .replace(/'/g, '’')
    .replace(/ - /g, ' — ')
    .replace(/(\S)-(\S)/g, '$1–$2');
  const mode = n % 3;
  if (mode === 0) t = t.toLowerCase();
  else if (mode === 1) t = t.replace(/^\S+/, (w) => w.toUpperCase());
  else t = t.replace(/(^|\s)(\p{Ll})/gu, (_, s: string, c: string) => s + c.toUpperCase());
  const spaces = [...t.matchAll(/ /g)].map((m) => m.index);
  if (spaces.length > 0) {
    const at = spaces[derive(n, 'space') % spaces.length]!;
    t = `${t.slice(0, at)}  ${t.slice(at + 1)}`;
  }
  return derive(n, 'wrap') % 2 === 0 ? `“${t}”` : `"${t}"`;
}

function urlVariant(url: string, n: number): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${url}#top`;
  }
  const variants = [
    () => {
      const v = new URL(u);
      v.hostname = v.hostname.startsWith('www.') ? v.hostname.slice(4) : `www.${v.hostname}`;
      return v.toString();
    },
    () => {
      const v = new URL(u);
      v.hash = pick(['top', 'pricing', 'features', 'main'], n);
      return v.toString();
    },
    () => {
      if (u.pathname === '/') return `${u.origin}${u.search}${u.hash}`;
      const v = new URL(u);
      v.pathname = v.pathname.endsWith('/') ? v.pathname.slice(0, -1) : `${v.pathname}/`;
      return v.toString();
    },
    () => {
      const v = new URL(u);
      v.searchParams.append('utm_source', pick(['chatgpt.com', 'newsletter', 'google'], n));
      return v.toString();
    },
  ];
  for (const variant of rotate(variants, n)) {
    const result = variant();
    if (result !== url) return result;
  }
  return `${url}#top`;
}

// ---------------------------------------------------------------------------------------------
// Answers

function answer(request: ChatRequest, behaviours: readonly Behaviour[]): ChatReply {
  const active = new Set(behaviours);
  const format = request.response_format as { type?: string } | undefined;
  if (active.has('no_json_schema') && format?.type === 'json_schema') {
    return apiError(
      400,
      "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model. (simulated by the local misbehaving stand-in)",
      { type: 'invalid_request_error', param: 'response_format', code: null },
    );
  }
  const plan = planAnswer(request);
  // Different behaviours make different answers to the same request.
  const seed = hash(`${plan.seed}:${[...active].sort().join(',')}`);
  if (active.has('refusal')) {
    return derive(seed, 'refusal') % 2 === 0
      ? completion(request, MISBEHAVING_MODEL, { content: null, refusal: REFUSAL_TEXT })
      : completion(request, MISBEHAVING_MODEL, { content: REFUSAL_TEXT });
  }
  const value = new MisbehavingFiller(plan.schema, plan.prompt, active.size === 0 ? plan.seed : seed, active).fillRoot();
  let content = active.has('prose_around_json')
    ? `Sure! Here is the JSON you asked for:\n\`\`\`json\n${JSON.stringify(value, null, 2)}\n\`\`\`\nLet me know if you would like me to change anything.`
    : JSON.stringify(value);
  let finish: 'stop' | 'length' = 'stop';
  if (active.has('truncated_json')) {
    const at = clamp(Math.floor(content.length * (0.4 + (derive(seed, 'cut') % 40) / 100)), 1, Math.max(1, content.length - 1));
    content = content.slice(0, at);
    finish = derive(seed, 'finish') % 2 === 0 ? 'length' : 'stop';
  }
  return completion(request, MISBEHAVING_MODEL, { content }, finish);
}

export async function startMisbehavingAi(opts: { host?: string; port?: number } = {}): Promise<MisbehavingAi> {
  let standing: Behaviour[] = [];
  let temporary: { behaviours: Behaviour[]; remaining: number } | null = null;

  const next = (): Behaviour[] => {
    if (!temporary) return standing;
    const { behaviours } = temporary;
    if (--temporary.remaining <= 0) temporary = null;
    return behaviours;
  };

  const server = await startChatServer({
    host: opts.host,
    port: opts.port,
    model: MISBEHAVING_MODEL,
    who: 'local misbehaving stand-in AI',
    answer: (request) => answer(request, next()),
  });

  return {
    baseUrl: server.baseUrl,
    model: MISBEHAVING_MODEL,
    use(behaviours, useOpts) {
      for (const b of behaviours) if (!BEHAVIOURS.includes(b)) throw new Error(`Unknown behaviour "${String(b)}"; known: ${BEHAVIOURS.join(', ')}`);
      if (useOpts?.times === undefined) {
        standing = [...behaviours];
        temporary = null;
      } else {
        temporary = useOpts.times > 0 ? { behaviours: [...behaviours], remaining: useOpts.times } : null;
      }
    },
    received: server.received,
    requests: server.requests,
    stop: server.stop,
  };
}
