import { expect } from 'vitest';

export interface Envelope<T = any> {
  success: boolean;
  data?: T;
  error?: { code: string; message: string; details?: unknown };
  metadata: { requestId: string; timestamp: string; version: string };
}

export async function api<T = any>(base: string, path: string, init: RequestInit & { json?: unknown } = {}) {
  const { json, ...rest } = init;
  const res = await fetch(`${base}/api/v2${path}`, {
    ...rest,
    headers: { ...(json !== undefined ? { 'content-type': 'application/json' } : {}), ...rest.headers },
    body: json !== undefined ? JSON.stringify(json) : rest.body,
  });
  const body = (await res.json()) as Envelope<T>;
  return { status: res.status, headers: res.headers, body };
}

/** Polls the status route until `done` holds, keeping every snapshot seen on the way. */
export async function pollStatus(base: string, id: string, done: (s: any) => boolean, timeoutMs = 90_000) {
  const seen: any[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await api(base, `/analysis/${id}`);
    expect(status).toBe(200);
    seen.push(body.data);
    if (done(body.data)) return { final: body.data, seen };
    if (Date.now() > deadline) {
      throw new Error(`analysis ${id} did not get there in ${timeoutMs} ms; last: ${JSON.stringify(body.data)}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}
