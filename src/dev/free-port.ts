import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Below the kernel's ephemeral range: the lowest port freePort picks from. */
const LOWEST = 10_000;
/** The lowest port closedPort picks from: above the well-known and registered service ports people run. */
const CLOSED_LOWEST = 2_000;

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

/**
 * A port that stays closed until the caller listens on it, for a test of a server that is down
 * (connections refused) and comes back on the same port. Picked below the range freePort and the
 * kernel hand out, so no other server of the test run takes it in the meantime: a closed port from
 * freePort is free for every other test to pick, and one that did made a "down" endpoint answer,
 * or hang, instead of refusing.
 */
export async function closedPort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = CLOSED_LOWEST + Math.floor(Math.random() * (LOWEST - CLOSED_LOWEST));
    if (await isPortFree(port, host)) return port;
  }
  throw new Error(`No free port between ${CLOSED_LOWEST} and ${LOWEST} on ${host}`);
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
