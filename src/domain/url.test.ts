import { describe, expect, it } from 'vitest';
import { InvalidUrlError, isSameSite, normalizeUrl, siteDomain } from './url.js';

describe('normalizeUrl', () => {
  it.each([
    ['https://Example.COM', 'https://example.com/'],
    ['HTTP://example.com:80/', 'http://example.com/'],
    ['https://example.com:443/pricing', 'https://example.com/pricing'],
    ['https://example.com:8443/pricing', 'https://example.com:8443/pricing'],
    ['https://example.com/about#team', 'https://example.com/about'],
    ['https://example.com/about/', 'https://example.com/about/'],
    ['https://example.com./about', 'https://example.com/about'],
    ['  https://example.com/a  ', 'https://example.com/a'],
    ['example.com/about', 'https://example.com/about'],
    ['localhost:3000/x', 'https://localhost:3000/x'],
    ['https://example.com/?utm_source=x&utm_MEDIUM=y&gclid=1&fbclid=2', 'https://example.com/'],
    ['https://example.com/p?b=2&utm_source=x&a=1', 'https://example.com/p?b=2&a=1'],
    ['https://example.com/p?q=a%20b', 'https://example.com/p?q=a%20b'],
    ['https://bücher.de/', 'https://xn--bcher-kva.de/'],
    ['http://[::1]:8080/', 'http://[::1]:8080/'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeUrl(input)).toBe(expected);
  });

  it.each(['ftp://example.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'mailto:a@example.com', 'data:text/html,hi', '', 'https://', 'https://user:pw@example.com/'])(
    'refuses %j',
    (input) => {
      expect(() => normalizeUrl(input)).toThrow(InvalidUrlError);
    },
  );

  it('is idempotent', () => {
    const once = normalizeUrl('HTTPS://WWW.Example.com:443/Path/?utm_campaign=a&x=1#f');
    expect(normalizeUrl(once)).toBe(once);
    expect(once).toBe('https://www.example.com/Path/?x=1');
  });
});

describe('siteDomain and isSameSite', () => {
  it('drops a leading www. only', () => {
    expect(siteDomain('https://www.example.com/a')).toBe('example.com');
    expect(siteDomain('https://shop.example.com/')).toBe('shop.example.com');
    expect(siteDomain('https://wwwexample.com/')).toBe('wwwexample.com');
  });

  it('treats www. as the same site and other hosts as other sites', () => {
    expect(isSameSite('https://example.com/', 'http://www.example.com/about')).toBe(true);
    expect(isSameSite('https://example.com/', 'https://EXAMPLE.com./x')).toBe(true);
    expect(isSameSite('https://example.com/', 'https://docs.example.com/')).toBe(false);
    expect(isSameSite('https://example.com/', 'https://example.org/')).toBe(false);
    expect(isSameSite('https://example.com/', 'not a url')).toBe(false);
    expect(isSameSite('http://example.com/', 'https://example.com:443/')).toBe(true);
    expect(isSameSite('http://127.0.0.1:4000/', 'http://127.0.0.1:4001/')).toBe(false);
    expect(isSameSite('http://127.0.0.1:4000/', 'http://127.0.0.1:4000/about')).toBe(true);
  });
});

// classifyAddress and the other address checks: address.test.ts.
