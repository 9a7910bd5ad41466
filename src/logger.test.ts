import { trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedLogger } from '../test/support/captured-logger.js';


describe('log lines carry the active trace', () => {
  // As src/telemetry/tracing.ts starts it (AsyncLocalStorage context), without an exporter.
  const provider = new NodeTracerProvider();
  const tracer = provider.getTracer('test');

  beforeAll(() => {
    provider.register();
  });
  afterAll(async () => {
    await provider.shutdown();
  });

  it('adds traceId and spanId inside a span, across awaits and in child loggers', async () => {
    const { logger, lines } = capturedLogger({ service: 'test' });
    const ids = await tracer.startActiveSpan('request', async (span) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      logger.child({ requestId: 'r1' }).info('inside', { n: 1 });
      span.end();
      return span.spanContext();
    });
    await new Promise((resolve) => setImmediate(resolve));
    const line = lines.find((l) => l.message === 'inside');
    expect(line).toMatchObject({ traceId: ids.traceId, spanId: ids.spanId, requestId: 'r1', n: 1, service: 'test' });
  });

  it('leaves them out where no span is active', async () => {
    const { logger, lines } = capturedLogger({ service: 'test' });
    logger.info('outside');
    await new Promise((resolve) => setImmediate(resolve));
    const line = lines.find((l) => l.message === 'outside');
    expect(line).toBeDefined();
    expect(line).not.toHaveProperty('traceId');
    expect(line).not.toHaveProperty('spanId');
    expect(trace.getActiveSpan()).toBeUndefined();
  });

  it('takes a workflow line’s trace_id (the SDK interceptor’s attribute) when no span is active here', async () => {
    const { logger, lines } = capturedLogger({ service: 'test' });
    logger.info('from a workflow', { trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16) });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.find((l) => l.message === 'from a workflow')).toMatchObject({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) });
  });
});
