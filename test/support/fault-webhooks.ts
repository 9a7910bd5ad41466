import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local webhook receiver on 127.0.0.1 that accepts every POST (204) and counts deliveries by their
 * Standard Webhooks `webhook-id` header: a sender retrying the same message reuses its id, so an id
 * seen twice is a notification delivered twice.
 */
export interface WebhookReceiver {
  url: string;
  /** Every delivery, in arrival order. */
  deliveries: { id: string | undefined; body: string }[];
  /** Deliveries per webhook-id. */
  byId(): Map<string, number>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const deliveries: WebhookReceiver['deliveries'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => {
      if (req.method === 'POST') {
        const id = req.headers['webhook-id'];
        deliveries.push({ id: Array.isArray(id) ? id[0] : id, body: Buffer.concat(chunks).toString('utf8') });
      }
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/persona`,
    deliveries,
    byId() {
      const counts = new Map<string, number>();
      for (const d of deliveries) counts.set(d.id ?? '(no webhook-id)', (counts.get(d.id ?? '(no webhook-id)') ?? 0) + 1);
      return counts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
