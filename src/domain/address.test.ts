import { describe, expect, it } from 'vitest';
import { classifyAddress, classifyHostName, embeddedIPv4, isAllowedClass, parseIPv4, urlRefusal, type AddressPolicy } from './address.js';

describe('classifyAddress: hostile and ordinary address forms', () => {
  it.each([
    // Public
    ['93.184.216.34', 'public'],
    ['8.8.8.8', 'public'],
    ['172.32.0.1', 'public'],
    ['100.128.0.1', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::8.8.8.8', 'public'],
    // Loopback, in every spelling a URL host or inet_aton accepts
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['127.1', 'loopback'],
    ['127.0.1', 'loopback'],
    ['2130706433', 'loopback'],
    ['0x7f000001', 'loopback'],
    ['0X7F000001', 'loopback'],
    ['017700000001', 'loopback'],
    ['0177.0.0.1', 'loopback'],
    ['0x7f.1', 'loopback'],
    ['0x7f.0.0.1', 'loopback'],
    ['0x7f.0x0.0x0.0x1', 'loopback'],
    ['127.0.0.1.', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    // Unspecified: connecting to it reaches this machine
    ['0.0.0.0', 'unspecified'],
    ['0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['0x', 'unspecified'], // the URL parser reads a bare 0x as 0
    ['::', 'unspecified'],
    // Private, CGNAT, unique-local, site-local
    ['10.1.2.3', 'private'],
    ['012.1.2.3', 'private'], // octal 10
    ['167772161', 'private'], // 10.0.0.1
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['0xc0a80101', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['fc00::1', 'private'],
    ['fd00::1', 'private'],
    ['fdff:ffff::1', 'private'],
    ['fec0::1', 'private'],
    // Link-local
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['[fe80::1%25eth0]', 'link-local'],
    // Cloud metadata, in any spelling
    ['169.254.169.254', 'metadata'],
    ['2852039166', 'metadata'],
    ['0xa9fea9fe', 'metadata'],
    ['0251.0376.0251.0376', 'metadata'],
    ['169.254.43518', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['FD00:EC2::254', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    // IPv4 inside IPv6: judged by the IPv4 address
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['[::ffff:7f00:1]', 'loopback'],
    ['0:0:0:0:0:ffff:c0a8:0101', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:0:127.0.0.1', 'loopback'], // IPv4-translated
    ['::127.0.0.1', 'loopback'], // IPv4-compatible
    ['::7f00:1', 'loopback'],
    ['::10.0.0.1', 'private'],
    ['::8.8.8.8', 'reserved'], // deprecated IPv4-compatible: never trusted
    ['64:ff9b::10.0.0.1', 'private'], // NAT64
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b:1::1', 'reserved'], // local-use NAT64
    ['2002:7f00:1::', 'loopback'], // 6to4 of 127.0.0.1
    ['2002:a9fe:a9fe::1', 'metadata'],
    ['2002:808:808::1', 'reserved'], // 6to4 of a public address: a tunnel we would have to trust
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'], // Teredo, client 127.0.0.1 (inverted)
    ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'reserved'], // Teredo, client 8.8.8.8
    // Multicast and reserved
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['4294967295', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['100::1', 'reserved'],
    ['4000::1', 'reserved'], // outside global unicast 2000::/3
  ] as const)('%s is %s', (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
  });

  it.each(['example.com', '999.1.1.1', '1.2.3.4.5', '08.0.0.1', '4294967296', '256.256', '1.2.3.256', '', '::g'])('%j is not an address', (text) => {
    expect(() => classifyAddress(text)).toThrow(TypeError);
  });
});

describe('parseIPv4 reads what the URL parser reads', () => {
  it.each(['2130706433', '0x7f.1', '0177.0.0.1', '127.1', '017700000001', '0x7f000001', '127.0.0.1', '10.0.258', '0xa.0x1020304'.slice(0, 5)])(
    '%s is read as new URL() reads it',
    (text) => {
      expect(parseIPv4(text)).toBe(new URL(`http://${text}/`).hostname);
    },
  );
});

describe('embeddedIPv4', () => {
  it('finds the IPv4 address in mapped, compatible, NAT64, 6to4 and Teredo forms', () => {
    expect(embeddedIPv4('::ffff:1.2.3.4')).toEqual({ v4: '1.2.3.4', via: 'mapped' });
    expect(embeddedIPv4('::1.2.3.4')).toEqual({ v4: '1.2.3.4', via: 'compatible' });
    expect(embeddedIPv4('64:ff9b::102:304')).toEqual({ v4: '1.2.3.4', via: 'nat64' });
    expect(embeddedIPv4('2002:102:304::')).toEqual({ v4: '1.2.3.4', via: '6to4' });
    expect(embeddedIPv4('2001:0:1:2:3:4:fefd:fcfb')).toEqual({ v4: '1.2.3.4', via: 'teredo' });
    expect(embeddedIPv4('::1')).toBeUndefined();
    expect(embeddedIPv4('2606:4700::1111')).toBeUndefined();
  });
});

describe('classifyHostName', () => {
  it.each([
    ['localhost', 'loopback'],
    ['LOCALHOST.', 'loopback'],
    ['app.localhost', 'loopback'],
    ['metadata.google.internal', 'metadata'],
    ['metadata.google.internal.', 'metadata'],
    ['instance-data', 'metadata'],
    ['example.com', undefined],
    ['localhost.example.com', undefined],
  ] as const)('%s → %s', (name, expected) => {
    expect(classifyHostName(name)).toBe(expected);
  });
});

describe('isAllowedClass', () => {
  it('admits public always, loopback and private only for local testing, the rest never', () => {
    expect(isAllowedClass('public', false)).toBe(true);
    for (const kind of ['loopback', 'private'] as const) {
      expect(isAllowedClass(kind, false)).toBe(false);
      expect(isAllowedClass(kind, true)).toBe(true);
    }
    for (const kind of ['metadata', 'link-local', 'multicast', 'unspecified', 'reserved'] as const) {
      expect(isAllowedClass(kind, true)).toBe(false);
    }
  });
});

describe('urlRefusal: what a URL alone tells', () => {
  const strict: AddressPolicy = { allowPrivate: false, allowedPorts: [80, 443] };
  const local: AddressPolicy = { allowPrivate: true, allowedPorts: 'any' };

  it.each([
    'https://example.com/',
    'http://example.com/about',
    'https://example.com:443/',
    'http://8.8.8.8/',
    'http://[2606:4700:4700::1111]/',
  ])('admits %s', (url) => {
    expect(urlRefusal(url, strict)).toBeUndefined();
  });

  it.each([
    ['ftp://example.com/', /Only http and https/],
    ['file:///etc/passwd', /Only http and https/],
    ['gopher://example.com:70/', /Only http and https/],
    ['https://user:pw@example.com/', /user name or password/],
    ['https://user@example.com/', /user name or password/],
    ['https://example.com:8080/', /Port 8080 is not allowed.*SCRAPE_ALLOWED_PORTS/],
    ['http://example.com:22/', /Port 22/],
    ['http://127.0.0.1/', /127\.0\.0\.1 is a loopback.*SCRAPE_ALLOW_PRIVATE_NETWORKS=true admits/],
    ['http://2130706433/', /127\.0\.0\.1 is a loopback/],
    ['http://0x7f.1/', /loopback/],
    ['http://0177.0.0.1/', /loopback/],
    ['http://127.1/', /loopback/],
    ['http://[::1]/', /::1 is a loopback/],
    ['http://[::ffff:127.0.0.1]/', /loopback/],
    ['http://[::ffff:7f00:1]/', /loopback/],
    ['http://0.0.0.0/', /unspecified/],
    ['http://0/', /unspecified/],
    ['http://10.0.0.1/', /is a private \(non-public\) address/],
    ['http://100.64.1.1/', /is a private \(non-public\) address/],
    ['http://[fd12::1]/', /is a private \(non-public\) address/],
    ['http://169.254.169.254/latest/meta-data/', /cloud metadata/],
    ['http://[fd00:ec2::254]/', /cloud metadata/],
    ['http://metadata.google.internal/computeMetadata/v1/', /metadata.google.internal resolves to a cloud metadata/],
    ['http://localhost/', /localhost resolves to a loopback/],
    ['http://foo.localhost/', /loopback/],
    ['http://[fe80::1]/', /link-local/],
    ['http://224.0.0.1/', /multicast/],
    ['http://[64:ff9b::a00:1]/', /is a private \(non-public\) address/],
  ])('refuses %s', (url, message) => {
    expect(urlRefusal(url, strict)).toMatch(message);
  });

  it('with SCRAPE_ALLOW_PRIVATE_NETWORKS admits loopback and private addresses, never metadata or link-local', () => {
    expect(urlRefusal('http://127.0.0.1:5173/', local)).toBeUndefined();
    expect(urlRefusal('http://localhost:3000/', local)).toBeUndefined();
    expect(urlRefusal('http://192.168.1.10/', local)).toBeUndefined();
    expect(urlRefusal('http://169.254.169.254/', local)).toMatch(/cloud metadata.*even with SCRAPE_ALLOW_PRIVATE_NETWORKS=true/);
    expect(urlRefusal('http://metadata.google.internal/', local)).toMatch(/metadata/);
    expect(urlRefusal('http://[fe80::1]/', local)).toMatch(/link-local/);
    expect(urlRefusal('http://0.0.0.0/', local)).toMatch(/unspecified/);
  });

  it('checks the port against SCRAPE_ALLOWED_PORTS, with the scheme default when none is written', () => {
    expect(urlRefusal('http://example.com:8080/', { allowPrivate: false, allowedPorts: [80, 443, 8080] })).toBeUndefined();
    expect(urlRefusal('http://example.com/', { allowPrivate: false, allowedPorts: [443] })).toMatch(/Port 80/);
  });
});
