/**
 * Cleaning rows of `npm run bench`: the cleaner and Mozilla Readability (on jsdom) scored on the
 * annotated evaluation set (eval/), and pages per second of each beside a bare cheerio text
 * extraction of the same pages, all measured in the same run. Needs no servers: a few seconds.
 * The definitions of precision, recall and F1 are in eval/README.md.
 */
import { CANDIDATES, compare, type CandidateResult } from '../eval/compare.js';
import { row, type Row } from './table.js';

/** Targets of issue 12, point 4. */
const TARGET_F1 = 0.93;
const TARGET_SPEED_RATIO = 0.8;

/**
 * `defuddle: false` leaves defuddle out: it reads about half a page per second, so it adds about
 * two minutes; the rest takes well under one.
 */
export async function cleaningRows(options: { rounds?: number; defuddle?: boolean } = {}): Promise<Row[]> {
  // Readability is timed on its scored pass alone: a second pass (15 s of the bench's eight minutes)
  // would refine a speed no target reads; the cleaner and the bare extraction keep their rounds.
  const candidates = CANDIDATES.filter((c) => options.defuddle !== false || c.name !== 'defuddle').map((c) => (c.name === 'readability' ? { ...c, maxRounds: 0 } : c));
  const { pages, results } = compare({ rounds: options.rounds ?? 3, candidates });
  const by = (name: string) => results.find((r) => r.name === name)!;
  const cleaner = by('cleaner');
  const readability = by('readability');
  const bare = by('bare');
  const defuddle = results.find((r) => r.name === 'defuddle');
  const raw = (r: CandidateResult) => ({ ...r.score, evalPages: pages, pagesPerSecond: r.pagesPerSecond, peakHeapMb: r.peakHeapMb });
  const ratio = Math.round((100 * cleaner.pagesPerSecond) / bare.pagesPerSecond) / 100;
  return [
    row('cleaning.f1.cleaner', cleaner.score.f1, 'F1', raw(cleaner), { target: TARGET_F1 }),
    row('cleaning.precision.cleaner', cleaner.score.precision, 'share', raw(cleaner)),
    row('cleaning.recall.cleaner', cleaner.score.recall, 'share', raw(cleaner)),
    row('cleaning.f1.readability', readability.score.f1, 'F1', raw(readability), { note: 'Mozilla Readability 0.6 on jsdom, same pages, same scoring' }),
    row('cleaning.precision.readability', readability.score.precision, 'share', raw(readability)),
    row('cleaning.recall.readability', readability.score.recall, 'share', raw(readability)),
    row('cleaning.f1_margin_over_readability', Math.round(1000 * (cleaner.score.f1 - readability.score.f1)) / 1000, 'F1', { cleaner: cleaner.score.f1, readability: readability.score.f1 }, { target: 0.001 }),
    row('cleaning.pages_per_s.cleaner', cleaner.pagesPerSecond, 'pages/s', raw(cleaner)),
    row('cleaning.pages_per_s.readability', readability.pagesPerSecond, 'pages/s', raw(readability)),
    row('cleaning.pages_per_s.bare', bare.pagesPerSecond, 'pages/s', raw(bare), { note: 'cheerio.load(html).text(): the speed baseline' }),
    row('cleaning.speed_ratio', ratio, 'x bare', { cleaner: cleaner.pagesPerSecond, bare: bare.pagesPerSecond }, { target: TARGET_SPEED_RATIO }),
    ...(defuddle
      ? [
          row('cleaning.f1.defuddle', defuddle.score.f1, 'F1', raw(defuddle), { note: 'defuddle 0.19 on jsdom, same pages, same scoring' }),
          row('cleaning.pages_per_s.defuddle', defuddle.pagesPerSecond, 'pages/s', raw(defuddle)),
        ]
      : []),
    row('cleaning.peak_heap_mb.cleaner', cleaner.peakHeapMb, 'MB', { cleaner: cleaner.peakHeapMb, bare: bare.peakHeapMb, readability: readability.peakHeapMb }),
    row('cleaning.peak_heap_mb.readability', readability.peakHeapMb, 'MB', { readability: readability.peakHeapMb }),
    row('cleaning.peak_heap_mb.bare', bare.peakHeapMb, 'MB', { bare: bare.peakHeapMb }),
  ];
}
