import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/support/fixtures.js';
import { cleanPage } from './clean-page.js';
import { detectLanguage } from './language.js';

/** A saved page with its `<html>` tag declaring `lang` (or nothing). */
const declaring = (file: string, lang?: string) => readFixture(file).replace(/<html[^>]*>/i, lang ? `<html lang="${lang}">` : '<html>');

describe('detectLanguage', () => {
  // Whole pages: on long text franc's scores close up, and any declared European language used to
  // pass as plausible (a German page with a template's lang="en" was taken for English).
  it.each([
    ['fairkom.eu.about.html', 'de'],
    ['viehbacher.com.steuerrecht.html', 'de'],
    ['toralin.de.schmierfett.html', 'de'],
    ['learnnode.com.html', 'en'],
    ['microlink.io.html', 'en'],
    ['kikobeats.com.html', 'en'],
  ])('tells the language of %s whatever <html lang> says', (file, truth) => {
    for (const lang of [undefined, 'en', 'de', 'fr']) expect(cleanPage(declaring(file, lang), 'https://site.test/').language, `lang=${lang}`).toBe(truth);
  });

  it('keeps the declared language where the text does not contradict it, and on too little text', () => {
    const german = 'Wir sind ein mittelständisches Unternehmen aus München und entwickeln seit über zwanzig Jahren Software für die Logistik. Unsere Kunden schätzen die persönliche Beratung.';
    expect(detectLanguage(german, 'de')).toBe('de');
    expect(detectLanguage('Kontakt und Impressum', 'en')).toBe('en');
    expect(detectLanguage('Kontakt und Impressum', undefined)).toBe('und');
  });

  it("finds a model's English answer under a report asked for in German", () => {
    const answer = [
      'Small agencies use Acme to track billable hours across clients and projects.',
      'The Agency plan adds team seats, time tracking and client portals for 49 euros per month.',
      'Customers say Acme cut the time they spend on invoicing from a day to an hour each month.',
      'Agencies with up to fifty people rely on Acme for recurring retainers.',
      'We started Acme after years of chasing late payments as independent designers.',
      'Sending invoices on the day the work is delivered shortens payment times by a week on average.',
    ].join('\n');
    expect(detectLanguage(answer, 'de')).toBe('en');
    expect(detectLanguage(answer, 'en')).toBe('en');
  });
});
