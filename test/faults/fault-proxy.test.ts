import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandInAi, type StandInAi } from '../../src/dev/stand-in-ai.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';

/** The fault proxy itself: each fault is what it claims, and the counts the fault suite relies on are right. */
describe('the fault proxy in front of the stand-in', () => {
  let standIn: StandInAi;
  let proxy: FaultProxy;
  const chat = (timeoutMs = 5_000) =>
    fetch(`${proxy.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'JSON schema: {"type":"object","properties":{"name":{"type":"string"}}}\n[p1] Acme sends invoices.' }] }),
      signal: AbortSignal.timeout(timeoutMs),
    });

  beforeAll(async () => {
    standIn = await startStandInAi();
    proxy = await startFaultProxy(standIn.baseUrl);
  });

  afterAll(async () => {
    await proxy?.close();
    await standIn?.stop();
  });

  it('passes answers through and counts them as delivered', async () => {
    const res = await chat();
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(() => JSON.parse(body.choices[0].message.content)).not.toThrow();
    expect(proxy.counts()).toMatchObject({ received: 1, delivered: 1 });
    expect(standIn.requests()).toBe(1);
  });

  it('answers an error status without asking upstream', async () => {
    await proxy.setMode('error', { status: 503 });
    const res = await chat();
    expect(res.status).toBe(503);
    expect(proxy.counts().errors).toBe(1);
    expect(standIn.requests()).toBe(1);
    await proxy.setMode('pass');
  });

  it('hangs until the client gives up, and counts the abandoned request', async () => {
    await proxy.setMode('hang');
    await expect(chat(500)).rejects.toThrow();
    await expect.poll(() => proxy.counts().abandoned).toBe(1);
    expect(proxy.inFlight()).toBe(0);
    await proxy.setMode('pass');
  });

  it('sends malformed JSON bodies, or well-formed bodies with broken content', async () => {
    await proxy.setMode('malformed-body');
    await expect((await chat()).json()).rejects.toThrow();
    await proxy.setMode('malformed-content');
    const body = (await (await chat()).json()) as any;
    expect(() => JSON.parse(body.choices[0].message.content)).toThrow();
    expect(proxy.counts()).toMatchObject({ malformed: 1, delivered: 2 });
    await proxy.setMode('pass');
  });

  it('refuses connections while down and answers on the same address when back', async () => {
    await proxy.setMode('down');
    await expect(chat()).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
    await proxy.setMode('pass');
    expect((await chat()).status).toBe(200);
  });
});
