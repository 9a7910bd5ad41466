import * as cheerio from 'cheerio';
import type { CleanPage } from './corpus.js';
import { prune } from './clean-dom.js';
import type { DomNode } from './clean-dom-node.js';
import { hiddenByStylesheet } from './clean-hidden.js';
import { detectLanguage } from './language.js';
import { blockText, collapse, flatText } from './clean-text.js';
import { jsonLdSummary, parseState, stateText } from './clean-structured.js';

/**
 * The cleaner's version. Raise it with every change of cleanPage's output: pages cached with text
 * cleaned by another version are cleaned again rather than served as old text.
 * 1: the first cleaner. 2: (reserved by the cache work). 3: main-content detection measured on
 * eval/ (boilerplate inside the content area, hidden text, form sentences, ruby, JS shells,
 * JSON-LD summary). 4: noscript text of JS shells cleaned like the page; modifier class names
 * (has-sidebar, td_with_ajax_pagination) and layout offsets (margin-left:-100px) no longer remove
 * content. 5: a bare row of links in the content (no list or nav around it) is left out. 6: the
 * language is judged in pieces of the text, so a wrong <html lang> no longer wins on a long page.
 * 7: code blocks and terminal output (<pre>) and Disqus's "blog comments powered by" are left out.
 * 8: an unnamed list of a post's tags or categories leaves the text for `tags`. 9: a sentence a
 * <br> cuts in two lines is one line.
 */
export const CLEANER_VERSION = 9;

type CheerioRoot = cheerio.CheerioAPI;

/**
 * htmlparser2 rather than parse5: about four times faster on real pages, and as good for reading
 * text (eval/README.md). `xml` with `xmlMode: false` is cheerio's switch to it in HTML mode.
 */
const PARSE_OPTIONS = { xml: { xmlMode: false, decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true } } as const;

// Characters nobody sees: zero-width spaces and joiners' misuse, direction overrides, soft hyphens,
// Unicode tag characters (used to smuggle invisible instructions into text). ZWNJ and ZWJ stay:
// Persian, Indic scripts and emoji need them.
// eslint-disable-next-line no-misleading-character-class
const INVISIBLE = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180E\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFEFF\uFFA0\u{E0000}-\u{E007F}]/gu;
// A line worth reading has a letter, a digit or a currency sign.
const MEANINGFUL = /[\p{L}\p{N}\p{Sc}]/u;

// Pages that render in the browser: an app root, an embedded state, a noscript asking for JavaScript.
const APP_ROOT = '#__next, #root, #app, #__nuxt, #___gatsby, #svelte, app-root, [ng-app], [data-reactroot], [data-server-rendered]';
const STATE_SCRIPTS =
  'script#__NEXT_DATA__, script#__NUXT_DATA__, script[type="application/json"], script#__APOLLO_STATE__, script[data-state], script#initial-state';
const STATE_ASSIGNMENT = /window\.(?:__NUXT__|__INITIAL_STATE__|__PRELOADED_STATE__|__APOLLO_STATE__|__APP_STATE__|__DATA__)\s*=/;
const NEEDS_JAVASCRIPT = /enable javascript|javascript (?:is )?(?:disabled|required|must be enabled)|requires? javascript|turn on javascript|activate javascript|javascript aktivieren|browser does not support javascript/i;
/** Below this many characters of visible text, a page with the marks of an app is an empty shell. */
const SHELL_MAX_CHARS = 300;

function jsonLdBlocks($: CheerioRoot): unknown[] {
  const blocks: unknown[] = [];
  $('script[type="application/ld+json" i]').each((_, el) => {
    // Some CMSs wrap the JSON in a CDATA section or an HTML comment.
    const raw = $(el)
      .text()
      .trim()
      .replace(/^(<!--|<!\[CDATA\[)/, '')
      .replace(/(-->|\]\]>)$/, '');
    try {
      const parsed: unknown = JSON.parse(raw);
      if (Array.isArray(parsed)) blocks.push(...(parsed as unknown[]));
      else if (parsed !== null) blocks.push(parsed);
    } catch {
      // invalid JSON-LD is common and harmless: the page text still says what it says
    }
  });
  return blocks;
}

function metaContent($: CheerioRoot, ...selectors: string[]): string {
  for (const selector of selectors) {
    const value = collapse($(selector).first().attr('content') ?? '');
    if (value) return value.replace(INVISIBLE, '');
  }
  return '';
}

const OPEN_GRAPH_KEYS: Record<string, string> = {
  'og:title': 'title',
  'og:description': 'description',
  'og:type': 'type',
  'og:site_name': 'siteName',
  'og:locale': 'locale',
  'og:price:amount': 'priceAmount',
  'og:price:currency': 'priceCurrency',
  'product:price:amount': 'priceAmount',
  'product:price:currency': 'priceCurrency',
};

function openGraph($: CheerioRoot): Record<string, string> {
  const og: Record<string, string> = {};
  $('meta[property], meta[name]').each((_, el) => {
    const key = OPEN_GRAPH_KEYS[($(el).attr('property') ?? $(el).attr('name') ?? '').toLowerCase()];
    const value = collapse($(el).attr('content') ?? '').replace(INVISIBLE, '');
    if (key && value && !og[key]) og[key] = value;
  });
  return og;
}

function declaredLanguage($: CheerioRoot): string | undefined {
  const raw =
    $('html').attr('lang') ??
    $('html').attr('xml:lang') ??
    $('meta[http-equiv="content-language" i]').attr('content') ??
    '';
  const primary = raw.trim().toLowerCase().split(/[-_,;\s]/)[0] ?? '';
  return /^[a-z]{2}$/.test(primary) ? primary : undefined;
}

/**
 * Lines as a person reads them: invisible characters gone, lines without a word or a number gone,
 * and blocks the page repeats (a desktop and a mobile copy of the same menu or feature list)
 * kept once.
 */
function tidyLines(text: string): string[] {
  const lines: string[] = [];
  for (const raw of text.split('\n')) {
    const line = collapse(raw.replace(INVISIBLE, ''));
    if (line && MEANINGFUL.test(line) && lines[lines.length - 1] !== line) lines.push(line);
  }
  // A repeated run of three lines or more, or a repeated long line, is a copy.
  const firstAt = new Map<string, number>();
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const earlier = firstAt.get(line);
    if (earlier !== undefined) {
      let run = 0;
      while (i + run < lines.length && earlier + run < i && lines[earlier + run] === lines[i + run]) run++;
      if (run >= 3 || line.length >= 80) {
        i += Math.max(run, 1) - 1;
        continue;
      }
    } else firstAt.set(line, i);
    out.push(line);
  }
  return out;
}

interface ShellEvidence {
  states: unknown[];
  /** <noscript> elements with something to say (not "please enable JavaScript"). */
  noscript: DomNode[];
  marks: string[];
}

/** Read before pruning: what a page that renders in the browser carries for readers without JavaScript. */
function shellEvidence($: CheerioRoot): ShellEvidence {
  const states: unknown[] = [];
  const marks: string[] = [];
  $(STATE_SCRIPTS).each((_, el) => {
    const id = $(el).attr('id');
    const state = parseState($(el).text());
    if (state !== undefined) {
      states.push(state);
      marks.push(id ? `#${id}` : 'JSON data script');
    }
  });
  $('script:not([src])').each((_, el) => {
    const code = $(el).text();
    if (!STATE_ASSIGNMENT.test(code)) return;
    const state = parseState(code.slice(code.search(STATE_ASSIGNMENT)).replace(STATE_ASSIGNMENT, ''));
    if (state !== undefined) {
      states.push(state);
      marks.push(STATE_ASSIGNMENT.exec(code)![0].replace(/\s*=$/, ''));
    }
  });
  const noscript: DomNode[] = [];
  let asksForJavaScript = false;
  $('noscript').each((_, el) => {
    const text = flatText(el as unknown as DomNode);
    if (NEEDS_JAVASCRIPT.test(text)) asksForJavaScript = true;
    else if (text.length >= 20) noscript.push(el as unknown as DomNode);
  });
  if (noscript.length > 0) marks.push('noscript');
  if (asksForJavaScript) marks.push('a noscript asking for JavaScript');
  if ($(APP_ROOT).length > 0) marks.push('an app root element');
  return { states, noscript, marks };
}

/**
 * Reduces a fetched page to what says something about the company: title, meta description,
 * OpenGraph, headings, the facts of its JSON-LD and the visible main text, without scripts,
 * styles, site chrome (nav, page header and footer, sidebars, menus), consent banners, forms,
 * related posts, comments, share and tag lists, and anything hidden from people. A page that is an
 * empty JavaScript shell gets the text of its embedded state and noscript, and `limited`.
 */
export function cleanPage(html: string, url: string): CleanPage {
  const $ = cheerio.load(html, PARSE_OPTIONS);
  // Read before pruning removes every <script>, <style> and <head>.
  const jsonLd = jsonLdBlocks($);
  const description = metaContent($, 'meta[name="description" i]', 'meta[property="og:description"]', 'meta[name="twitter:description"]');
  const og = openGraph($);
  const declared = declaredLanguage($);
  const headTitle = collapse($('title').first().text()).replace(INVISIBLE, '') || og.title || '';
  const css = $('style')
    .toArray()
    .map((el) => $(el).text())
    .join('\n')
    .slice(0, 500_000);
  const { classes: hiddenClasses, ids: hiddenIds } = hiddenByStylesheet(css);
  const shell = shellEvidence($);

  const body = ($('body').get(0) ?? $.root().get(0)) as unknown as DomNode;
  const tags: string[] = [];
  const scope = prune(body, { title: headTitle, hiddenClasses, hiddenIds, tags });

  const headings: string[] = [];
  let firstH1 = '';
  const rawText = blockText(scope, (level, node) => {
    const heading = collapse(flatText(node).replace(INVISIBLE, ''));
    if (!heading) return;
    if (level === 1 && !firstH1) firstH1 = heading;
    if (!headings.includes(heading)) headings.push(heading);
  });
  let lines = tidyLines(rawText);

  let limited: { reason: string } | undefined;
  const visibleChars = lines.reduce((n, l) => n + l.length, 0);
  if (visibleChars < SHELL_MAX_CHARS && shell.marks.length > 0) {
    // A noscript's markup is cleaned like the page's own: it has menus and hidden text too.
    const ctx = { title: headTitle, hiddenClasses, hiddenIds };
    const fromNoscript = shell.noscript.map((el) => blockText({ type: 'root', children: prune(el, ctx).children ?? [] })).filter(Boolean);
    const recovered = [...fromNoscript, ...shell.states.flatMap((s) => stateText(s))];
    const from = [...new Set(shell.marks)].join(', ');
    limited = {
      reason:
        recovered.length > 0
          ? `JavaScript shell: ${visibleChars} characters of text without running scripts; text recovered from ${from}`
          : `JavaScript shell: ${visibleChars} characters of text without running scripts, nothing to recover (${from})`,
    };
    lines = tidyLines([...lines, ...recovered].join('\n'));
  }

  const text = lines.join('\n');
  const title = headTitle || firstH1;
  const summary = jsonLdSummary(jsonLd);
  return {
    url,
    title,
    description,
    headings,
    text,
    jsonLd,
    language: detectLanguage(text, declared),
    ...(summary ? { summary } : {}),
    ...(tags.length > 0 ? { tags } : {}),
    ...(Object.keys(og).length > 0 ? { openGraph: og } : {}),
    ...(limited ? { limited: true, limitedReason: limited.reason } : {}),
    cleanerVersion: CLEANER_VERSION,
  };
}
