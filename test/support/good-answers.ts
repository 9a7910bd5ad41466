/**
 * Answers WRITTEN BY HAND in the style of a good model (not by any model, not by a stand-in) for
 * saved real pages in `shared/fixtures/pages`: what a capable model asked for a persona report of
 * the page would send, its citations chosen by reading. They were written before the rules were
 * run on them and are not edited to pass: a rule that rejects one of them is too strict, and
 * costs a reader who used a good model a part of the report.
 *
 * A citation is written as a piece of its passage's text (`cite`); the test turns it into the
 * passage's ID as the prompt numbered it, so a change in how passages are cut does not move it.
 */

/** A citation: text its passage contains (each must find exactly one passage). */
export interface Cite {
  cite: string;
}
const cite = (text: string): Cite => ({ cite: text });

export interface GoodClaim {
  text: string;
  evidence: Cite[];
}

export interface GoodPersona {
  name: string;
  role: string;
  summary: string;
  goals: GoodClaim[];
  painPoints: GoodClaim[];
  objections: GoodClaim[];
  buyingTriggers: GoodClaim[];
  channels: string[];
  messaging: string[];
  evidence: Cite[];
}

export interface GoodAnswer {
  /** The saved page, and the URL it is read as. */
  fixture: string;
  url: string;
  /** The page's language, and the report's (the site's, unless the requester asked for another). */
  siteLanguage: string;
  language: string;
  summary: string;
  offering: { summary: string; products: string[]; valuePropositions: string[]; evidence: Cite[] };
  personas: GoodPersona[];
}

const claim = (text: string, ...evidence: string[]): GoodClaim => ({ text, evidence: evidence.map(cite) });

const microlink: GoodAnswer = {
  fixture: 'microlink.io.html',
  url: 'https://microlink.io/',
  siteLanguage: 'en',
  language: 'en',
  summary:
    'Microlink sells a browser-as-a-service API that turns any website into structured data, screenshots and link previews. Its buyers are developers and product teams who want rich previews or page data without running headless browsers themselves.',
  offering: {
    summary: 'A hosted headless browser behind a simple API: send a URL and get back structured data, a screenshot, the predominant colors or the video of the page, or an embeddable preview card.',
    products: ['Microlink API', 'Microlink SDK (React preview cards)', 'Free and Pro plans'],
    valuePropositions: [
      'Extract structured data from any website with one API call',
      'Screenshots, color detection and video detection built in',
      'A cache layer and built-in adblock for faster responses',
      'Pay as you go, with quotas that follow your API calls',
    ],
    evidence: [cite('Microlink turns any website into useful structured data'), cite('Headless browser service'), cite('Pay as you go')],
  },
  personas: [
    {
      name: 'Daniel Weber',
      role: 'Front-end developer at a content startup',
      summary: 'Daniel builds the web app of a small media startup. He wants every shared link to show a rich preview, without writing and maintaining a scraper for it.',
      goals: [
        claim('Show rich previews for every link users share in the app', 'easily converting links into beautiful previews'),
        claim('Get page metadata from one API call instead of running his own headless browser', 'Headless browser service'),
      ],
      painPoints: [
        claim('Link previews built in-house break whenever a site changes its markup', 'Type check rules for ensuring data extracted is correct'),
        claim('Slow preview generation makes the feed feel sluggish', 'Query caching police for improving response timing'),
      ],
      objections: [claim('Worries that an external API gets expensive as traffic grows', 'Based on API call quotas', 'Pay as you go')],
      buyingTriggers: [claim('A redesign that puts link previews at the center of the feed', 'Build engagement for your website')],
      channels: ['GitHub', 'Developer documentation', 'Tech Twitter'],
      messaging: ['Turn any link into a beautiful preview with one React component', 'Start free and pay as you go as your traffic grows'],
      // Cited the React code sample until the cleaner left code blocks out (version 7).
      evidence: [cite('Microlink is a powerful API for developers')],
    },
    {
      name: 'Priya Shah',
      role: 'Data engineer at an e-commerce analytics company',
      summary: 'Priya collects product data from many shop pages every day for her team’s price dashboards and spends too much time fixing broken scrapers.',
      goals: [
        claim('Extract clean, structured data from any shop page', 'Extract structured data from any website'),
        claim('Capture screenshots of product pages as proof of the prices she reports', 'Full or partial website snapshots'),
      ],
      painPoints: [
        claim('Extracted fields arrive in inconsistent types and formats', 'Type check rules for ensuring data extracted is correct'),
        claim('Ads and trackers slow her crawls down', 'avoid unnecessary requests'),
      ],
      objections: [claim('Rate limits and request concurrency could slow down large crawls', 'Request Concurrency', 'Rate Limit')],
      buyingTriggers: [claim('A new client who needs data from sites her own scrapers cannot handle', 'Works with any website')],
      channels: ['Engineering blogs', 'Stack Overflow', 'Data engineering newsletters'],
      messaging: ['Type-checked data from any website, ready for your pipeline', 'High availability without running a browser farm'],
      evidence: [cite('Cloud based solution with superior operational performance')],
    },
  ],
};

const viehbacher: GoodAnswer = {
  fixture: 'viehbacher.com.steuerrecht.html',
  url: 'https://viehbacher.com/steuerrecht',
  siteLanguage: 'de',
  language: 'de',
  summary:
    'Die Kanzlei Viehbacher berät Unternehmen und Privatpersonen im internationalen und nationalen Steuerrecht, mit Büros in fünf Ländern. Ihre Mandanten haben Steuerfragen über Grenzen hinweg: Unternehmen mit Standorten oder Vertrieb im Ausland und Grenzgänger.',
  offering: {
    summary: 'Steuerberatung, Rechtsberatung und Vertretung aus einer Hand: Anwälte und Steuerberater planen grenzüberschreitende Steuerfragen, erstellen Steuererklärungen und Jahresabschlüsse und vertreten Mandanten im Steuerstrafverfahren.',
    products: ['Internationale Steuerberatung für Unternehmen', 'Steuerberatung für Privatpersonen und Grenzgänger', 'Finanz- und Lohnbuchhaltung', 'Beratung und Vertretung im Steuerstrafverfahren'],
    valuePropositions: [
      'Steuerberater und Anwälte arbeiten bei jeder Rechtsfrage zusammen',
      'Büros vor Ort in Deutschland, Österreich, der Schweiz, Liechtenstein und Italien',
      'Die günstigste steuerliche Gestaltung bei länderübergreifenden Sachverhalten',
      'Wenn es nötig ist, rund um die Uhr erreichbar',
    ],
    evidence: [cite('Beratung im Steuer- und Wirtschaftsrecht aus einer Hand'), cite('Durch die Büros vor Ort'), cite('Bei länderübergreifenden Sachverhalten')],
  },
  personas: [
    {
      name: 'Thomas Berger',
      role: 'Geschäftsführer eines mittelständischen Maschinenbauers',
      summary: 'Thomas führt ein Familienunternehmen mit Vertrieb in Österreich und der Schweiz. Er braucht einen Berater, der die Steuern in allen Ländern zugleich im Blick hat.',
      goals: [
        claim('Den Vertrieb ins Ausland zoll- und steuerrechtlich sicher aufstellen', 'Zoll- und Außensteuerrecht rechtssicher'),
        claim('Buchhaltung, Steuererklärungen und Jahresabschlüsse an einen Partner abgeben', 'entlastet die Viehbacher-Steuerrechtsabteilung'),
      ],
      painPoints: [
        claim('Für jedes Land einen eigenen Steuerberater zu koordinieren kostet Zeit und Nerven', 'kurze Wege und zuverlässige Kontakte'),
        claim('Die Entsendung von Mitarbeitern wirft lohnsteuerliche Fragen auf', 'Entsendung von Mitarbeitern'),
      ],
      objections: [claim('Zweifelt, ob eine Kanzlei in mehreren Ländern seine Branche wirklich kennt', 'in allen Branchen und Unternehmensbereichen')],
      buyingTriggers: [
        claim('Eine anstehende Betriebsprüfung', 'Betreuung und Abwicklung von Betriebsprüfungen'),
        claim('Eine Restrukturierung oder ein Zukauf im Ausland', 'Transaktionen oder Restrukturierungen'),
      ],
      channels: ['Empfehlungen anderer Unternehmer', 'IHK-Veranstaltungen', 'Fachpresse für den Mittelstand'],
      messaging: ['Ein Ansprechpartner für Ihre Steuern in fünf Ländern', 'Steuerplanung, die Ihren Vertrieb im Ausland rechtssicher macht'],
      evidence: [cite('Steuerberatung für Unternehmen - Unterstützung')],
    },
    {
      name: 'Sabine Huber',
      role: 'Grenzgängerin zwischen Vorarlberg und der Schweiz',
      summary: 'Sabine wohnt in Österreich und arbeitet in der Schweiz. Sie will ihre Einkommensteuer richtig erklären und nicht doppelt besteuert werden.',
      goals: [
        claim('Ihre Einkommensteuererklärung korrekt und ohne Doppelbesteuerung abgeben', 'Doppelbesteuerungsabkommen', 'Erstellung von Einkommensteuererklärungen'),
        claim('Die Steuerlast durch vorausschauende Planung senken', 'Steuerplanung zur Senkung der Steuerbelastung'),
      ],
      painPoints: [
        claim('Die Regeln zweier Länder zugleich zu verstehen überfordert sie', 'Privatpersonen, insbesondere sog. Grenzgänger'),
        claim('Unsicherheit, welche Daten über den automatischen Informationsaustausch gemeldet werden', 'Automatischer Informationsaustausch - Beratung & Compliance'),
      ],
      objections: [claim('Fürchtet, dass eine große Kanzlei für eine Privatperson zu teuer oder zu unpersönlich ist', 'steht immer der Mensch im Mittelpunkt')],
      buyingTriggers: [claim('Ein neuer Arbeitsvertrag jenseits der Grenze', 'Beratung auch für Grenzgänger')],
      channels: ['Suche nach Steuerberatung für Grenzgänger', 'Empfehlungen von Kollegen'],
      messaging: ['Steuerberatung für Grenzgänger aus einer Hand', 'Persönliche Beratung mit Erfahrung in fünf Ländern'],
      evidence: [cite('Steuerberatung für Privatpersonen - Beratung auch für Grenzgänger')],
    },
  ],
};

/** The same site, the report asked for in English: claims in other words than their passages. */
const viehbacherInEnglish: GoodAnswer = {
  ...viehbacher,
  language: 'en',
  summary:
    'Viehbacher is a law and tax firm advising companies and private clients on international and German tax law, with offices in five countries. Its clients have tax questions that cross borders: companies selling abroad and cross-border commuters.',
  offering: {
    summary: 'Tax advice, legal advice and representation from one firm: lawyers and tax advisers plan cross-border tax matters, prepare tax returns and annual accounts, and defend clients in tax criminal proceedings.',
    products: ['International tax advice for companies', 'Tax advice for private clients and cross-border commuters', 'Bookkeeping and payroll', 'Defence in tax criminal proceedings'],
    valuePropositions: [
      'Tax advisers and lawyers work together on every legal question',
      'Local offices in Germany, Austria, Switzerland, Liechtenstein and Italy',
      'The most favourable tax structure for cross-border matters',
      'Available around the clock when needed',
    ],
    evidence: viehbacher.offering.evidence,
  },
  personas: [
    {
      ...viehbacher.personas[0]!,
      role: 'Managing director of a mid-sized machine builder',
      summary: 'Thomas runs a family business that sells in Austria and Switzerland. He needs an adviser who keeps the taxes of every country in view at once.',
      goals: [
        claim('Set up sales abroad on a sound customs and tax footing', 'Zoll- und Außensteuerrecht rechtssicher'),
        claim('Hand bookkeeping, tax returns and annual accounts to one partner', 'entlastet die Viehbacher-Steuerrechtsabteilung'),
      ],
      painPoints: [
        claim('Coordinating a separate tax adviser in every country costs time and patience', 'kurze Wege und zuverlässige Kontakte'),
        claim('Sending staff abroad raises payroll tax questions', 'Entsendung von Mitarbeitern'),
      ],
      objections: [claim('Doubts that a firm spread over several countries really knows his industry', 'in allen Branchen und Unternehmensbereichen')],
      buyingTriggers: [
        claim('An upcoming tax audit', 'Betreuung und Abwicklung von Betriebsprüfungen'),
        claim('A restructuring or an acquisition abroad', 'Transaktionen oder Restrukturierungen'),
      ],
      channels: ['Referrals from other business owners', 'Chamber of commerce events', 'Trade press for mid-sized companies'],
      messaging: ['One contact for your taxes in five countries', 'Tax planning that makes your sales abroad legally sound'],
    },
  ],
};

const toralin: GoodAnswer = {
  fixture: 'toralin.de.schmierfett.html',
  url: 'https://toralin.de/schmierfett',
  siteLanguage: 'de',
  language: 'de',
  summary:
    'Toralin verkauft online Schmierstoffe und Additive von XADO, etwa ein reparierendes Schmierfett, das bis zu 50% Verschleiß ausgleichen soll. Kunden sind Autofahrer, Motorradfahrer und Werkstätten, die Lager und Bauteile länger nutzen wollen.',
  offering: {
    summary: 'Ein Onlineshop für Autopflege, Motorenöle und XADO-Additive; das Schmierfett bildet auf verschlissenen Teilen eine metallkeramische Schicht und stellt ihre ursprüngliche Form wieder her.',
    products: ['XADO Schmierfett Reparierend', 'XADO-Schutzfett', 'Motorenöle und Additive'],
    valuePropositions: [
      'Kompensiert bis zu 50% Verschleiß',
      'Erhöht die Lebensdauer der Bauteile',
      'Verringert Geräusche und Vibrationen',
      'Geeignet für PKW, LKW, Motorrad, Fahrrad und Maschinen',
    ],
    evidence: [cite('neue metallkeramische Schicht'), cite('Erhöht die Lebensdauer der Bauteile'), cite('XADO Schmierfett Reparierend, Verschleiß 50%, 125 ml')],
  },
  personas: [
    {
      name: 'Markus Schneider',
      role: 'Inhaber einer kleinen Kfz-Werkstatt',
      summary: 'Markus repariert mit zwei Mitarbeitern Autos und Motorräder. Er sucht Mittel, mit denen verschlissene Lager länger halten, ohne gleich Teile zu tauschen.',
      goals: [
        claim('Die Lebensdauer von Lagern und Bauteilen verlängern', 'Die Lebensdauer von Bauteilen erhöht sich beträchtlich'),
        claim('Kratzer und kleine Risse ausgleichen, statt Teile zu ersetzen', 'Gleicht Kratzer und kleine Risse aus'),
      ],
      painPoints: [
        claim('Laute, vibrierende Lager verärgern seine Kunden', 'Verringert Geräusche und Vibrationen'),
        claim('Korrosion frisst sich in Bauteile, die viel aushalten müssen', 'Beseitigt Korrosion'),
      ],
      objections: [claim('Zweifelt, ob ein Fett Verschleiß wirklich ausgleichen kann', 'Wie funktioniert XADO')],
      buyingTriggers: [claim('Ein Kunde mit einem stark beanspruchten Radlager', 'Bauteilen und Komponenten, die starken Belastungen ausgesetzt sind')],
      channels: ['Kfz-Fachforen', 'Werkstattbedarf-Onlineshops'],
      messaging: ['Verschleiß ausgleichen statt Lager tauschen', 'Für hohe Drehzahlen bis 10.000 U/min geeignet'],
      evidence: [cite('Für hohe Drehzahlen geeignet')],
    },
    {
      name: 'Julia Wagner',
      role: 'Motorradfahrerin, die selbst schraubt',
      summary: 'Julia wartet ihr Motorrad und ihr Fahrrad selbst und liest vor jedem Kauf die Gebrauchsanweisung und die technischen Daten.',
      goals: [
        claim('Ihr Motorrad mit wenig Aufwand gut schmieren', 'Das alte Fett entfernen'),
        claim('Ein Fett, das bei Kälte und Hitze funktioniert', 'Gebrauchstemperaturbereich'),
      ],
      painPoints: [
        claim('Lager, die nach einer Saison schon wieder verschlissen sind', 'Verschleiß wird schnell kompensiert'),
        claim('Herstellerangaben, die nichts über die Technik verraten', 'Verdicker/Basisöl: Li-Seifen/Mineralöl'),
      ],
      objections: [claim('Noch keine Bewertungen anderer Käufer', 'Schreiben Sie die erste Kundenmeinung')],
      buyingTriggers: [claim('Die Wartung vor der neuen Saison', 'Gebrauchsanweisung')],
      channels: ['Motorradforen', 'YouTube-Schrauberkanäle'],
      messaging: ['Eine Tube für Motorrad, Fahrrad und Quad', 'Mehr Lebensdauer für jedes Lager'],
      evidence: [cite('Geeignet für alle PKW, LKW, Motorrad, Quad, Fahrrad, Maschinen. Kompensiert')],
    },
  ],
};

const learnNode: GoodAnswer = {
  fixture: 'learnnode.com.html',
  url: 'https://learnnode.com/',
  siteLanguage: 'en',
  language: 'en',
  summary:
    'Learn Node is a premium video course by Wes Bos that teaches modern JavaScript developers to build full stack applications and APIs with Node.js, Express and MongoDB. It sells to front-end, WordPress and junior JavaScript developers who want to move into server-side work.',
  offering: {
    summary: 'A self-paced course of 44 videos in 15 modules (9.5 hours) in which students build “Now That’s Delicious!”, a restaurant app with user accounts, geolocation, image uploads and an Ajax REST API.',
    products: ['Learn Node video course', 'Closed captions and transcripts', 'Starter files for the course application'],
    valuePropositions: [
      'Learn Node.js, Express and MongoDB by building a real full stack application',
      'Modern JavaScript throughout: ES6 features and async + await',
      'Code reviewed by experienced Node.js developers',
      'Short, referenceable videos you can watch at your own pace',
    ],
    evidence: [cite('A premium training course to learn to build apps'), cite('a full stack restaurant application'), cite('44Videos')],
  },
  personas: [
    {
      name: 'Emma Lopez',
      role: 'Front-end developer moving to full stack',
      summary: 'Emma builds React interfaces at an agency and wants to write the APIs behind them herself instead of waiting for the back-end team.',
      goals: [
        claim('Build complete applications, from database to API to interface, on her own', 'how to build full stack applications and APIs from start to finish'),
        claim('Add server-side JavaScript to her skill set to advance her career', 'add server side JavaScript to your skill-set'),
      ],
      painPoints: [
        claim('Tutorials full of foo and bar examples that never touch real problems', '100% free of jargon and metasyntactic variables'),
        claim('Callback-heavy Node.js code she finds hard to follow', 'without relying on external flow control libraries'),
      ],
      objections: [claim('Unsure whether she knows enough JavaScript to keep up', "This isn't JavaScript 101")],
      buyingTriggers: [claim('A project at work that needs a REST API and user authentication', 'user authentication, database storage, Ajax REST API')],
      channels: ['Twitter', 'JavaScript newsletters', 'Developer podcasts'],
      messaging: ['Go full stack with the JavaScript you already know', 'Build a real app with user accounts, maps and image uploads'],
      evidence: [cite('Front End Devs looking to go Full Stack')],
    },
    {
      name: 'Raj Patel',
      role: 'WordPress developer at a small web studio',
      summary: 'Raj builds client sites on WordPress and wants more control over the applications he delivers.',
      goals: [
        claim('Get more control than WordPress plugins give him', 'WordPress developers looking for a little more control'),
        claim('Learn to store and query location data for a client’s store finder', 'Storing Geospatial Data'),
      ],
      painPoints: [
        claim('Little time to learn between client projects', 'during your lunch or on your commute'),
        claim('Long, slow courses that put him to sleep', "it won't put you to sleep"),
      ],
      objections: [claim('Doubts that a course for beginners goes deep enough to be worth a premium price', 'We start beginner and go pretty deep')],
      buyingTriggers: [claim('A client who asks for a custom web application instead of a theme', 'Existing server side developers looking to understand the Node stack')],
      channels: ['WordPress meetups', 'YouTube', 'Twitter'],
      messaging: ['From WordPress to Node.js, one real application at a time', 'Videos short enough for a lunch break'],
      evidence: [cite('Wes Bos is a Full Stack Developer, Speaker and Teacher from Canada')],
    },
  ],
};

const fairkom: GoodAnswer = {
  fixture: 'fairkom.eu.about.html',
  url: 'https://fairkom.eu/about',
  siteLanguage: 'de',
  language: 'de',
  summary:
    'fairkom ist ein gemeinwohlorientiertes Netzwerk selbstständiger IT-Consultants aus Österreich, das Cloud-Dienste, Softwareentwicklung und Beratung auf Open-Source-Basis anbietet. Kunden sind vor allem Organisationen im öffentlichen Sektor und nachhaltig wirtschaftende Unternehmen, denen Datenschutz und faire Software wichtig sind.',
  offering: {
    summary: 'Beratung, Planung, Implementierung, Betrieb und Support von Open-Source-Lösungen: virtualisierte IT-Infrastruktur, Cloud Services, Softwareentwicklung, Social Design und Commons.',
    products: ['Cloud Services', 'Software-Entwicklung', 'Betrieb virtualisierter IT-Infrastruktur', 'Social Design'],
    valuePropositions: [
      'Offener Code ohne versteckte Hintertüren',
      'CO2-neutrale Server, betrieben mit Ökostrom',
      'Umfassender Datenschutz: keine Weitergabe von Daten',
      'Erfahrung mit Netzkultur und Freier Software seit 1995',
    ],
    evidence: [cite('Wir betreuen virtualisierte IT Infrastrukturen'), cite('Beratung - Planung - Implementierung - Betrieb - Support'), cite('Unsere Anwendungen laufen auf energieeffizienten')],
  },
  personas: [
    {
      name: 'Martina Gruber',
      role: 'IT-Leiterin einer Gemeindeverwaltung',
      summary: 'Martina verantwortet die IT einer mittelgroßen Gemeinde und soll Abhängigkeiten von großen Softwarekonzernen verringern, ohne den Datenschutz zu gefährden.',
      goals: [
        claim('Eine Cloud auf Open-Source-Basis für die Verwaltung betreiben lassen', 'Wir betreuen virtualisierte IT Infrastrukturen auf Open Source Basis'),
        claim('Sicherstellen, dass die Daten der Bürgerinnen und Bürger nicht weitergegeben werden', 'verkaufen keine Daten weiter'),
      ],
      painPoints: [
        claim('Proprietäre Software, deren Code niemand prüfen kann', 'Bei uns gibt es keine versteckten Hintertüren'),
        claim('Zu wenig eigenes Personal für Betrieb und Support', 'Ein breites Team an Techniker*innen betreuen unsere Systeme'),
      ],
      objections: [claim('Zweifelt, ob ein Netzwerk von Selbstständigen die Verlässlichkeit eines großen Anbieters bietet', 'Partnerschaftsnetzwerk von selbstständigen IT Consultants')],
      buyingTriggers: [claim('Eine Ausschreibung für den Umstieg auf freie Software', 'Generalunternehmerin in osAlliance Kundenprojekten')],
      channels: ['Fachveranstaltungen für Verwaltungs-IT', 'Empfehlungen anderer Gemeinden'],
      messaging: ['Freie Software für die öffentliche Hand, betreut aus Österreich', 'Ihre Daten bleiben Ihre Daten'],
      evidence: [cite('spezialisieren uns dabei auf Organisationen und Unternehmen im öffentlichen Sektor')],
    },
    {
      name: 'Lukas Berger',
      role: 'Geschäftsführer eines nachhaltigen Sozialunternehmens',
      summary: 'Lukas leitet ein Sozialunternehmen und will, dass auch dessen IT zu den eigenen Werten passt: fair, offen und klimaneutral.',
      goals: [
        claim('IT-Dienste nutzen, die klimaneutral betrieben werden', 'CO2-neutralen Servern'),
        claim('Mit einem Partner arbeiten, der Überschüsse in soziale Projekte steckt', 'unterstützen damit soziale und nachhaltige Projekte'),
      ],
      painPoints: [
        claim('Große Cloud-Anbieter passen nicht zu den Werten seines Unternehmens', 'faire Nutzung gemeinsamer Ressourcen. Der Zweck'),
        claim('Sorge, dass Nutzerdaten weitergegeben werden', 'Privatsphäre ist uns wichtig'),
      ],
      objections: [claim('Fragt sich, ob Open-Source-Lösungen so bequem sind wie die großer Anbieter', 'Beratung - Planung - Implementierung - Betrieb - Support')],
      buyingTriggers: [claim('Ein Nachhaltigkeitsbericht, der auch die IT bewerten soll', 'energieeffizienten und CO2-neutralen Servern, die mit Ökostrom betrieben werden')],
      channels: ['Netzwerke der Gemeinwohl-Ökonomie', 'Open-Source-Konferenzen'],
      messaging: ['Faire Software auf grünen Servern', 'Open Source aus Überzeugung, seit 1995'],
      evidence: [cite('Unser Ziel ist, die Entwicklung und Verwendung von Fairer Software voranzutreiben')],
    },
  ],
};

/** A blog post is all the site gave: a good model says what the page shows and no more. */
const caktus: GoodAnswer = {
  fixture: 'caktusgroup.com.django.html',
  url: 'https://caktusgroup.com/django',
  siteLanguage: 'en',
  language: 'en',
  summary:
    'Caktus Group publishes technical writing on Django and Python, here a post-mortem by Mark Lavin of a test failure during an O’Reilly Media webcast. Its readers are Django developers who test client-side applications and want to learn from real debugging stories.',
  offering: {
    summary: 'The page offers expertise rather than a product: a detailed walk-through of tracing a Django test that passed alone and failed in the full suite, down to a fix merged into Django 1.8.',
    products: ['Technical blog posts', 'Webcasts on testing'],
    valuePropositions: [
      'Practical debugging lessons from real Django projects',
      'Fixes contributed back to Django itself',
      'Honest accounts of what went wrong and why',
    ],
    evidence: [cite('Testing Client-Side Applications with Django Post Mortem'), cite('I created a pull request with the fix'), cite('I had the opportunity to give a webcast')],
  },
  personas: [
    {
      name: 'Alex Kim',
      role: 'Django developer at a product company',
      summary: 'Alex maintains a large Django code base with Selenium tests and loses hours to tests that fail only when the whole suite runs.',
      goals: [
        claim('Find the cause of tests that pass alone but fail in the full suite', 'passes alone and fails when running in the suite'),
        claim('Test the server and the client side of the application together', 'Integrate the server and client tests all together'),
      ],
      painPoints: [
        claim('Global shared state between tests that is hard to trace', 'This points to some global shared state between tests'),
        claim('Cached settings that override_settings does not reset', 'Django was using the lru_cache decorator'),
      ],
      objections: [claim('Doubts that a blog post applies to his version of Django', 'included in the recent 1.8 release')],
      buyingTriggers: [claim('A flaky test suite that blocks a release', 'a very frustrating problem')],
      channels: ['Django blogs', 'Stack Overflow', 'Webcasts'],
      messaging: ['How we traced a Django test that only failed in the full suite', 'Lessons from a broken demo'],
      // Cited the test's code until the cleaner left code blocks out (version 7).
      evidence: [cite('I had git branches setup for each phase of the process')],
    },
  ],
};

/** A short page: four passages, cited more than once. */
const rsIngenieure: GoodAnswer = {
  fixture: 'rs-ingenieure.de.tragwerksplanung.html',
  url: 'https://rs-ingenieure.de/tragwerksplanung',
  siteLanguage: 'de',
  language: 'de',
  summary:
    'RS Ingenieure ist ein Bauingenieurbüro beratender Ingenieure (VBI) mit 35 Jahren Erfahrung, das Tragwerke im Hoch- und Ingenieurbau plant. Seine Kunden sind Bauherren und Architekten, die dauerhafte und wirtschaftliche Konstruktionen brauchen.',
  offering: {
    summary: 'Tragwerksplanung in allen Leistungsbildern nach HOAI § 49, dazu besondere Leistungen wie Bewehrungskontrollen, Wärmeschutz- und Schallschutznachweise.',
    products: ['Tragwerksplanung', 'Bewehrungskontrollen', 'Wärmeschutznachweise nach EnEV', 'Schallschutznachweise'],
    valuePropositions: ['Dauerhafte, unterhaltungsarme Tragwerke', 'Konstruktionen, die auch wirtschaftlich darstellbar sind', '35 Jahre Erfahrung mit anspruchsvollen Bauprojekten'],
    evidence: [cite('Arbeitsschwerpunkt unserer Hochbauabteilung'), cite('Oberstes Ziel sind dauerhafte')],
  },
  personas: [
    {
      name: 'Claudia Hoffmann',
      role: 'Architektin mit eigenem Büro',
      summary: 'Claudia plant Wohn- und Geschäftshäuser und sucht für jedes Projekt einen Tragwerksplaner, der früh mitdenkt und die Nachweise vollständig liefert.',
      goals: [
        claim('Einen Tragwerksplaner, der alle Leistungsbilder der HOAI abdeckt', 'Wir bearbeiten alle Leistungsbilder gemäß der HOAI'),
        claim('Wärmeschutz- und Schallschutznachweise aus einer Hand', 'Wärmeschutznachweise nach EnEV'),
      ],
      painPoints: [
        claim('Tragwerke, die später teuer unterhalten werden müssen', 'unterhaltungsarme Tragwerkskonstruktionen'),
        claim('Konstruktionen, die technisch gehen, aber das Budget sprengen', 'wirtschaftliche Darstellbarkeit'),
      ],
      objections: [claim('Fragt sich, ob ein regionales Büro auch große Projekte stemmt', 'Beratende Ingenieure VBI')],
      buyingTriggers: [claim('Ein neuer Auftrag im Hochbau mit anspruchsvoller Statik', 'Planung von Tragwerken im Hoch- und Ingenieurbau')],
      channels: ['Empfehlungen von Bauherren', 'Architektenkammer'],
      messaging: ['Tragwerksplanung, die dauerhaft und wirtschaftlich ist', 'Alle Nachweise aus einer Hand'],
      evidence: [cite('Tragwerksplanung')],
    },
  ],
};

/** The English site, the report asked for in German: German nouns, the site's names. */
const microlinkInGerman: GoodAnswer = {
  ...microlink,
  language: 'de',
  summary:
    'Microlink verkauft eine Browser-as-a-Service-API, die jede Website in strukturierte Daten, Screenshots und Link-Vorschauen verwandelt. Käufer sind Entwickler und Produktteams, die Vorschauen oder Seitendaten wollen, ohne selbst Headless-Browser zu betreiben.',
  offering: {
    summary: 'Ein gehosteter Headless-Browser hinter einer einfachen API: Man schickt eine URL und bekommt strukturierte Daten, einen Screenshot, die vorherrschenden Farben oder das Video der Seite zurück.',
    products: ['Microlink API', 'Microlink SDK (Vorschaukarten für React)', 'Kostenloser Tarif und Pro-Tarif'],
    valuePropositions: [
      'Strukturierte Daten aus jeder Website mit einem einzigen API-Aufruf',
      'Screenshots, Farb- und Videoerkennung eingebaut',
      'Ein Cache und ein eingebauter Werbeblocker für schnellere Antworten',
      'Bezahlung nach Verbrauch, mit Kontingenten je API-Aufruf',
    ],
    evidence: microlink.offering.evidence,
  },
  personas: [
    {
      ...microlink.personas[0]!,
      role: 'Frontend-Entwickler bei einem Content-Startup',
      summary: 'Daniel baut die Web-App eines kleinen Medien-Startups. Jeder geteilte Link soll eine ansprechende Vorschau zeigen, ohne dass er dafür einen Scraper schreiben und pflegen muss.',
      goals: [
        claim('Für jeden Link, den Nutzer teilen, eine ansprechende Vorschau zeigen', 'easily converting links into beautiful previews'),
        claim('Metadaten einer Seite mit einem API-Aufruf holen, statt einen eigenen Headless-Browser zu betreiben', 'Headless browser service'),
      ],
      painPoints: [
        claim('Selbst gebaute Vorschauen gehen kaputt, sobald eine Website ihr Markup ändert', 'Type check rules for ensuring data extracted is correct'),
        claim('Langsam erzeugte Vorschauen machen den Feed träge', 'Query caching police for improving response timing'),
      ],
      objections: [claim('Sorge, dass eine externe API mit wachsendem Traffic teuer wird', 'Based on API call quotas', 'Pay as you go')],
      buyingTriggers: [claim('Ein Redesign, das Link-Vorschauen in den Mittelpunkt des Feeds stellt', 'Build engagement for your website')],
      channels: ['GitHub', 'Entwicklerdokumentation', 'Tech-Twitter'],
      messaging: ['Jeder Link wird mit einer React-Komponente zur Vorschau', 'Kostenlos starten und nach Verbrauch zahlen, wenn der Traffic wächst'],
    },
  ],
};

export const GOOD_ANSWERS: readonly GoodAnswer[] = [microlink, microlinkInGerman, viehbacher, viehbacherInEnglish, toralin, learnNode, fairkom, caktus, rsIngenieure];
