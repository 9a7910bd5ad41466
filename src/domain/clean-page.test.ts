import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cleanPage } from './clean-page.js';
import { FIXTURES_DIR, readFixture } from '../../test/support/fixtures.js';

const fixture = readFixture;
const clean = (name: string) => cleanPage(fixture(name), `https://${name.replace(/\.html$/, '')}/`);

describe('cleanPage on saved real pages', () => {
  it('microlink.io: keeps the headline and features, drops inline CSS, scripts and the page footer', () => {
    const page = clean('microlink.io.html');
    expect(page.title).toBe('Turns any website into data | Microlink');
    expect(page.description).toMatch(/^Extract structured data from any website\./);
    expect(page.headings[0]).toBe('Extract structured data from any website');
    expect(page.text).toContain('Microlink is a powerful API for developers');
    expect(page.text).toContain('Headless browser service.');
    // 340 KB of HTML, mostly CSS and JS: none of it is text.
    expect(page.text).not.toMatch(/normalize\.css|-webkit-text-size-adjust|__gatsby|function\s*\(|\{\s*[a-z-]+\s*:/);
    expect(page.text).not.toContain('This app works best with JavaScript enabled'); // <noscript>
    expect(page.text).not.toContain('Feature Requests'); // footer
    expect(page.text).not.toContain('© Microlink');
    expect(page.text.length).toBeLessThan(5_000);
    expect(page.language).toBe('en');
  });

  it('caktusgroup.com: extracts the JSON-LD article, drops nav, footer and the display:none honeypot', () => {
    const page = clean('caktusgroup.com.django.html');
    expect(page.jsonLd).toHaveLength(1);
    expect(page.jsonLd[0]).toMatchObject({
      '@type': 'Article',
      headline: 'Testing Client-Side Applications with Django Post Mortem',
      publisher: { '@type': 'Organization', name: 'Caktus Group' },
    });
    expect(page.headings).toContain('Testing Client-Side Applications with Django Post Mortem');
    expect(page.text).toContain('I had the opportunity to give a webcast for O’Reilly Media');
    expect(page.text).not.toContain('Leave this blank to prove your humanity'); // style="display: none;"
    expect(page.text).not.toContain('Charitable giving'); // <nav>
    expect(page.text).not.toContain('919-951-0052'); // <footer>
    expect(page.text).not.toContain('NREUM'); // inline script
    expect(page.language).toBe('en');
  });

  it('learnnode.com: keeps the hero inside a top-level <header>, drops [hidden] text, detects English without <html lang>', () => {
    const page = clean('learnnode.com.html');
    expect(page.text).toContain('The best way to learn server-side JavaScript!');
    expect(page.text).toContain('A premium training course to learn to build apps with Node.js, Express, MongoDB, and friends.');
    expect(page.text).not.toContain('You will receive an email with access'); // <div hidden>
    expect(page.description).toBe('A premium training course to learn to build apps with Node.js, Express, MongoDB, and friends.');
    expect(page.language).toBe('en');
  });

  it('kikobeats.com: reads JSON-LD, keeps section headers, drops the nav', () => {
    const page = clean('kikobeats.com.html');
    expect(page.jsonLd[0]).toMatchObject({ '@type': 'WebSite', name: 'Kiko Beats' });
    expect(page.headings).toContain('I’m Kiko Beats, a millennial doing stuff on internet working at IBM.');
    expect(page.headings).toContain('Featured Projects');
    expect(page.text).toContain('Extract structured data from any website.');
    expect(page.text.split('\n')).not.toContain('Writings GitHub');
  });

  it.each([
    ['fairkom.eu.about.html', 'Die fairkom Gesellschaft ist ein gemeinwohlorientiertes Partnerschaftsnetzwerk', ['Navigation aktivieren/deaktivieren', "Wie Bio – nur für's Internet"]],
    ['rs-ingenieure.de.tragwerksplanung.html', 'Arbeitsschwerpunkt unserer Hochbauabteilung ist die Planung von Tragwerken', []],
    ['toralin.de.schmierfett.html', 'Kompensiert bis zu 50% Verschleiß.', ['Luftreiniger und Ozongeräte']],
    ['viehbacher.com.steuerrecht.html', 'Beratung im Steuer- und Wirtschaftsrecht aus einer Hand', ['Furth im Wald', 'Ich bin einverstanden', 'Was sind Cookies?']],
  ])('%s: German, umlauts intact, chrome and cookie banner gone', (name, kept, dropped) => {
    const page = clean(name);
    expect(page.language).toBe('de');
    expect(page.text).toContain(kept);
    for (const text of dropped) expect(page.text).not.toContain(text);
  });

  it('never glues words of neighbouring blocks together', () => {
    const page = clean('fairkom.eu.about.html');
    expect(page.text).toContain('1. Cloud Services\n2. Software Entwicklung');
    for (const p of fs.readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.html'))) {
      const { text } = clean(p);
      expect(text, p).not.toMatch(/[ \t]{2,}|\n\s*\n| \n|\n /);
    }
  });
});

describe('cleanPage on small documents', () => {
  const page = (body: string, head = '', htmlAttrs = '') =>
    cleanPage(`<!doctype html><html ${htmlAttrs}><head>${head}</head><body>${body}</body></html>`, 'https://example.com/');

  it('drops every kind of hidden element', () => {
    const { text } = page(`
      <p>Visible</p>
      <p hidden>attr</p>
      <p aria-hidden="true">aria</p>
      <p style="display:none">none</p>
      <p style="color: red; visibility: hidden !important">invisible</p>
      <p style="display: block">block</p>
      <template><p>template</p></template>`);
    expect(text).toBe('Visible\nblock');
  });

  it('reads the title, meta and og descriptions, and skips invalid JSON-LD', () => {
    const p = page(
      '<h1>Hello</h1>',
      `<title> Acme  Corp </title><meta property="og:description" content="From og">
       <script type="application/ld+json">{ not json</script>
       <script type="application/ld+json">[{"@type":"Organization","name":"Acme"},{"@type":"Product"}]</script>`,
    );
    expect(p.title).toBe('Acme Corp');
    expect(p.description).toBe('From og');
    expect(p.jsonLd).toEqual([{ '@type': 'Organization', name: 'Acme' }, { '@type': 'Product' }]);
  });

  it('removes a consent banner by name and by what it says', () => {
    const { text } = page(`
      <main><p>Our product helps teams plan work.</p></main>
      <div id="onetrust-banner-sdk"><p>We value your privacy</p><button>OK</button></div>
      <div class="notice"><p>This site uses cookies to improve your experience.</p><button>Accept all</button></div>`);
    expect(text).toBe('Our product helps teams plan work.');
  });

  it('keeps a page header that carries the pitch, drops one that is only a menu', () => {
    const { text } = page(`
      <header><a href="/">Logo</a><a href="/a">About</a><a href="/p">Pricing</a></header>
      <header><h1>Ship faster</h1><p>The deployment platform for teams who would rather build than babysit servers.</p></header>
      <section><header><h2>Section title</h2></header><p>Body</p><footer>Section footer</footer></section>
      <footer>Page footer</footer>`);
    expect(text).toBe(
      'Ship faster\nThe deployment platform for teams who would rather build than babysit servers.\nSection title\nBody\nSection footer',
    );
  });

  const german =
    'Wir sind ein mittelständisches Unternehmen aus München und entwickeln seit über zwanzig Jahren Software für die Logistik. Unsere Kunden schätzen die persönliche Beratung und den schnellen Support.';

  it('prefers <html lang> when the text agrees, the text when it contradicts it', () => {
    expect(page(`<p>${german}</p>`, '', 'lang="de-AT"').language).toBe('de');
    expect(page(`<p>${german}</p>`, '', 'lang="en"').language).toBe('de');
    expect(page(`<p>${german}</p>`).language).toBe('de');
  });

  it('trusts <html lang> on too little text, and says und when nothing is known', () => {
    expect(page('<p>Kontakt</p>', '', 'lang="de"').language).toBe('de');
    expect(page('<p>Kontakt</p>').language).toBe('und');
    expect(page('', '', 'lang="english"').language).toBe('und');
  });
});
