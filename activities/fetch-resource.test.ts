import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyAddress, urlRefusal, type AddressClass } from '../src/domain/address.js';
import { FailureType } from '../src/domain/failures.js';
import { createLogger } from '../src/logger.js';
import {
  selfSignedCertificate,
  startDecoy,
  startHttp2Site,
  temporaryDnsFailure,
  testResolver,
  type Decoy,
  type Http2Site,
  type SelfSignedCertificate,
} from '../test/support/test-resolver.js';
import { anyType, fetchResource, FetchFailure, isHtml, RefusedResponse, type FetchOptions } from './fetch-resource.js';
import { createHostCheck, type HostCheckOptions } from './host-check.js';

/*
 * The one function that fetches, against servers on this machine only. Hostile destinations go
 * through the real fetch code while decoys on the loopback count the connections they get: zero.
 * Names are answered by a test resolver (test/support/test-resolver.ts), never by the machine's DNS.
 */

const log = createLogger('error');

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A plain HTTP server on 127.0.0.1 (or the given port); each path answered by its handler. */
async function serve(routes: Record<string, Handler>, port = 0): Promise<{ port: number; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    const handler = routes[new URL(req.url ?? '/', 'http://x').pathname];
    if (handler) handler(req, res);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const html = (res: http.ServerResponse, body = '<!doctype html><title>ok</title><p>Hello</p>') =>
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
const redirect = (location: string): Handler => (_req, res) => res.writeHead(302, { location }).end();

function options(hosts: HostCheckOptions & { allowPrivate?: boolean } = {}, extra: Partial<FetchOptions> = {}): FetchOptions {
  const { allowPrivate = false, ...rest } = hosts;
  return { signal: new AbortController().signal, hosts: createHostCheck(allowPrivate, log, rest), accept: anyType, ...extra };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the fetch to fail');
}

const isRefusal = (err: unknown) => err instanceof ApplicationFailure && err.type === FailureType.UrlNotAllowed;

// -----------------------------------------------------------------------------------------------
// Hostile destinations that land on this machine: every one refused before a byte is sent.
// -----------------------------------------------------------------------------------------------

describe('hostile destinations land on this machine and get nothing', () => {
  let decoy: Decoy;
  let h2Decoy: Http2Site;
  let cert: SelfSignedCertificate;
  /** A site on 127.0.0.1 that the test lets play the public Internet (and decoys on its port). */
  let site: Awaited<ReturnType<typeof serve>>;
  let siteDecoy: Decoy;

  const resolver = testResolver({
    'www.example-corp.com': '127.0.0.1',
    'v6.example-corp.com': '::1',
    'mapped.example-corp.com': '::ffff:127.0.0.1',
    'zero.example-corp.com': '0.0.0.0',
    'second.example-corp.com': '127.0.0.2',
    // Only loopback answers: a broken check would reach a local decoy, never another machine.
    'mixed.example-corp.com': ['127.0.0.1', '127.0.0.2'],
    'h2.example-corp.com': '127.0.0.1',
    'metadata.example-corp.com': '127.0.0.2',
    // The "public" test site and its www. alias, which resolves to another loopback address.
    'site.test': '127.0.0.1',
    'www.site.test': '127.0.0.2',
    'h2.site.test': '127.0.0.1',
  });
  /** Plays the Internet: 127.0.0.1 counts as public, every other address keeps its real class. */
  const testInternet = (address: string): AddressClass => (address === '127.0.0.1' ? 'public' : classifyAddress(address));
  /** Plays a cloud: 127.0.0.2 is its metadata service (a decoy listens there), 127.0.0.1 is public. */
  const testCloud = (address: string): AddressClass => (address === '127.0.0.2' ? 'metadata' : testInternet(address));

  beforeAll(async () => {
    decoy = await startDecoy();
    cert = selfSignedCertificate(['h2.site.test', 'h2.example-corp.com', '127.0.0.1']);
    h2Decoy = await startHttp2Site(cert);
    // Routes are looked up per request: the redirects name the site's port, known once it listens.
    const routes: Record<string, Handler> = { '/': (_req, res) => html(res) };
    site = await serve(routes);
    const p = site.port;
    siteDecoy = await startDecoy(['127.0.0.2', '::1'], p);
    Object.assign(routes, {
      '/to-www': redirect(`http://www.site.test:${p}/`),
      '/to-www-https': redirect(`https://www.site.test:${p}/`),
      '/to-loopback': redirect(`http://127.0.0.2:${p}/`),
      '/to-decimal': redirect(`http://2130706434:${p}/`),
      '/to-localhost': redirect(`http://localhost:${p}/`),
      '/to-v6': redirect(`http://[::1]:${p}/`),
      // A special name, refused without resolving: even a broken check could only ask the test resolver.
      '/to-metadata': redirect(`http://metadata.google.internal:${p}/latest/meta-data/`),
    });
  });

  afterAll(async () => {
    await Promise.all([decoy?.close(), h2Decoy?.close(), site?.close(), siteDecoy?.close()]);
  });

  const strict = () => options({ allowedPorts: 'any', resolve: resolver });

  const literalForms = [
    '127.0.0.1',
    '127.1',
    '127.0.1',
    '2130706433',
    '0x7f000001',
    '017700000001',
    '0177.0.0.1',
    '0x7f.1',
    '0x7f.0.0.1',
    '127.0.0.2',
    '0.0.0.0',
    '0',
    '[::1]',
    '[::]',
    '[::ffff:127.0.0.1]',
    '[::ffff:7f00:1]',
    '[0:0:0:0:0:ffff:7f00:1]',
    'localhost',
    'LOCALHOST.',
    'app.localhost',
  ];

  it.each(literalForms)('http://%s:<decoy>/ is refused before connecting', async (host) => {
    const err = await failure(fetchResource(`http://${host}:${decoy.port}/`, strict()));
    expect(isRefusal(err), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/SCRAPE_ALLOW_PRIVATE_NETWORKS/);
    expect(decoy.connections()).toBe(0);
  });

  it('a name with one public and one loopback answer is refused as a whole, before connecting', async () => {
    const err = await failure(fetchResource(`http://mixed.example-corp.com:${decoy.port}/`, options({ allowedPorts: 'any', resolve: resolver, classify: testInternet })));
    expect(isRefusal(err), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/^mixed\.example-corp\.com resolves to a loopback/);
    expect(decoy.connections()).toBe(0);
  });

  it.each(['www.example-corp.com', 'v6.example-corp.com', 'mapped.example-corp.com', 'zero.example-corp.com', 'second.example-corp.com', 'mixed.example-corp.com'])(
    'http://%s:<decoy>/, which the resolver maps to the loopback, is refused before connecting',
    async (host) => {
      const err = await failure(fetchResource(`http://${host}:${decoy.port}/`, strict()));
      expect(isRefusal(err), String(err)).toBe(true);
      // The resolved address stays out of the message (it tells about the worker's network).
      expect((err as Error).message).toMatch(new RegExp(`^${host.replace(/\./g, '\\.')} resolves to an? `));
      expect((err as Error).message).not.toMatch(/127\.0\.0|::1|0\.0\.0\.0/);
      expect(decoy.connections()).toBe(0);
    },
  );

  it('a name resolving to the metadata address is refused even with SCRAPE_ALLOW_PRIVATE_NETWORKS', async () => {
    const err = await failure(
      fetchResource(`http://metadata.example-corp.com:${decoy.port}/`, options({ allowPrivate: true, allowedPorts: 'any', resolve: resolver, classify: testCloud })),
    );
    expect(isRefusal(err)).toBe(true);
    expect((err as Error).message).toMatch(/cloud metadata.*even with SCRAPE_ALLOW_PRIVATE_NETWORKS=true/);
    expect(decoy.connections()).toBe(0);
  });

  it.each(['127.0.0.1', 'h2.example-corp.com', '[::ffff:127.0.0.1]', '2130706433'])(
    'https://%s:<HTTP/2 server>/ is refused before connecting',
    async (host) => {
      const err = await failure(fetchResource(`https://${host}:${h2Decoy.port}/`, options({ allowedPorts: 'any', resolve: resolver, ca: cert.cert })));
      expect(isRefusal(err), String(err)).toBe(true);
      expect(h2Decoy.connections()).toBe(0);
    },
  );

  it('redirects from an allowed site to the loopback are refused, and no decoy sees a connection', async () => {
    const base = `http://site.test:${site.port}`;
    const opts = () => options({ allowedPorts: 'any', resolve: resolver, classify: testInternet });
    // The site itself is reachable (through the pinned lookup: site.test exists nowhere else).
    expect((await fetchResource(`${base}/`, opts())).statusCode).toBe(200);
    // Same site (www. alias) resolving to another loopback address: the address check refuses the hop.
    for (const path of ['/to-www', '/to-www-https']) {
      const err = await failure(fetchResource(`${base}${path}`, opts()));
      expect(isRefusal(err), `${path}: ${String(err)}`).toBe(true);
      expect((err as Error).message).toMatch(/redirects to .*www\.site\.test.*resolves to a loopback/);
    }
    // Other hosts: never followed.
    for (const path of ['/to-loopback', '/to-decimal', '/to-localhost', '/to-v6', '/to-metadata']) {
      const err = await failure(fetchResource(`${base}${path}`, opts()));
      expect(err, path).toBeInstanceOf(RefusedResponse);
      expect((err as RefusedResponse).reason).toBe('cross_site_redirect');
    }
    expect(siteDecoy.connections()).toBe(0);
    expect(decoy.connections()).toBe(0);
  });

  it('pins the checked address: a name that changes its answer later (DNS rebinding) keeps the first one', async () => {
    let answers = 0;
    const rebinding = testResolver({ 'rebind.site.test': () => (answers++ === 0 ? ['127.0.0.1'] : ['127.0.0.2']) });
    const opts = options({ allowedPorts: 'any', resolve: rebinding, classify: testInternet });
    for (let i = 0; i < 3; i++) {
      expect((await fetchResource(`http://rebind.site.test:${site.port}/?n=${i}`, opts)).statusCode).toBe(200);
    }
    // The socket lookup answers from the check, never from a fresh resolution.
    const looked = await new Promise<string>((resolve, reject) =>
      opts.hosts.lookup('rebind.site.test', { all: false }, (err, address) => (err ? reject(err) : resolve(address as string))),
    );
    expect(looked).toBe('127.0.0.1');
    expect(rebinding.calls).toEqual(['rebind.site.test']);
    expect(site.hits.filter((h) => h.startsWith('/?n='))).toHaveLength(3);
    expect(siteDecoy.connections()).toBe(0);
  });

  it('https goes through the pinned agent too (HTTP/2 off): the HTTP/2 server answers over HTTP/1.1 on the checked address', async () => {
    const before = h2Decoy.requests.length;
    const fetched = await fetchResource(`https://h2.site.test:${h2Decoy.port}/`, {
      ...options({ allowedPorts: 'any', resolve: resolver, ca: cert.cert, classify: testInternet }),
      userAgent: 'PersonaAnalyzer/test (+https://example.com/bot)',
    });
    expect(fetched.statusCode).toBe(200);
    expect(fetched.body).toContain('Served over TLS');
    const seen = h2Decoy.requests.slice(before);
    expect(seen).toEqual([{ path: '/', httpVersion: '1.1', userAgent: 'PersonaAnalyzer/test (+https://example.com/bot)' }]);
  });

  it('the agents refuse on their own, whoever uses them: a literal address or a name mapped to the loopback', async () => {
    const hosts = createHostCheck(false, log, { allowedPorts: 'any', resolve: resolver });
    for (const host of ['127.0.0.1', '::1', 'www.example-corp.com', 'v6.example-corp.com']) {
      const err = await new Promise<Error>((resolve) => {
        const req = http.get({ host, port: decoy.port, path: '/', agent: hosts.agents.http }, () => resolve(new Error('answered')));
        req.on('error', resolve);
      });
      expect(isRefusal(err), `${host}: ${String(err)}`).toBe(true);
    }
    expect(decoy.connections()).toBe(0);
  });

  it('control: the decoys do count a connection that is allowed (so their zeros above mean something)', async () => {
    const before = decoy.connections();
    await failure(fetchResource(`http://127.0.0.1:${decoy.port}/`, options({ allowPrivate: true, allowedPorts: 'any', resolve: resolver }, { timeoutMs: 500 })));
    await new Promise((r) => setTimeout(r, 50));
    expect(decoy.connections()).toBe(before + 1);
  });

  it('without the test CA, the self-signed certificate is a TLS failure with a reason', async () => {
    const err = await failure(fetchResource(`https://h2.site.test:${h2Decoy.port}/`, options({ allowedPorts: 'any', resolve: resolver, classify: testInternet })));
    expect(err).toBeInstanceOf(FetchFailure);
    expect((err as FetchFailure).reason).toBe('tls');
    expect((err as FetchFailure).message).toMatch(/secure connection to h2\.site\.test:\d+ failed \(TLS\): its certificate is self-signed/);
  });
});

// -----------------------------------------------------------------------------------------------
// What the URL alone refuses: scheme, credentials, ports.
// -----------------------------------------------------------------------------------------------

describe('URL refusals', () => {
  it.each([
    ['ftp://example.com/', /Only http and https/],
    ['https://user:secret@example.com/', /user name or password/],
    ['http://example.com:8080/', /Port 8080 is not allowed.*SCRAPE_ALLOWED_PORTS/],
    ['http://metadata.google.internal/computeMetadata/v1/', /cloud metadata/],
  ])('%s is refused without resolving or connecting', async (url, message) => {
    const resolver = testResolver({});
    const err = await failure(fetchResource(url, options({ allowPrivate: true, allowedPorts: [80, 443], resolve: resolver })));
    expect(isRefusal(err)).toBe(true);
    expect((err as Error).message).toMatch(message);
    expect(resolver.calls).toEqual([]);
  });

  // Literal metadata addresses are checked by the pure rule alone: no test hands one to code that connects.
  it.each(['http://169.254.169.254/latest/meta-data/', 'http://[fd00:ec2::254]/'])('%s is refused by the URL rule, even with private networks allowed', (url) => {
    expect(urlRefusal(url, { allowPrivate: true, allowedPorts: [80, 443] })).toMatch(/cloud metadata/);
  });
});

// -----------------------------------------------------------------------------------------------
// Limits and errors: each ends the page with a reason, never the process.
// -----------------------------------------------------------------------------------------------

describe('limits and errors', () => {
  let server: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    server = await serve({
      '/page': (req, res) => html(res, `<p>${req.headers['user-agent']}</p>`),
      '/big': (_req, res) => html(res, 'x'.repeat(2 * 1024 * 1024)),
      // An endless gzip stream of zeros (about 1000:1): only a cap counted after decompression ends it.
      '/bomb': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' });
        const gzip = zlib.createGzip();
        gzip.pipe(res);
        const zeros = Buffer.alloc(1024 * 1024);
        let open = true;
        res.on('close', () => ((open = false), gzip.destroy()));
        const pump = () => {
          while (open && gzip.write(zeros));
          if (open) gzip.once('drain', pump);
        };
        pump();
      },
      '/trickle': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        const timer = setInterval(() => res.write('.'), 100);
        res.on('close', () => clearInterval(timer));
      },
      '/loop-a': redirect('/loop-b'),
      '/loop-b': redirect('/loop-a'),
      ...Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`/chain-${i}`, redirect(`/chain-${i + 1}`)])),
      '/image': (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(1000)),
      '/reset': (req) => req.socket.destroy(),
      // German text in the encodings old sites still serve: named in the header, in a meta tag, by a BOM, or unknown.
      '/latin1-header': (_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=ISO-8859-1' }).end(Buffer.from('<p>Schmierfett für Lager, Größe XL</p>', 'latin1')),
      '/latin1-meta': (_req, res) =>
        res.writeHead(200, { 'content-type': 'text/html' }).end(Buffer.from('<html><head><meta charset="windows-1252"></head><p>Grüße \x96 \x84Preise\x93 \x80</p>', 'latin1')),
      '/bom': (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<p>Größe</p>', 'utf8')])),
      '/unknown-charset': (_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=x-no-such' }).end(Buffer.from('<p>Größe</p>', 'utf8')),
    });
  });
  afterAll(() => server?.close());

  const resolver = testResolver({ 'site.test': '127.0.0.1', 'nosuch.test': new Error('unused'), 'flaky.test': temporaryDnsFailure('flaky.test') });
  const local = (extra: Partial<FetchOptions> = {}) => options({ allowPrivate: true, allowedPorts: 'any', resolve: resolver }, extra);
  const url = (path: string) => `http://site.test:${server.port}${path}`;

  it('sends one honest User-Agent and no generated browser headers', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const probe = await serve({ '/': (req, res) => (seen.push(req.headers), html(res)) });
    try {
      await fetchResource(`http://site.test:${probe.port}/`, local({ userAgent: 'PersonaAnalyzer/1.2 (+https://example.com/bot)' }));
    } finally {
      await probe.close();
    }
    expect(seen[0]!['user-agent']).toBe('PersonaAnalyzer/1.2 (+https://example.com/bot)');
    expect(Object.keys(seen[0]!).filter((h) => h.startsWith('sec-'))).toEqual([]);
  });

  it('a page over the size cap ends with too_large', async () => {
    const err = await failure(fetchResource(url('/big'), local({ maxBytes: 1024 * 1024 })));
    expect(err).toBeInstanceOf(RefusedResponse);
    expect((err as RefusedResponse).reason).toBe('too_large');
  });

  it('a gzip bomb is counted after decompression and stopped early', async () => {
    // The stream never ends: reading it whole, or counting compressed bytes, would never finish.
    const started = Date.now();
    const err = await failure(fetchResource(url('/bomb'), local({ timeoutMs: 10_000 })));
    expect(err).toBeInstanceOf(RefusedResponse);
    expect((err as RefusedResponse).reason).toBe('too_large');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a slow trickle ends at the total deadline, not at an idle timeout', async () => {
    const started = Date.now();
    const err = await failure(fetchResource(url('/trickle'), local({ timeoutMs: 800 })));
    expect(err).toBeInstanceOf(FetchFailure);
    expect((err as FetchFailure).reason).toBe('timeout');
    expect((err as FetchFailure).transient).toBe(true);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a redirect loop and a long chain end with their reason', async () => {
    const loop = await failure(fetchResource(url('/loop-a'), local()));
    expect((loop as RefusedResponse).reason).toBe('redirect_loop');
    const chain = await failure(fetchResource(url('/chain-0'), local()));
    expect((chain as RefusedResponse).reason).toBe('too_many_redirects');
  });

  it('a response that is not HTML is refused after the headers', async () => {
    const err = await failure(fetchResource(url('/image'), local({ accept: isHtml })));
    expect((err as RefusedResponse).reason).toBe('not_accepted');
    expect((err as Error).message).toMatch(/image\/png, not a page/);
  });

  it('an unknown host name says it could not be resolved; a failing name server is retryable', async () => {
    const unknown = await failure(fetchResource(`http://example.com:${server.port}/`, local()));
    expect(unknown).toBeInstanceOf(ApplicationFailure);
    expect((unknown as ApplicationFailure).type).toBe(FailureType.SiteUnreachable);
    expect((unknown as ApplicationFailure).nonRetryable).toBe(true);
    expect((unknown as Error).message).toMatch(/^The name example\.com could not be found \(DNS\)/);
    const flaky = await failure(fetchResource(`http://flaky.test:${server.port}/`, local()));
    expect((flaky as ApplicationFailure).type).toBe(FailureType.SiteUnavailable);
    expect((flaky as ApplicationFailure).nonRetryable).toBe(false);
    expect((flaky as Error).message).toMatch(/^The name flaky\.test could not be looked up: its name server did not answer \(DNS\)/);
  });

  it('a closed port and a reset connection end with their reason', async () => {
    const closed = await serve({});
    const port = closed.port;
    await closed.close();
    const refused = await failure(fetchResource(`http://site.test:${port}/`, local()));
    expect((refused as FetchFailure).reason).toBe('connection_refused');
    expect((refused as Error).message).toMatch(/refused the connection/);
    const reset = await failure(fetchResource(url('/reset'), local()));
    expect(reset).toBeInstanceOf(FetchFailure);
    expect((reset as FetchFailure).transient).toBe(true);
  });

  it('decodes the charset the header, a meta tag or a BOM names; an unknown name is read as UTF-8', async () => {
    expect((await fetchResource(url('/latin1-header'), local())).body).toContain('Schmierfett für Lager, Größe XL');
    // windows-1252 (what browsers read for a latin1 label too): its dash, quotes and euro sign are bytes latin1 leaves to control codes.
    expect((await fetchResource(url('/latin1-meta'), local())).body).toContain('Grüße – „Preise“ €');
    expect((await fetchResource(url('/bom'), local())).body).toContain('<p>Größe</p>');
    expect((await fetchResource(url('/unknown-charset'), local())).body).toContain('<p>Größe</p>');
  });

  it('still reads an ordinary page afterwards (nothing above hurt the process)', async () => {
    const page = await fetchResource(url('/page'), local({ userAgent: 'PersonaAnalyzer/ok' }));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('PersonaAnalyzer/ok');
  });
});
