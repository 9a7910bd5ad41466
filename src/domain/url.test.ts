import { describe, expect, it } from 'vitest';
import { classifyAddress, InvalidUrlError, isSameSite, normalizeUrl, siteDomain } from './url.js';

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

describe('classifyAddress', () => {
  it.each([
    // IPv4
    ['93.184.216.34', 'public'],
    ['8.8.8.8', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['169.254.1.1', 'link-local'],
    ['0.0.0.0', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['224.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    // IPv6
    ['2606:4700:4700::1111', 'public'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::', 'reserved'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fd00::1', 'private'],
    ['fdff:ffff::1', 'private'],
    ['fc00::1', 'private'],
    ['fd00:ec2::254', 'metadata'],
    ['FD00:EC2::254', 'metadata'],
    ['2001:db8::1', 'reserved'],
    ['ff02::1', 'reserved'],
    ['2002:7f00:1::', 'reserved'],
    // IPv4 inside IPv6: judged by the IPv4 address
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['0:0:0:0:0:ffff:c0a8:0101', 'private'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['::127.0.0.1', 'reserved'],
  ] as const)('%s is %s', (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
  });

  it('throws for something that is not an address', () => {
    expect(() => classifyAddress('example.com')).toThrow(TypeError);
    expect(() => classifyAddress('999.1.1.1')).toThrow(TypeError);
  });
});
