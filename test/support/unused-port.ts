import { appendFileSync, readFileSync } from 'node:fs';
import type { Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * The ports sites of this test run have listened on, one per line. Every test file runs in a
 * process forked by the one vitest process, so its pid names the run.
 */
export const portLogOf = (vitestPid: number) => path.join(os.tmpdir(), `persona-test-site-ports-${vitestPid}.log`);
const portLog = portLogOf(process.ppid);

function usedPorts(): Set<number> {
  try {
    return new Set(readFileSync(portLog, 'utf8').split('\n').filter(Boolean).map(Number));
  } catch {
    return new Set();
  }
}

/**
 * Listens on a free port that no earlier site of this test run had. The crawl cache in the run's
 * shared database is keyed by URL, so a site on a port another test's site used (closed by then,
 * the kernel hands ports out again) would be served that site's cached pages: seen in CI as a
 * nine-page crawl that read two.
 */
export async function listenOnUnusedPort(server: Server, host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    if (!usedPorts().has(port) || attempt >= 20) {
      // Written before the server can close, so a later listener on this port sees it.
      appendFileSync(portLog, `${port}\n`);
      return port;
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
