import { describe, expect, it } from 'vitest';
import { sharesWord, siteWideWords, topicWords, unrelatedCitations } from './relevance.js';

describe('sharesWord', () => {
  // Claims written the way a good model writes them, beside passages of saved pages they rest on.
  it('finds the shared topic of a claim and its passage across number, word form and German compounds', () => {
    const pairs: Array<[string, string]> = [
      ['Running and scaling headless browsers in-house is costly', 'Headless browser service.\nSimple API integration.'],
      ['Extract brand colors from images automatically', 'Color Detection\nPredominant palette for each image detected.'],
      ['Callback-heavy async code is hard to read', 'ES2017 Async + Await allows us to craft easy to read, logical flows ... by nesting callbacks.'],
      ['Sorge, dass Nutzerdaten weitergegeben werden', 'Wir setzten auf einen umfassenden Datenschutz und verkaufen keine Daten weiter.'],
      ['Eine anstehende Betriebsprüfung', 'Betreuung und Abwicklung von Betriebsprüfungen'],
      ['Angst vor strafrechtlichen Folgen', 'damit Sie keine Rechtsverstöße oder gar eine Strafbarkeit riskieren'],
    ];
    for (const [claim, passage] of pairs) expect(sharesWord(topicWords(claim), passage), claim).toBe(true);
  });

  it('finds none where only common words are shared', () => {
    expect(sharesWord(topicWords('They want more control over their time'), 'We want more of your feedback.')).toBe(false);
    expect(sharesWord(topicWords('Sie wollen mehr Zeit für ihre Kunden'), 'Wir wollen mehr für Sie tun.')).toBe(false);
  });
});

describe('siteWideWords', () => {
  it('takes the words of a quarter of the passages, three at least, for the site\'s own (its name), not a topic', () => {
    const passages = ['Acme sends invoices.', 'Acme tracks hours.', 'Acme Pay takes cards.', 'Invoices in seconds.', 'Teams of twelve.', 'Hours by project.', 'Cards or transfer.', 'Support by mail.'];
    expect([...siteWideWords(passages)]).toEqual(['acme']);
    // A claim about hours shares no topic with a passage that only names the company.
    expect(sharesWord(topicWords('Acme for billable hours', siteWideWords(passages)), 'Acme Pay takes cards.', siteWideWords(passages))).toBe(false);
    expect(sharesWord(topicWords('Acme for billable hours'), 'Acme Pay takes cards.')).toBe(true);
  });
});

const NONE = new Set<string>();

describe('unrelatedCitations', () => {
  const claim = (text: string, ...cited: string[]) => ({ text, cited });

  it('judges nothing below four cited claims, however unrelated', () => {
    const claims = [claim('Fast invoices', 'Our office is in Lisbon.'), claim('Card payments', 'Our office is in Lisbon.'), claim('No claim cited')];
    expect(unrelatedCitations(claims, NONE)).toEqual([[], [], []]);
  });

  it('once half the cited claims share no word with any passage they cite, keeps only citations with two of the claim\'s words', () => {
    const office = 'Our office is in Lisbon.';
    const claims = [
      claim('Fast invoices', office, 'Send invoices fast, in seconds.'),
      claim('Card payments', office),
      claim('Fewer reminders', office),
      claim('Lower fees', office),
      claim('Monthly reports', 'Reports every month.', 'Reports by mail.'),
      claim('Not cited'),
      claim('Reminders', 'Automatic reminders.'),
    ];
    // "Reports by mail." has one of two words: chance, among careless citations.
    expect(unrelatedCitations(claims, NONE)).toEqual([[0], [0], [0], [0], [1], [], []]);
    // One claim fewer without a related passage: under half, nothing is judged.
    claims[2] = claim('Fewer reminders', 'Automatic reminders.');
    expect(unrelatedCitations(claims, NONE)).toEqual([[], [], [], [], [], [], []]);
  });
});
