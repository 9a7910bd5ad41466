import { constants } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { chromium } from 'playwright-core';

/**
 * PDF reports: the HTML report printed by a headless Chromium (Debian's `chromium` package, driven
 * by playwright-core; no browser download). Chromium is optional: without it the API answers 501
 * and says how to install it.
 */

export const CHROMIUM_INSTALL_HELP =
  'PDF reports are printed by Chromium, which is not installed on this server. Install it with ' +
  '`apt-get install chromium` (Debian/Ubuntu; or set CHROMIUM_PATH to a Chromium or Chrome binary), ' +
  'or ask for format=html and print that page from a browser.';

/** Chromium is missing or cannot start here: a setup problem, not one a retry fixes. */
export class PdfUnavailableError extends Error {
  override name = 'PdfUnavailableError';
}

/** Headless, offline, nothing kept: the page is our own HTML, and it fetches nothing. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A Chromium per PDF costs about a second; two at a time keeps a small machine responsive. */
const limit = pLimit(2);

/** Prints `html` to an A4 PDF. Throws PdfUnavailableError when Chromium is absent or does not start. */
export async function renderPdf(html: string, opts: { executablePath: string; timeoutMs?: number }): Promise<Buffer> {
  try {
    await access(opts.executablePath, constants.X_OK);
  } catch {
    throw new PdfUnavailableError(`${CHROMIUM_INSTALL_HELP} (looked for ${opts.executablePath})`);
  }
  return limit(() => print(html, opts.executablePath, opts.timeoutMs ?? 20_000));
}

async function print(html: string, executablePath: string, timeoutMs: number): Promise<Buffer> {
  // A fresh profile per PDF: nothing carries over between reports, and parallel Chromiums do not share one.
  const profile = await mkdtemp(path.join(tmpdir(), 'persona-pdf-'));
  try {
    let context;
    try {
      context = await chromium.launchPersistentContext(profile, {
        executablePath,
        headless: true,
        args: CHROMIUM_ARGS,
        javaScriptEnabled: false,
        offline: true,
        timeout: timeoutMs,
      });
    } catch (err) {
      throw new PdfUnavailableError(`Chromium at ${executablePath} did not start: ${firstLine(err)}. ${CHROMIUM_INSTALL_HELP}`, { cause: err });
    }
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      // The report's CSP already forbids loading anything; refuse every request anyway.
      await page.route('**/*', (route) => route.abort());
      await page.setContent(html, { waitUntil: 'load', timeout: timeoutMs });
      return await page.pdf({ format: 'A4', printBackground: true, margin: { top: '18mm', bottom: '18mm', left: '14mm', right: '14mm' } });
    } finally {
      await context.close().catch(() => {});
    }
  } finally {
    await rm(profile, { recursive: true, force: true }).catch(() => {});
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
