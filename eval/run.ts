/**
 * `npx tsx eval/run.ts [--misses] [--only cleaner]`: scores the candidates on the evaluation set
 * and prints precision, recall, F1 and speed; with --misses, every missed must-keep and leaked
 * must-drop snippet per page.
 */
import { parseArgs } from 'node:util';
import { CANDIDATES, compare } from './compare.js';

const { values } = parseArgs({ options: { misses: { type: 'boolean', default: false }, only: { type: 'string' }, rounds: { type: 'string', default: '3' } } });
const candidates = values.only ? CANDIDATES.filter((c) => values.only!.split(',').includes(c.name)) : CANDIDATES;
const { pages, results } = compare({ rounds: Number(values.rounds), candidates });
console.log(`${pages} pages`);
console.log('| candidate | precision | recall | F1 | macro F1 | TP | FP | FN | pages/s | peak heap MB |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  const s = r.score;
  console.log(`| ${r.name} | ${s.precision} | ${s.recall} | ${s.f1} | ${s.macroF1} | ${s.tp} | ${s.fp} | ${s.fn} | ${r.pagesPerSecond} | ${r.peakHeapMb} |`);
}
const bare = results.find((r) => r.name === 'bare');
const cleaner = results.find((r) => r.name === 'cleaner');
if (bare && cleaner) console.log(`speed ratio cleaner/bare: ${(cleaner.pagesPerSecond / bare.pagesPerSecond).toFixed(2)}`);
if (values.misses) {
  for (const r of results.filter((x) => x.name !== 'bare')) {
    console.log(`\n## ${r.name}`);
    for (const p of r.pages) {
      if (p.missed.length === 0 && p.leaked.length === 0) continue;
      console.log(`${p.file}`);
      for (const m of p.missed) console.log(`   MISSED  ${m}`);
      for (const l of p.leaked) console.log(`   LEAKED  ${l}`);
    }
  }
}
