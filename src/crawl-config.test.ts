import { describe, expect, it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import { productToken } from '../activities/robots.js';
import { DEFAULT_USER_AGENT, loadConfig } from './config.js';

describe('crawler configuration', () => {
  it('names the product, its version and a contact URL by default', () => {
    const config = loadConfig({});
    expect(config.SCRAPE_USER_AGENT).toBe(DEFAULT_USER_AGENT);
    expect(DEFAULT_USER_AGENT).toBe(`PersonaAnalyzer/${packageJson.version} (+https://github.com/persona-analyzer)`);
    expect(productToken(DEFAULT_USER_AGENT)).toBe('PersonaAnalyzer');
    expect(config).toMatchObject({ CRAWL_MAX_DEPTH: 3, CRAWL_MAX_BYTES: 20_000_000, CRAWL_MAX_SECONDS: 240, CRAWL_CONCURRENCY: 2 });
  });

  it('accepts an operator User-Agent and refuses one that hides who is crawling', () => {
    expect(loadConfig({ SCRAPE_USER_AGENT: 'AcmeResearch/2.1 (+https://acme.example/bot)' }).SCRAPE_USER_AGENT).toBe('AcmeResearch/2.1 (+https://acme.example/bot)');
    expect(productToken('AcmeResearch/2.1 (+https://acme.example/bot)')).toBe('AcmeResearch');
    for (const bad of ['Mozilla/5.0 (Windows NT 10.0; Win64; x64)', 'PersonaAnalyzer', 'PersonaAnalyzer/1.0']) {
      expect(() => loadConfig({ SCRAPE_USER_AGENT: bad })).toThrow(/SCRAPE_USER_AGENT: must name the product, its version and a contact URL/);
    }
  });

  it('validates the crawl limits', () => {
    expect(loadConfig({ CRAWL_MAX_DEPTH: '5', CRAWL_CONCURRENCY: '1', CRAWL_MAX_SECONDS: '30', CRAWL_MAX_BYTES: '1000000' })).toMatchObject({
      CRAWL_MAX_DEPTH: 5,
      CRAWL_CONCURRENCY: 1,
      CRAWL_MAX_SECONDS: 30,
      CRAWL_MAX_BYTES: 1_000_000,
    });
    expect(() => loadConfig({ CRAWL_CONCURRENCY: '0' })).toThrow(/CRAWL_CONCURRENCY/);
    expect(() => loadConfig({ CRAWL_MAX_DEPTH: 'deep' })).toThrow(/CRAWL_MAX_DEPTH/);
  });
});
