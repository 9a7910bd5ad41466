import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ACME_PAGES } from '../test/support/acme-site.js';
import { serveSite, type TestSite } from '../test/support/sites.js';

/** The saved real pages beside the repository (`../shared/fixtures/pages`). */
export const FIXTURES_DIR = fileURLToPath(new URL('../../shared/fixtures/pages/', import.meta.url));

export interface SiteSpec {
  /** `acme` or the fixture's file name. */
  name: string;
  routes: Record<string, string>;
}

/** ACME (our small linked site) first, then one site per saved page, served at `/`. */
export async function benchSites(): Promise<SiteSpec[]> {
  const names = (await readdir(FIXTURES_DIR)).filter((n) => n.endsWith('.html')).sort();
  const fixtures = await Promise.all(names.map(async (name) => ({ name, routes: { '/': await readFile(`${FIXTURES_DIR}${name}`, 'utf8') } })));
  return [{ name: 'acme', routes: ACME_PAGES }, ...fixtures];
}

/**
 * A fresh server (own port) for one analysis: the port tells the AI router whose prompt it is, and
 * no analysis reads another's cached pages.
 */
export async function serve(spec: SiteSpec): Promise<TestSite & { port: number }> {
  const site = await serveSite(spec.routes);
  return { ...site, port: Number(new URL(site.url).port) };
}
