import { describe, expect, it } from 'vitest';
import { sentencesAboutNoOne, unstatedNames, wordSet } from './names.js';

const SITE = wordSet([
  'Acme Invoicing sends professional invoices for freelancers and small agencies.',
  'Connect your Stripe account and get paid by card. Open-source templates, GDPR-compliant.',
  'Read what Jane Doe of Studio Nord says about us.',
  'Kontakt: info@acme-invoicing.example',
]);

describe('unstatedNames', () => {
  it('finds the customers, integrations and press a field names that the site does not', () => {
    expect(unstatedNames('Trusted by teams at Google, Shopify and Airbnb.', SITE)).toEqual(['Google', 'Shopify', 'Airbnb']);
    expect(unstatedNames('Integrates with Salesforce and HubSpot, as featured in Forbes.', SITE)).toEqual(['Salesforce', 'HubSpot', 'Forbes']);
    expect(unstatedNames('Works on the iPhone and with QuickBooks exports.', SITE)).toEqual(['iPhone', 'QuickBooks']);
    // Once each, in order.
    expect(unstatedNames('Unlike Xero, it is free; Xero users switch.', SITE)).toEqual(['Xero']);
  });

  it('reads a name after an abbreviation as inside its sentence, in the language of the text', () => {
    // A cut at every full stop made "Salesforce" the first word of a sentence, which is never a name.
    expect(unstatedNames('Integrates with popular CRMs, e.g. Salesforce.', SITE)).toEqual(['Salesforce']);
    expect(unstatedNames('Works with accounting tools (i.e. Xero) every month.', SITE)).toEqual(['Xero']);
    expect(unstatedNames('Arbeitet mit Tools wie z. B. HubSpot.', SITE, new Set(), 'de')).toEqual(['HubSpot']);
    // A word with a capital inside is a name even first in its sentence.
    expect(unstatedNames('QuickBooks exports are slow. The rest is fine.', SITE)).toEqual(['QuickBooks']);
    expect(unstatedNames('HubSpot-Listen veralten schnell.', SITE, new Set(), 'de')).toEqual(['HubSpot']);
    // A sentence's first word is still none: after a full stop, a question or an exclamation.
    expect(unstatedNames('Invoices go out on time. Freelancers love it! Really? Yes.', SITE)).toEqual([]);
    expect(unstatedNames('Invoices go out on time. "Freelancers love it."', SITE)).toEqual([]);
  });

  it('passes the names the site gives, however they are written', () => {
    expect(unstatedNames('Freelancers get paid by card through Stripe.', SITE)).toEqual([]);
    expect(unstatedNames("Studio Nord's Jane Doe recommends ACME invoicing.", SITE)).toEqual([]);
    expect(unstatedNames('Small Agencies send Professional Invoices.', SITE)).toEqual([]);
    // A plural or singular the site does not use verbatim.
    expect(unstatedNames('Ideal for an Agency or a Freelancer with Templates.', SITE)).toEqual([]);
    expect(unstatedNames('Uses Open-Source tooling.', SITE)).toEqual([]);
  });

  it('leaves sentence starts, abbreviations, weekdays and trade words alone', () => {
    expect(unstatedNames('Quarterly reporting is painful. Bookkeeping takes hours: Reminders help.', SITE)).toEqual([]);
    expect(unstatedNames('- Faster payouts', SITE)).toEqual([]);
    expect(unstatedNames('Paid faster\nFewer reminders', SITE)).toEqual([]);
    expect(unstatedNames('✓ Faster payouts → Fewer reminders', SITE)).toEqual([]);
    expect(unstatedNames('"Payouts" matter. (Reminders too.)', SITE)).toEqual([]);
    expect(unstatedNames('Needs a CRM, SEO and VAT handling for the EU.', SITE)).toEqual([]);
    expect(unstatedNames('Exports PDFs for the APIs of SMEs.', SITE)).toEqual([]);
    expect(unstatedNames('Closes the books every Friday in December.', SITE)).toEqual([]);
    expect(unstatedNames('A SaaS tool for DevOps teams, with email reminders.', SITE)).toEqual([]);
    expect(unstatedNames("I'm done by Monday.", SITE)).toEqual([]);
    // Digits make a word part of a code, not a name.
    expect(unstatedNames('Serves B2B agencies in the Web3 space.', SITE)).toEqual([]);
  });

  it('does not mistake a capital inside a sentence after a quote or bracket for a name the site gives', () => {
    expect(unstatedNames('Teams (like Zapier) automate it.', SITE)).toEqual(['Zapier']);
    expect(unstatedNames('Their clients say "Best Tool" often.', SITE)).toEqual(['Best', 'Tool']);
  });

  it('takes words the report may repeat from its own labels', () => {
    const allowed = wordSet(['Maria Keller', 'Agency Owner', 'LinkedIn']);
    expect(unstatedNames('Maria wants to spend less time on LinkedIn.', SITE, allowed)).toEqual([]);
    expect(unstatedNames('Maria wants to spend less time on LinkedIn.', SITE)).toEqual(['LinkedIn']);
  });

  it('takes only a word with a capital inside for a name in a field that reads as German, where every noun has a capital', () => {
    expect(unstatedNames('Die Rechnungen werden mit der Buchhaltung abgeglichen und sind sofort bereit.', SITE)).toEqual([]);
    expect(unstatedNames('Die Rechnungen werden mit HubSpot und der Muster GmbH abgeglichen.', SITE)).toEqual(['HubSpot']);
    // Umlauts and a single function word are enough to tell German ("für" folds to "fur").
    expect(unstatedNames('Acme plant Tragwerke für Neubauten und Sanierungen.', SITE)).toEqual([]);
    expect(unstatedNames('Bauherren fürchten Verzögerungen durch fehlende Statik-Nachweise.', SITE)).toEqual([]);
    // French shares "des" with German but is checked like English.
    expect(unstatedNames('Gestion des factures avec Shopify pour les indépendants.', SITE)).toEqual(['Shopify']);
    // English with one German word is still English.
    expect(unstatedNames('The Buchhaltung is done with Lexoffice for the agency.', SITE)).toEqual(['Buchhaltung', 'Lexoffice']);
    // A short line of a part written in German may carry no word that tells: its part's language does.
    expect(unstatedNames('Open Source aus Überzeugung, seit 1995', SITE)).toEqual(['Überzeugung']);
    expect(unstatedNames('Open Source aus Überzeugung, seit 1995', SITE, new Set(), 'de')).toEqual([]);
    expect(unstatedNames('Open Source aus Überzeugung mit HubSpot', SITE, new Set(), 'de')).toEqual(['HubSpot']);
    // Each word by the words around it: English a model adds to a German field is read as English.
    const mixed = 'Bei länderübergreifenden Sachverhalten wird für Sie die günstigste Gestaltung ermittelt. Trusted by teams at Shopify, Airbnb and Deloitte.';
    expect(unstatedNames(mixed, SITE, new Set(), 'de')).toEqual(['Shopify', 'Airbnb', 'Deloitte']);
    // Where no function word is near, its sentence's tell: an English sentence after a German one.
    const after = 'Hier sind Sie sowohl als Unternehmer, als auch als Privatperson richtig. Connects to the CRM sales teams already use, e.g. Pipedrive.';
    expect(unstatedNames(after, SITE, new Set(), 'de')).toEqual(['Pipedrive']);
    expect(unstatedNames('Hier sind Sie richtig. Beratung für Unternehmer, Gründer und Erben.', SITE, new Set(), 'de')).toEqual([]);
    const glued = 'Bei länderübergreifenden Sachverhalten wird für Sie die günstigste Gestaltung im Hinblick auf die Steuer Trusted by teams at Shopify';
    expect(unstatedNames(glued, SITE, new Set(), 'de')).toEqual(['Trusted', 'Shopify']);
  });

  it('compares accents and case folded', () => {
    const site = wordSet(['Zusammenarbeit mit Société Générale et Crédit Agricole.']);
    expect(unstatedNames('Clients include SOCIETE Generale and Credit Agricole.', site)).toEqual([]);
  });
});

describe('sentencesAboutNoOne', () => {
  const maria = 'Maria Keller';
  it('keeps the sentences that refer to no person', () => {
    expect(sentencesAboutNoOne('Maria plans bridges. Trusted by teams at Shopify and Airbnb.', maria, 'en')).toEqual(['Trusted by teams at Shopify and Airbnb.']);
    expect(sentencesAboutNoOne('Integrates with Salesforce.\nAs featured in Forbes!', maria, 'en')).toEqual(['Integrates with Salesforce.', 'As featured in Forbes!']);
  });
  it('keeps a sentence whole across its abbreviations', () => {
    expect(sentencesAboutNoOne('She sees Dr. Weber each week. Trusted by Forbes.', maria, 'en')).toEqual(['Trusted by Forbes.']);
    expect(sentencesAboutNoOne('Sie nutzt Tools wie z. B. HubSpot. Empfohlen von Gartner.', maria, 'de')).toEqual(['Empfohlen von Gartner.']);
  });
  it('lets a pronoun, "who", or the name tell the customer', () => {
    for (const text of ['She reads Bauwelt.', 'They work with Siemens.', 'An inspector who uses Revit.', 'Keller reads Detail.', 'Sie liest Bauwelt.', 'Er nutzt Revit.', 'Elle lit Bauwelt.', 'I use Revit daily.'])
      expect(sentencesAboutNoOne(text, maria, 'en'), text).toEqual([]);
  });
  it("takes neither the role's words nor the name's words in small letters for the customer", () => {
    // A stand-in's persona "Small agencies": its words are a made-up sentence's too.
    expect(sentencesAboutNoOne('Chosen over Xero by most small firms.', 'Small agencies', 'en')).toEqual(['Chosen over Xero by most small firms.']);
    expect(sentencesAboutNoOne('Engineers at Arup.', maria, 'en')).toEqual(['Engineers at Arup.']);
  });
  it('does not take the company\'s voice or a role\'s function words for the customer', () => {
    expect(sentencesAboutNoOne('We integrate with Salesforce.', maria, 'en')).toEqual(['We integrate with Salesforce.']);
    expect(sentencesAboutNoOne('Your team will love Zapier.', maria, 'en')).toEqual(['Your team will love Zapier.']);
    expect(sentencesAboutNoOne('Trusted by Shopify at a glance.', maria, 'en')).toEqual(['Trusted by Shopify at a glance.']);
    // German "Sie"/"Ihre" capitalised inside a sentence is the polite "you".
    expect(sentencesAboutNoOne('Schreiben Sie Ihre Meinung.', maria, 'de')).toEqual(['Schreiben Sie Ihre Meinung.']);
    expect(sentencesAboutNoOne('Jetzt will sie ihre Steuer erklären.', maria, 'de')).toEqual([]);
  });
});
