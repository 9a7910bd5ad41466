/**
 * Annotation aid: `npx tsx eval/show.ts <page.html>...` prints, for each page of eval/pages, the start
 * and end of its bare text (where menus and footers live) and what cleanPage keeps.
 */
import fs from 'node:fs';
import * as cheerio from 'cheerio';
import { cleanPage } from '../src/domain/clean-page.js';

const dir = new URL('./pages/', import.meta.url);
const cut = (t: string, n: number) => (t.length > 2 * n ? `${t.slice(0, n)}\n[...]\n${t.slice(-n)}` : t);
for (const f of process.argv.slice(2)) {
  const html = fs.readFileSync(new URL(f, dir), 'utf8');
  const $ = cheerio.load(html);
  $('script,style,noscript,svg,template').remove();
  const bare = $('body').text().replace(/\s+/g, ' ').trim();
  const page = cleanPage(html, 'https://example.com/');
  console.log(`\n######## ${f} bare=${bare.length} clean=${page.text.length} title=${page.title}`);
  console.log(`-- bare: ${cut(bare, 700)}`);
  console.log(`-- clean:\n${cut(page.text, 1500)}`);
}
