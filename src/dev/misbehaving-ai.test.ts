import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BEHAVIOURS, GENERIC_LABELS, INVENTED_FIGURES, INVENTED_NAMES, NON_ANSWERS, startMisbehavingAi, type Behaviour, type MisbehavingAi } from './misbehaving-ai.js';

// The prompt is written out literally, in the product's format: the stand-in must read it as any
// model would, and each test shows one mistake a real model makes.

const PAGES = [
  {
    url: 'https://acme.test/',
    title: 'Acme Invoicing',
    passages: [
      ['p1.1', 'Acme Invoicing helps freelancers send professional invoices in under a minute.'],
      ['p1.2', 'Small agencies use Acme to track billable hours across clients and projects.'],
      ['p1.3', "Get paid faster: every invoice carries a \"Pay now\" link, and it's free for e-mail reminders."],
    ],
  },
  {
    url: 'https://acme.test/pricing',
    title: 'Pricing',
    passages: [
      ['p2.1', 'The Solo plan costs 9 euros per month and includes unlimited invoices.'],
      ['p2.2', 'Agency Plus adds team seats, client portals and priority support for growing studios.'],
    ],
  },
  {
    url: 'https://www.acme.test/about/',
    title: 'About us',
    passages: [['p3.1', 'Acme was founded in Berlin in 2019 by two designers who hated chasing late payments...']],
  },
] as const;

const IDS: string[] = PAGES.flatMap((p) => p.passages.map(([id]) => id));
const PASSAGES = PAGES.flatMap((page) => page.passages.map(([id, text]) => ({ id, text: text as string, url: page.url as string })));
const PAGE_URLS: string[] = PAGES.map((p) => p.url);

const SYSTEM = [
  'You are a B2B marketing analyst building customer personas from a company website.',
  'Base every statement on the website text.',
  'To give evidence, cite the IDs of the numbered passages that support a statement; never copy or invent quotes.',
  'Answer only with JSON that matches the given schema.',
].join(' ');

const SITE = [
  'Website: https://acme.test/ (acme.test)',
  "The website's text as numbered passages. Cite passages by their ID.",
  '',
  PAGES.map((page, i) => [`Page ${i + 1}: ${page.url}`, `Page title: ${page.title}`, ...page.passages.map(([id, text]) => `[${id}] ${text}`)].join('\n')).join(
    '\n\n',
  ),
].join('\n');

const TASK = [
  'Task: write exactly 2 distinct customer personas of this company, each with a name, a role and goals.',
  'Write in: en (ISO 639-1 code). Write every text field in this language.',
  'Research notes (JSON): {"segments":[{"name":"Agencies","evidence":["p1.2"]},{"name":"Freelancers","evidence":["p1.1"]}]}',
].join('\n');

const PROMPT_TEXT = [SYSTEM, SITE, TASK].join('\n');

function messages(extra: string[] = []): OpenAI.Chat.ChatCompletionMessageParam[] {
  return [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: SITE },
    { role: 'user', content: [TASK, ...extra].join('\n') },
  ];
}

const evidence = z.array(z.enum(IDS as [string, ...string[]])).min(1).max(3);
const claim = z.object({ text: z.string().min(1), evidence });
const persona = z.object({ name: z.string(), role: z.string(), goals: z.array(claim).min(1).max(3), profileUrl: z.string() });
const schema = z.object({ summary: claim, personas: z.array(persona).min(2).max(3) });
type Answer = z.infer<typeof schema>;
const FORMAT = zodResponseFormat(schema, 'personas');

let ai: MisbehavingAi;
let client: OpenAI;

/** One request; `format: null` sends no response_format (text mode). */
async function raw(extra: string[] = [], format: OpenAI.Chat.ChatCompletionCreateParams['response_format'] | null = FORMAT) {
  const completion = await client.chat.completions.create({ model: 'any-model', messages: messages(extra), ...(format ? { response_format: format } : {}) });
  return { completion, choice: completion.choices[0]!, content: completion.choices[0]!.message.content };
}

/** One request with the behaviour, the JSON answer parsed (but not validated: it is meant to be wrong). */
/** Some sentence fields are the embellishment alone, some an answer with it added; the others (labels, URLs) are left alone. */
async function expectEmbellished(behaviours: Behaviour[], made: readonly string[]): Promise<void> {
  const answer = await answerWith(behaviours);
  const strings = fieldStrings(answer);
  const embellished = strings.filter(({ text }) => made.some((m) => text.endsWith(m)));
  expect(embellished.some(({ text }) => made.includes(text))).toBe(true);
  expect(embellished.some(({ text }) => !made.includes(text))).toBe(true);
  for (const { key, text } of strings) {
    if (embellished.some((w) => w.text === text) || /url$/i.test(key)) continue;
    expect(inPassage(text), `${key}: ${text}`).toBe(true);
  }
  expectValidEvidence(answer);
}

async function answerWith(behaviours: Behaviour[], extra: string[] = []): Promise<Record<string, unknown>> {
  ai.use(behaviours, { times: 1 });
  const { completion, content } = await raw(extra);
  expect(completion.model).toBe('local-stand-in-misbehaving');
  return JSON.parse(content!) as Record<string, unknown>;
}

/** Strings of an answer outside evidence arrays, with their key. */
function fieldStrings(value: unknown, key = ''): { key: string; text: string }[] {
  if (key === 'evidence') return [];
  if (typeof value === 'string') return [{ key, text: value }];
  if (Array.isArray(value)) return value.flatMap((v) => fieldStrings(v, key));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => fieldStrings(v, k));
  return [];
}

/** Every evidence array of an answer. */
function evidenceArrays(value: unknown): unknown[][] {
  if (Array.isArray(value)) return value.flatMap(evidenceArrays);
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => (k === 'evidence' && Array.isArray(v) ? [v] : evidenceArrays(v)));
}

type Quote = { quote: string; sourceUrl?: string };
function quotes(answer: unknown): Quote[] {
  return evidenceArrays(answer)
    .flat()
    .map((item) => {
      if (typeof item === 'string') return { quote: item };
      expect(item).toEqual({ quote: expect.any(String), sourceUrl: expect.any(String) });
      return item as Quote;
    });
}

const JUNK = /^\d_[0-9a-z]{22}$|^[^\p{L}]+$|^\p{L}$|^<\/?[a-z]+[^>]*>$|^\{"/u;
const inPassage = (text: string) => PASSAGES.some((p) => p.text.includes(text));
const passageOf = (quote: string) => PASSAGES.find((p) => p.text.includes(quote));
const fold = (s: string) =>
  s
    .replace(/[‘’]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/[–—]/g, '-')
    .replace(/…/g, '...')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^["']|["']$/g, '')
    .toLowerCase();
function normalizeUrl(url: string): string {
  const u = new URL(url);
  u.hash = '';
  u.search = '';
  u.hostname = u.hostname.replace(/^www\./, '');
  return u.toString().replace(/\/$/, '');
}

/** Evidence stays valid and cooperative: for the string mistakes, which must be isolated. */
function expectValidEvidence(answer: unknown): void {
  const arrays = evidenceArrays(answer);
  expect(arrays.length).toBeGreaterThan(2);
  for (const ids of arrays) for (const id of ids) expect(IDS).toContain(id);
}

function expectCooperative(answer: unknown): Answer {
  const parsed = schema.parse(answer);
  expectValidEvidence(parsed);
  for (const { key, text } of fieldStrings(parsed)) {
    if (/url$/i.test(key)) expect(PAGE_URLS).toContain(text);
    else expect(inPassage(text), `${key}: ${text}`).toBe(true);
  }
  return parsed;
}

beforeAll(async () => {
  ai = await startMisbehavingAi();
  client = new OpenAI({ apiKey: 'not-needed', baseURL: ai.baseUrl, maxRetries: 0 });
});

beforeEach(() => {
  ai.use([]);
});

afterAll(async () => {
  await ai?.stop();
});

/** One check per behaviour: a behaviour without one fails to typecheck. */
const SHOWS: Record<Behaviour, () => Promise<void>> = {
  async any_prompt_sentence() {
    const answer = await answerWith(['any_prompt_sentence']);
    const strings = fieldStrings(answer);
    expect(strings.length).toBeGreaterThan(5);
    for (const { text } of strings) {
      expect(PROMPT_TEXT, text).toContain(text);
      expect(inPassage(text), text).toBe(false);
    }
    // It copies what a weak model copies: headers, titles, tagged lines, rules, notes.
    const all = strings.map((s) => s.text).join('\n');
    expect(all).toMatch(/Page \d+: https?:|Page title:|\[p\d+\.\d+\]|Website:|Task:|Write in:|"segments"|"name"|passages|JSON/);
    expectValidEvidence(answer);
  },

  async instruction_text() {
    const answer = await answerWith(['instruction_text']);
    const instructions = [SYSTEM, SITE.split('\n')[1]!, TASK].join('\n');
    for (const { key, text } of fieldStrings(answer)) {
      if (/url$/i.test(key)) continue;
      expect(instructions, text).toContain(text);
      expect(inPassage(text), text).toBe(false);
    }
    expectValidEvidence(answer);
  },

  async placeholders() {
    const answer = await answerWith(['placeholders']);
    for (const { text } of fieldStrings(answer)) {
      expect(text).toMatch(/^TODO$|\[insert |Lorem ipsum|^N\/A$|^Persona \d+$|^Customer [A-Z]$|example\.com/);
    }
    expectValidEvidence(answer);
  },

  async non_answers() {
    const answer = await answerWith(['non_answers']);
    const strings = fieldStrings(answer).filter(({ key }) => !/url$/i.test(key));
    const whole = strings.filter(({ text }) => [...NON_ANSWERS.label, ...NON_ANSWERS.sentence].includes(text));
    const opened = strings.filter(({ text }) => NON_ANSWERS.openings.some((o) => text.startsWith(o)));
    // Every field is one or the other, and both kinds occur.
    expect(whole.length + opened.length).toBe(strings.length);
    expect(whole.length).toBeGreaterThan(0);
    expect(opened.length).toBeGreaterThan(0);
    // Behind the opening, the passage's words the answer would have had.
    for (const { text } of opened) {
      const rest = text.replace(/^[^,]+, /, '');
      expect(inPassage(rest.charAt(0).toUpperCase() + rest.slice(1)) || inPassage(rest), text).toBe(true);
    }
    expectValidEvidence(answer);
  },

  async invented_figures() {
    await expectEmbellished(['invented_figures'], INVENTED_FIGURES);
  },

  async invented_names() {
    await expectEmbellished(['invented_names'], INVENTED_NAMES);
  },

  async generic_labels() {
    const answer = await answerWith(['generic_labels']);
    const strings = fieldStrings(answer);
    // Names and roles (labels) are stock product names; the goals (sentences) the site's words.
    const labels = strings.filter((s) => s.key === 'name' || s.key === 'role');
    expect(labels.length).toBeGreaterThan(0);
    for (const { text } of labels) expect(GENERIC_LABELS).toContain(text);
    for (const { key, text } of strings.filter((s) => s.key === 'text')) expect(inPassage(text), `${key}: ${text}`).toBe(true);
    expectValidEvidence(answer);
  },

  async junk() {
    const answer = await answerWith(['junk']);
    for (const { text } of fieldStrings(answer)) {
      expect(text).toMatch(JUNK);
    }
    expectValidEvidence(answer);
  },

  async quotes_not_ids() {
    const answer = await answerWith(['quotes_not_ids']);
    const all = quotes(answer);
    expect(all.length).toBeGreaterThan(2);
    for (const q of all) {
      expect(IDS).not.toContain(q.quote);
      const passage = passageOf(q.quote);
      expect(passage, q.quote).toBeDefined();
      if (q.sourceUrl !== undefined) expect(q.sourceUrl).toBe(passage!.url);
    }
  },

  async paraphrased_quotes() {
    const answer = await answerWith(['paraphrased_quotes']);
    const all = quotes(answer);
    expect(all.length).toBeGreaterThan(2);
    for (const q of all) {
      expect(PASSAGES.some((p) => fold(p.text).includes(fold(q.quote))), q.quote).toBe(false);
      // Still recognisably the passage: most of its words are there.
      const words = fold(q.quote).split(' ');
      const best = Math.max(...PASSAGES.map((p) => words.filter((w) => fold(p.text).includes(w)).length / words.length));
      expect(best, q.quote).toBeGreaterThan(0.5);
    }
  },

  async merged_quotes() {
    const answer = await answerWith(['merged_quotes']);
    const all = quotes(answer);
    expect(all.length).toBeGreaterThan(2);
    for (const q of all) {
      expect(inPassage(q.quote), q.quote).toBe(false);
      const contained = PASSAGES.filter((p) => q.quote.includes(p.text));
      expect(contained.length, q.quote).toBeGreaterThanOrEqual(2);
    }
  },

  async typographic_quotes() {
    const answer = await answerWith(['typographic_quotes']);
    const all = quotes(answer);
    expect(all.length).toBeGreaterThan(2);
    for (const q of all) {
      expect(inPassage(q.quote), q.quote).toBe(false);
      expect(PASSAGES.some((p) => fold(p.text).includes(fold(q.quote))), q.quote).toBe(true);
    }
    // Over several requests every typographic change shows up.
    const more: string[] = [];
    for (let i = 0; i < 6; i++) more.push(...quotes(await answerWith(['typographic_quotes'], [`Variant ${i}.`])).map((q) => q.quote));
    const text = [...all.map((q) => q.quote), ...more].join('\n');
    expect(text).toMatch(/[“”]/);
    expect(text).toMatch(/\S {2}\S/);
    expect(text).toMatch(/[–—]|…|’/);
  },

  async wrong_page() {
    const answer = await answerWith(['wrong_page']);
    const all = quotes(answer);
    expect(all.length).toBeGreaterThan(2);
    for (const q of all) {
      const passage = passageOf(q.quote);
      expect(passage, q.quote).toBeDefined();
      expect(PAGE_URLS).toContain(q.sourceUrl);
      expect(q.sourceUrl).not.toBe(passage!.url);
    }
  },

  async url_variants() {
    const answer = await answerWith(['url_variants']);
    const all = quotes(answer);
    expect(all.length).toBeGreaterThan(2);
    for (const q of all) {
      const passage = passageOf(q.quote)!;
      expect(passage, q.quote).toBeDefined();
      expect(PAGE_URLS).not.toContain(q.sourceUrl);
      expect(normalizeUrl(q.sourceUrl!)).toBe(normalizeUrl(passage.url));
    }
  },

  async invented_urls() {
    const answer = await answerWith(['invented_urls']);
    const all = quotes(answer);
    expect(all.length).toBeGreaterThan(2);
    for (const q of all) {
      expect(q.sourceUrl).toMatch(/^https:\/\//);
      expect(PROMPT_TEXT).not.toContain(q.sourceUrl);
      expect(inPassage(q.quote)).toBe(false);
    }
  },

  async careless_citations() {
    // Each claim's text is a passage sentence (as the cooperative answer's); the citations ignore it.
    const cited = (answer: Answer) =>
      [answer.summary, ...answer.personas.flatMap((p) => p.goals)].map((c) => ({ source: PASSAGES.find((p) => p.text.includes(c.text))?.id, evidence: c.evidence }));
    const careless = cited((await answerWith(['careless_citations'])) as Answer);
    expect(careless.every((c) => c.source !== undefined && c.evidence.every((id) => IDS.includes(id)))).toBe(true);
    const elsewhere = careless.filter((c) => !c.evidence.includes(c.source!));
    expect(elsewhere.length).toBeGreaterThan(careless.length / 2);
    // Control: the cooperative answer cites the passage each text came from.
    for (const c of cited((await answerWith([])) as Answer)) expect(c.evidence).toContain(c.source);
  },

  async unknown_ids() {
    const answer = await answerWith(['unknown_ids']);
    const ids = evidenceArrays(answer).flat() as string[];
    const unknown = ids.filter((id) => !IDS.includes(id));
    expect(unknown.length).toBeGreaterThan(0);
    expect(ids.length - unknown.length).toBeGreaterThan(0);
    for (const id of ids) expect(typeof id).toBe('string');
    expect(unknown.join(' ')).toMatch(/p99\.\d|^\d|\s\d|passage-|p\d+\.\d+/);
  },

  async duplicate_personas() {
    const answer = (await answerWith(['duplicate_personas'])) as Answer;
    expect(answer.personas.length).toBeGreaterThanOrEqual(2);
    for (const p of answer.personas) expect(p).toEqual(answer.personas[0]);
    expect(schema.safeParse(answer).success).toBe(true);
  },

  async renamed_duplicates() {
    const answer = (await answerWith(['renamed_duplicates'])) as Answer;
    const [first, ...copies] = answer.personas;
    expect(copies.length).toBeGreaterThanOrEqual(1);
    for (const copy of copies) {
      // Names of their own, ...
      expect(copy.name).not.toBe(first!.name);
      expect(copy.role).not.toBe(first!.role);
      // ... the first's goals, copied or reworded, and its evidence.
      expect(copy.goals.map((g) => g.evidence)).toEqual(first!.goals.map((g) => g.evidence));
      copy.goals.forEach((g, i) => {
        const words = (t: string) => new Set(t.toLowerCase().match(/\p{L}+/gu));
        const theirs = words(first!.goals[i]!.text);
        expect([...words(g.text)].filter((w) => theirs.has(w)).length).toBeGreaterThanOrEqual(theirs.size - 3);
      });
    }
    expect(copies.flatMap((c) => c.goals).some((g, i) => g.text !== first!.goals[i % first!.goals.length]!.text)).toBe(true);
    expect(schema.safeParse(answer).success).toBe(true);
  },

  async truncated_json() {
    const finishes = new Set<string>();
    for (let i = 0; i < 8; i++) {
      ai.use(['truncated_json'], { times: 1 });
      const { choice, content } = await raw([`Variant ${i}.`]);
      expect(() => JSON.parse(content!)).toThrow(SyntaxError);
      expect(content).toMatch(/^\{"/);
      finishes.add(choice.finish_reason);
    }
    expect([...finishes].sort()).toEqual(['length', 'stop']);
  },

  async prose_around_json() {
    ai.use(['prose_around_json'], { times: 1 });
    const { content } = await raw();
    expect(content).toMatch(/^Sure! Here is the JSON you asked for:\n```json\n/);
    expect(content).toMatch(/```\nLet me know if/);
    expect(() => JSON.parse(content!)).toThrow();
    const inner = /```json\n([\s\S]*?)\n```/.exec(content!)![1]!;
    expectCooperative(JSON.parse(inner));
  },

  async refusal() {
    const forms = new Set<string>();
    for (let i = 0; i < 6; i++) {
      ai.use(['refusal'], { times: 1 });
      const { choice } = await raw([`Variant ${i}.`]);
      if (choice.message.refusal !== null) {
        expect(choice.message.refusal).toBe("I'm sorry, I can't help with that.");
        expect(choice.message.content).toBeNull();
        forms.add('refusal');
      } else {
        expect(choice.message.content).toBe("I'm sorry, I can't help with that.");
        expect(() => JSON.parse(choice.message.content!)).toThrow();
        forms.add('content');
      }
      expect(choice.finish_reason).toBe('stop');
    }
    expect([...forms].sort()).toEqual(['content', 'refusal']);
  },

  async no_json_schema() {
    ai.use(['no_json_schema']);
    const failure = await raw().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((failure as InstanceType<typeof OpenAI.APIError>).message).toMatch(/response_format.*json_schema.*not supported/);
    expect((failure as InstanceType<typeof OpenAI.APIError>).param).toBe('response_format');
    // json_object with the schema in the prompt, and plain text, are served.
    const inPrompt = `Answer with a single JSON object and nothing else. It must match this JSON schema:\n${JSON.stringify(FORMAT.json_schema.schema)}`;
    const objectMode = await raw([inPrompt], { type: 'json_object' });
    expectCooperative(JSON.parse(objectMode.content!));
    const textMode = await raw([inPrompt], null);
    expect(ai.received().at(-1)!.response_format).toBeUndefined();
    expectCooperative(JSON.parse(textMode.content!));
  },
};

describe('local misbehaving stand-in AI', () => {
  it('lists its one model on 127.0.0.1', async () => {
    expect(ai.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(ai.model).toBe('local-stand-in-misbehaving');
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(['local-stand-in-misbehaving']);
  });

  it('has a test for every behaviour', () => {
    expect(Object.keys(SHOWS).sort()).toEqual([...BEHAVIOURS].sort());
  });

  it.each(BEHAVIOURS)('%s: makes the mistake', async (behaviour) => {
    await SHOWS[behaviour]();
  });

  it('answers cleanly with no behaviours: schema-following, passage text and existing IDs only', async () => {
    const first = await answerWith([]);
    expectCooperative(first);
    // Deterministic.
    expect(await answerWith([])).toEqual(first);
  });

  it('is deterministic with behaviours too', async () => {
    for (const b of ['any_prompt_sentence', 'paraphrased_quotes', 'unknown_ids'] as const) {
      expect(await answerWith([b])).toEqual(await answerWith([b]));
    }
  });

  it('combines behaviours', async () => {
    const answer = await answerWith(['placeholders', 'unknown_ids', 'duplicate_personas']);
    const personas = (answer as Answer).personas;
    for (const p of personas) expect(p).toEqual(personas[0]);
    expect(fieldStrings(answer).some((s) => /TODO|Lorem|insert|N\/A|Persona|Customer|example/.test(s.text))).toBe(true);
    expect((evidenceArrays(answer).flat() as string[]).some((id) => !IDS.includes(id))).toBe(true);
  });

  it('applies `times` behaviours to that many requests, then the standing ones again', async () => {
    ai.use(['junk']);
    ai.use(['placeholders'], { times: 2 });
    for (let i = 0; i < 2; i++) {
      const { content } = await raw([`Round ${i}.`]);
      expect(fieldStrings(JSON.parse(content!)).every((s) => /^TODO$|\[insert |Lorem ipsum|^N\/A$|^Persona \d+$|^Customer [A-Z]$|example\.com/.test(s.text))).toBe(true);
    }
    const junk = JSON.parse((await raw()).content!) as unknown;
    expect(fieldStrings(junk).some((s) => /^TODO$|Lorem/.test(s.text))).toBe(false);
    expect(fieldStrings(junk).every((s) => JUNK.test(s.text))).toBe(true);
    ai.use([]);
    expectCooperative(JSON.parse((await raw()).content!));
    ai.use(['refusal'], { times: 1 });
    await raw();
    expectCooperative(JSON.parse((await raw()).content!));
  });

  it('keeps every request it received and counts them', async () => {
    const before = ai.requests();
    const seen = ai.received().length;
    ai.use(['no_json_schema'], { times: 1 });
    await raw().catch(() => undefined);
    await client.chat.completions.create({ model: 'second', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 });
    expect(ai.requests() - before).toBe(2);
    const received = ai.received().slice(seen);
    expect(received.map((r) => r.model)).toEqual(['any-model', 'second']);
    expect(received[0]!.response_format).toMatchObject({ type: 'json_schema' });
    expect(received[1]!.max_tokens).toBe(10);
  });

  it('refuses unknown behaviours', () => {
    expect(() => ai.use(['sarcasm' as Behaviour])).toThrow(/Unknown behaviour/);
  });
});
