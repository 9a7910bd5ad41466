import { createServer } from 'node:net';

/**
 * Asks the OS for a currently unused TCP port. Another process may grab it before the caller binds it,
 * which is acceptable for dev and test servers started right after.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
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
