import * as cheerio from 'cheerio';
import { francAll } from 'franc-min';
import type { CleanPage } from './corpus.js';
import { data as francData } from 'franc-min/data.js';
import { expressions as francExpressions } from 'franc-min/expressions.js';
import { iso6393To1 } from 'iso-639-3';

type CheerioRoot = cheerio.CheerioAPI;
// domhandler's node types, taken from cheerio's own API rather than a transitive dependency.
type Element = Parameters<typeof cheerio.contains>[0];

// Never visible text.
const NON_CONTENT = 'script, style, noscript, svg, iframe, template, object, embed, canvas, select, textarea, datalist, map, head';

// Site chrome, repeated on every page: it says nothing about this page.
const BOILERPLATE =
  'nav, aside, dialog, [role="navigation"], [role="complementary"], [role="search"], [role="dialog"], [role="alertdialog"], [aria-modal="true"]';

const HIDDEN = '[hidden], [aria-hidden="true"], input[type="hidden"]';
const HIDDEN_STYLE = /(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\s*(?:!important)?\s*(?:;|$)/i;

// Consent banners, by their usual names (OneTrust, Cookiebot, cookieconsent, CMPs) ...
const CONSENT_NAME = /cookie|consent|gdpr|onetrust|cookiebot|(^|[\s_-])cmp([\s_-]|$)|cc-window|cc-banner/i;
// ... or by what they say: a short block about cookies that asks to accept.
const CONSENT_TEXT = /cookie/i;
const CONSENT_ACTION = /accept|agree|allow all|got it|einverstanden|akzeptieren|zustimmen|alle zulassen|accepter|aceptar|accetta/i;
const CONSENT_MAX_CHARS = 1500;

const MENU_MIN_LINKS = 8;
const MENU_MAX_LINK_CHARS = 30;

// Elements that start a new line of text; everything else flows inline.
const BLOCK_TAGS = new Set([
  'address', 'article', 'aside', 'blockquote', 'br', 'caption', 'dd', 'details', 'dialog', 'div', 'dl', 'dt',
  'fieldset', 'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr',
  'legend', 'li', 'main', 'nav', 'ol', 'p', 'pre', 'section', 'summary', 'table', 'tbody', 'td', 'tfoot', 'th',
  'thead', 'tr', 'ul', 'body', 'html',
]);

const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();

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
    if (value) return value;
  }
  return '';
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

/** Whether a top-level page header is site chrome (logo and menu) rather than a hero with the pitch. */
function isChromeHeader(header: cheerio.Cheerio<Element>): boolean {
  if (header.find('nav, [role="navigation"]').length > 0) return true;
  const text = collapse(header.text()).length;
  const linkText = collapse(header.find('a').text()).length;
  return text < 80 || linkText / Math.max(text, 1) > 0.5;
}

/**
 * Consent banners: elements named like one (OneTrust, Cookiebot, cookieconsent, CMPs), and the
 * largest short block around a mention of cookies that asks the reader to accept them.
 */
function removeConsentBanners($: CheerioRoot): void {
  $('body [id], body [class], body [aria-label]')
    .filter((_, el) => {
      const node = $(el);
      const names = `${node.attr('id') ?? ''} ${node.attr('class') ?? ''} ${node.attr('aria-label') ?? ''}`;
      return el.tagName !== 'main' && CONSENT_NAME.test(names) && collapse(node.text()).length <= CONSENT_MAX_CHARS;
    })
    .remove();
  const banners = new Set<Element>();
  $('body *')
    .contents()
    .filter((_, node) => node.type === 'text' && CONSENT_TEXT.test((node as { data?: string }).data ?? ''))
    .each((_, node) => {
      let banner: Element | undefined;
      for (const ancestor of $(node).parents().toArray()) {
        if (ancestor.tagName === 'body' || ancestor.tagName === 'main') break;
        const text = collapse($(ancestor).text());
        if (text.length > CONSENT_MAX_CHARS) break;
        if (/^(div|section|form|aside)$/.test(ancestor.tagName) && CONSENT_ACTION.test(text)) banner = ancestor;
      }
      if (banner) banners.add(banner);
    });
  for (const banner of banners) $(banner).remove();
}

function removeBoilerplate($: CheerioRoot): void {
  $(NON_CONTENT).remove();
  $(HIDDEN).remove();
  $('[style]')
    .filter((_, el) => HIDDEN_STYLE.test($(el).attr('style') ?? ''))
    .remove();
  $(BOILERPLATE).remove();
  // A header or footer inside an article or section belongs to it (a section title, an author line);
  // only the page's own ones are chrome. Page footers always are; page headers only when they are
  // mostly links, because many landing pages put their headline and pitch in a top-level <header>.
  const pageLevel = 'article, section, main, [role="main"]';
  $('footer, [role="contentinfo"]')
    .filter((_, el) => $(el).parents(pageLevel).length === 0)
    .remove();
  $('header, [role="banner"]')
    .filter((_, el) => $(el).parents(pageLevel).length === 0 && isChromeHeader($(el)))
    .remove();
  removeConsentBanners($);
  removeMenus($);
}

/**
 * Menus built from plain lists (many CMS themes use no <nav>): a list of many short links and
 * next to no other text. A list of links with descriptions (projects, case studies) stays.
 */
function removeMenus($: CheerioRoot): void {
  $('ul, ol')
    .filter((_, el) => {
      const list = $(el);
      const links = list.find('a');
      if (links.length < MENU_MIN_LINKS) return false;
      const text = collapse(list.text()).length;
      const linkText = links.toArray().reduce((sum, a) => sum + collapse($(a).text()).length, 0);
      return linkText / Math.max(text, 1) >= 0.9 && linkText / links.length <= MENU_MAX_LINK_CHARS;
    })
    .remove();
}

interface DomNode {
  type: string;
  name?: string;
  data?: string;
  children?: DomNode[];
}

/** Visible text, one line per block element, whitespace inside a line collapsed to single spaces. */
function blockText(root: DomNode): string {
  const lines: string[] = [];
  let line = '';
  const breakLine = () => {
    const text = collapse(line);
    if (text && lines[lines.length - 1] !== text) lines.push(text);
    line = '';
  };
  // Iterative walk: generated pages nest deeply enough to make recursion a risk.
  const stack: Array<DomNode | 'break'> = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node === 'break') {
      breakLine();
      continue;
    }
    if (node.type === 'text') {
      line += node.data ?? '';
      continue;
    }
    if (node.type !== 'tag' && node.type !== 'root') continue;
    const block = node.name !== undefined && BLOCK_TAGS.has(node.name);
    if (block) {
      breakLine();
      stack.push('break');
    }
    const children = node.children ?? [];
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  breakLine();
  return lines.join('\n');
}

/**
 * franc reports some languages by an individual code (Standard Arabic, Mandarin) where ISO 639-1
 * only names their macrolanguage; iso-639-3 has no membership data, so these are listed here.
 */
const MACROLANGUAGE_1: Record<string, string> = {
  arb: 'ar', cmn: 'zh', pes: 'fa', zlm: 'ms', swh: 'sw', uzn: 'uz', azj: 'az', npi: 'ne',
  pbu: 'ps', plt: 'mg', ckb: 'ku', qug: 'qu', fuv: 'ff', zyb: 'za',
};

/** An ISO 639-3 code from franc as ISO 639-1, when the language has one. */
function toIso6391(code: string): string | undefined {
  return iso6393To1[code] ?? MACROLANGUAGE_1[code];
}

/** The ISO 639-1 codes of the languages franc-min can recognise (by trigrams or by script). */
const DETECTABLE = new Set(
  [...Object.values(francData).flatMap((byScript) => Object.keys(byScript)), ...Object.keys(francExpressions)]
    .map(toIso6391)
    .filter((code) => code !== undefined),
);

// Below this much prose, trigram statistics are too noisy to overrule what the page declares.
const MIN_DETECTION_CHARS = 150;
// How close to the best score the declared language must come to count as plausible.
const PLAUSIBLE_SCORE = 0.9;

/**
 * The page's language as ISO 639-1. `<html lang>` wins when the text does not contradict it
 * (templates often keep lang="en" on translated pages, so it is checked against franc); 'und'
 * when neither says anything usable.
 */
function detectLanguage(text: string, declared: string | undefined): string {
  // Menus and buttons are short lines; prose is what trigram statistics need.
  const prose = text
    .split('\n')
    .filter((l) => l.length >= 40)
    .join(' ');
  const sample = prose.length >= MIN_DETECTION_CHARS ? prose : text.replace(/\n/g, ' ');
  if (sample.length < MIN_DETECTION_CHARS) return declared ?? 'und';
  const scores = francAll(sample, { minLength: MIN_DETECTION_CHARS });
  const [best] = scores;
  if (!best || best[0] === 'und') return declared ?? 'und';
  if (declared) {
    const declaredScore = scores.find(([code]) => toIso6391(code) === declared)?.[1];
    const detectable = DETECTABLE.has(declared);
    if (!detectable || (declaredScore !== undefined && declaredScore >= PLAUSIBLE_SCORE)) return declared;
  }
  return toIso6391(best[0]) ?? declared ?? 'und';
}

/**
 * Reduces a fetched page to what says something about the company: title, meta description,
 * headings, JSON-LD and the visible main text, without scripts, styles, site chrome (nav, page
 * header and footer, asides), consent banners and hidden elements.
 */
export function cleanPage(html: string, url: string): CleanPage {
  const $ = cheerio.load(html);
  // Read before the cleanup below removes every <script> and <head>.
  const jsonLd = jsonLdBlocks($);
  const description = metaContent($, 'meta[name="description" i]', 'meta[property="og:description"]', 'meta[name="twitter:description"]');
  const declared = declaredLanguage($);
  const headTitle = collapse($('title').first().text()) || metaContent($, 'meta[property="og:title"]');

  removeBoilerplate($);

  const headings: string[] = [];
  $('h1, h2, h3').each((_, el) => {
    const heading = collapse($(el).text());
    if (heading && !headings.includes(heading)) headings.push(heading);
  });
  const body = $('body').get(0) ?? $.root().get(0);
  const text = blockText(body as unknown as DomNode);
  const title = headTitle || collapse($('h1').first().text());
  return { url, title, description, headings, text, jsonLd, language: detectLanguage(text, declared) };
}
