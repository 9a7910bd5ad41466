/**
 * The words a report uses for the API's codes: why a page was not read (report-view.ts), why a
 * citation was dropped. One table for the Markdown and HTML renderings and the web page, which
 * gets the dropped citations' as the module /web/labels.js (src/web/static.ts) and the rest in
 * words in the report route's `view`.
 */

/** `pages.skipped[].reason`, as a reader is told it. */
export const SKIP_REASONS: Readonly<Record<string, string>> = {
  robots: "disallowed by the site's robots.txt",
  page_limit: 'over the page limit',
  byte_limit: 'over the size limit of the crawl',
  time_limit: 'the crawl ran out of time',
  duplicate: 'a copy of a page read',
  canonical: 'a copy of a page read (canonical)',
  not_html: 'not a web page',
  too_large: 'too large',
  broken_link: 'broken link',
  blocked: 'refused our crawler',
  http_error: 'the site answered with an error',
  empty: 'no text',
  error: 'could not be read',
};

/** `droppedEvidence[].reason` (evidence.ts DropReason), as a reader is told it. */
export const DROP_REASONS: Readonly<Record<string, string>> = {
  unknown_id: 'named a passage that does not exist',
  not_found: 'quoted text found on no page',
  unrelated: 'cited a passage that says nothing of its claim',
};

/** What several list items of one part withheld for one rule are, as a reader is told it ("11 items that ..."); junk items say their own reason (report-view.ts). */
export const WITHHELD_ITEMS_BECAUSE: Readonly<Record<string, string>> = {
  required_section: 'are empty',
  placeholder: 'are placeholder text, non-answers or generic names',
  prompt_echo: 'repeat the instructions given to the model instead of speaking of the company',
  unstated_figure: 'give numbers the site does not state',
  unstated_name: 'name companies, products or people the site does not mention',
  evidence_not_found: 'cite evidence that is not on the page',
  distinct_personas: 'repeat another persona',
};

/** A report's list fields as a reader knows them. */
export const FIELD_NAMES: Readonly<Record<string, string>> = {
  goals: 'goals',
  painPoints: 'pain points',
  objections: 'objections',
  buyingTriggers: 'buying triggers',
  channels: 'channels',
  messaging: 'messaging',
  products: 'products',
  valuePropositions: 'value propositions',
};

/** One item of a list field, numbered from 1 after it: "goal 2", "value proposition 1". */
export const ITEM_NAMES: Readonly<Record<string, string>> = {
  goals: 'goal',
  painPoints: 'pain point',
  objections: 'objection',
  buyingTriggers: 'buying trigger',
  channels: 'channel',
  messaging: 'message',
  products: 'product',
  valuePropositions: 'value proposition',
};

/** Skipped pages listed under one reason; a reader wants examples, not the crawl log. */
export const LISTED_PER_REASON = 10;

/** The tables as an ES module for the web page. */
export function labelsModule(): string {
  return [
    '// Generated from src/domain/report-labels.ts: the words the report uses for the API\'s codes.',
    `export const DROP_REASONS = ${JSON.stringify(DROP_REASONS)};`,
    '',
  ].join('\n');
}
