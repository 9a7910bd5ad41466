import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Below the kernel's ephemeral range: the lowest port freePort picks from. */
const LOWEST = 10_000;

/**
 * The ports the kernel hands out by itself, to `listen(0)` and to every outgoing connection
 * (Linux: net.ipv4.ip_local_port_range; elsewhere the IANA range).
 */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high) return [low, high];
  } catch {
    // not Linux
  }
  return [49152, 65535];
}

/**
 * A TCP port that is unused now, for a server the caller starts right after (and may restart on
 * the same port). Picked at random below the ephemeral range and checked: a port the OS handed out
 * with `listen(0)` and closed again was often taken in between, as the local port of one of the
 * many connections a test run makes, or by another test's server (seen in CI: the Temporal dev
 * server found its port in use). Falls back to asking the OS when no such range is free.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [ephemeralLow] = ephemeralRange();
  const span = ephemeralLow - LOWEST;
  for (let attempt = 0; span > 1_000 && attempt < 50; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * span);
    if (await isPortFree(port, host)) return port;
  }
  return osPort(host);
}

function osPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error(`Could not read the port bound on ${host}`));
      });
    });
  });
}

/** True when nothing listens on host:port yet, so a server we start there will not fail on EADDRINUSE. */
export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
