import { describe, expect, it } from 'vitest';
import { serverSentEvents } from './follow-analysis.js';

function body(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function all(stream: ReadableStream<Uint8Array>) {
  const out = [];
  for await (const message of serverSentEvents(stream)) out.push(message);
  return out;
}

describe('serverSentEvents', () => {
  it('reads messages split anywhere across chunks, skipping comments', async () => {
    const text = ': heartbeat\n\nid: 7\nevent: step\ndata: {"type":"step"}\n\nid: 8\r\nevent: substep\r\ndata: {"done":1,\r\ndata: "total":3}\r\n\r\n';
    const chunks = text.match(/[^]{1,5}/g)!;
    expect(await all(body(chunks))).toEqual([
      { event: 'step', data: '{"type":"step"}', id: '7' },
      { event: 'substep', data: '{"done":1,\n"total":3}', id: '8' },
    ]);
  });

  it('drops an unfinished message at the end of the stream', async () => {
    expect(await all(body(['event: status\ndata: {}\n\nevent: step\ndata: {']))).toEqual([{ event: 'status', data: '{}' }]);
  });
});
