/**
 * Annotation aid: `npx tsx eval/candidates.ts <page.html>...` prints the page's headings, its longest
 * paragraphs (candidates for must-keep snippets, to be read and chosen by a person), the start and
 * end of its bare text (menus, footers) and the end of what cleanPage keeps (where leftovers gather).
 */
import fs from 'node:fs';
import * as cheerio from 'cheerio';
import { cleanPage } from '../src/domain/clean-page.js';

const dir = new URL('./pages/', import.meta.url);
const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
for (const f of process.argv.slice(2)) {
  const html = fs.readFileSync(new URL(f, dir), 'utf8');
  const $ = cheerio.load(html);
  $('script,style,noscript,svg,template').remove();
  const bare = squash($('body').text());
  const h = $('h1,h2').toArray().map((e) => squash($(e).text())).filter(Boolean).slice(0, 8);
  const paras = $('p').toArray().map((e) => squash($(e).text())).filter((t) => t.length > 80);
  const longest = [...paras].sort((a, b) => b.length - a.length).slice(0, 4).map((t) => t.slice(0, 110));
  const page = cleanPage(html, 'https://example.com/');
  console.log(`\n#### ${f} | ${page.title} | bare=${bare.length} clean=${page.text.length} paras=${paras.length}`);
  console.log(`H: ${h.join(' || ')}`);
  for (const p of longest) console.log(`P: ${p}`);
  console.log(`B0: ${bare.slice(0, 350)}`);
  console.log(`B1: ${bare.slice(-350)}`);
  console.log(`C1: ${page.text.slice(-700).replace(/\n/g, ' ¶ ')}`);
}
