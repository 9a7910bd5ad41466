import { describe, expect, it } from 'vitest';
import { offSiteProduct, sharesWord, siteTopics, topicWords, unrelatedCitations } from './relevance.js';

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

describe('siteTopics', () => {
  it('takes the words of a quarter of the passages, three at least, for the site\'s own (its name), not a topic', () => {
    const passages = ['Acme sends invoices.', 'Acme tracks hours.', 'Acme Pay takes cards.', 'Invoices in seconds.', 'Teams of twelve.', 'Hours by project.', 'Cards or transfer.', 'Support by mail.'];
    const { siteWide, passages: words } = siteTopics(passages);
    expect([...siteWide]).toEqual(['acme']);
    expect(words.get('Acme Pay takes cards.')).toEqual(['pay', 'takes', 'cards']);
    // A claim about hours shares no topic with a passage that only names the company.
    expect(sharesWord(topicWords('Acme for billable hours', siteWide), 'Acme Pay takes cards.', siteWide)).toBe(false);
    expect(sharesWord(topicWords('Acme for billable hours'), 'Acme Pay takes cards.')).toBe(true);
  });
});

describe('unrelatedCitations', () => {
  const claim = (text: string, ...cited: string[]) => ({ text, cited });
  const office = 'Our office is in Lisbon.';
  const site = siteTopics([office, 'Send invoices fast, in seconds.', 'Card payments in seconds.', 'Fewer reminders to send.', 'Lower fees than banks.', 'Reports every month.', 'Reports by mail.', 'Automatic reminders.']);

  it('judges nothing below four cited claims, however unrelated', () => {
    const claims = [claim('Fast invoices', office), claim('Card payments', office), claim('No claim cited')];
    expect(unrelatedCitations(claims, site)).toEqual([[], [], []]);
  });

  const claims = () => [
    claim('Fast invoices', office, 'Send invoices fast, in seconds.'),
    claim('Card payments', office),
    claim('Fewer reminders', office),
    claim('Lower fees', office),
    claim('Monthly reports', 'Reports every month.', 'Reports by mail.'),
    claim('Not cited'),
    claim('Reminders', 'Automatic reminders.'),
  ];

  it('once half the cited claims share no word with any passage they cite, and passages with their words were passed over, keeps only citations with two of the claim\'s words', () => {
    // "Reports by mail." has one of two words: chance, among careless citations.
    expect(unrelatedCitations(claims(), site)).toEqual([[0], [0], [0], [0], [1], [], []]);
    // One claim fewer without a related passage: under half, nothing is judged.
    const fewer = claims();
    fewer[2] = claim('Fewer reminders', 'Automatic reminders.');
    expect(unrelatedCitations(fewer, site)).toEqual([[], [], [], [], [], [], []]);
  });

  it('judges nothing where the claims no passage speaks to are said in words of their own', () => {
    // A good model's inferences, each cited to the passage closest in sense: no passage has their words.
    const own = claims();
    own[1] = claim('Clients who settle sooner', office);
    own[2] = claim('Quieter evenings without paperwork', office);
    // One passed over, of six cited: a slip, not careless citing.
    expect(unrelatedCitations(own, site)).toEqual([[], [], [], [], [], [], []]);
    own[3] = claim('Happier accountants', office);
    expect(unrelatedCitations(own, site)).toEqual([[], [], [], [], [], [], []]);
    // Two of six passed over: careless.
    own[1] = claim('Card payments', office);
    own[3] = claim('Lower fees', office);
    expect(unrelatedCitations(own, site).slice(0, 4)).toEqual([[0], [0], [0], [0]]);
  });
});

describe('offSiteProduct', () => {
  const site = [...new Set(topicWords('Acme Invoicing helps freelancers send invoices. The Agency plan adds time tracking and client portals.'))];
  it('takes a product most of whose words the site never says for one it does not offer', () => {
    expect(offSiteProduct('Payroll and bookkeeping services', site)).toBe(true);
    expect(offSiteProduct('Salesforce integration', site)).toBe(true);
  });
  it("keeps the site's products, in its words or their other forms", () => {
    expect(offSiteProduct('Agency plan', site)).toBe(false);
    expect(offSiteProduct('Invoicing for freelancers', site)).toBe(false);
    expect(offSiteProduct('Client portal with time tracking', site)).toBe(false);
    // Nothing but common words: nothing to judge.
    expect(offSiteProduct('All of them', site)).toBe(false);
  });
});
