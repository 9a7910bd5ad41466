import { GOOD_ANSWERS } from '../test/support/good-answers.js';
import { checkGoodAnswer, randomCitationDrops } from '../test/support/good-answers-check.js';
import { percent, row, type Row } from './table.js';

/**
 * The `trust.good_answers` rows: the other side of trust, in this process, no servers. Answers
 * written by hand in a good model's style for saved pages (test/support/good-answers.ts) put
 * through the product's cleaner, assembly and rules: what a rule rejects or drops there is lost to
 * a reader who used a good model (targets 0). Beside them, the same claims citing passages drawn at
 * random: what the careless-citation rule catches of a good writer who cites without reading.
 */
export function goodAnswerRows(): Row[] {
  const checked = GOOD_ANSWERS.map((answer) => ({ answer, ...checkGoodAnswer(answer) }));
  const fields = checked.reduce((n, c) => n + c.quality.fields.checked, 0);
  const rejected = checked.reduce((n, c) => n + c.quality.fields.rejected, 0);
  const dropped = checked.reduce((n, c) => n + c.report.droppedEvidence.length, 0);
  const citations = checked.reduce((n, c) => n + c.cited, 0) + dropped;
  const answers = `${GOOD_ANSWERS.length} answers for ${new Set(GOOD_ANSWERS.map((a) => a.fixture)).size} saved pages`;
  const failing = checked.filter((c) => c.quality.issues.length > 0).map((c) => `${c.answer.fixture} (${c.answer.language})`);
  const random = randomCitationDrops(GOOD_ANSWERS, 100);
  return [
    row('trust.good_answers.fields_rejected', percent(rejected, fields), '%', { rejected, checked: fields, failing }, { target: 0, atMost: true, note: answers }),
    row('trust.good_answers.citations_dropped', percent(dropped, citations), '%', { dropped, citations }, { target: 0, atMost: true }),
    row('trust.good_answers.random_citations_dropped', percent(random.dropped, random.drawn), '%', random, { note: 'the same claims citing passages drawn at random, 100 draws per persona in the site\'s language' }),
  ];
}
