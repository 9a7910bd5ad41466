/**
 * Annotation and debugging aid: `npx tsx eval/why.ts <page.html> [snippet]` lists every element
 * cleanPage's pruning removes from the page, with the rule and the start of its text; with a
 * snippet, only removals whose text holds it.
 */
import { readFileSync } from 'node:fs';
import * as cheerio from 'cheerio';
import { prune } from '../src/domain/clean-dom.js';
import type { DomNode } from '../src/domain/clean-dom-node.js';
import { hiddenByStylesheet } from '../src/domain/clean-hidden.js';
import { flatText } from '../src/domain/clean-text.js';
import { readPage } from './score.js';

const [file, ...rest] = process.argv.slice(2);
const snippet = rest.join(' ');
const html = file!.includes('/') ? readFileSync(file!, 'utf8') : readPage(file!);
const $ = cheerio.load(html, { xml: { xmlMode: false, decodeEntities: true } });
const css = $('style').toArray().map((el) => $(el).text()).join('\n');
const { classes, ids } = hiddenByStylesheet(css);
const describe = (n: DomNode) => `${n.name}${n.attribs?.id ? `#${n.attribs.id}` : ''}${n.attribs?.class ? `.${n.attribs.class.trim().split(/\s+/).join('.')}` : ''}`;
prune(($('body').get(0) ?? $.root().get(0)) as unknown as DomNode, {
  hiddenClasses: classes,
  hiddenIds: ids,
  trace(node, reason) {
    const text = flatText(node);
    if (snippet && !text.includes(snippet)) return;
    if (!text) return;
    console.log(`${String(text.length).padStart(6)} ${reason.padEnd(28)} ${describe(node).slice(0, 70).padEnd(70)} ${text.slice(0, 100)}`);
  },
});
