import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger } from '../../src/logger.js';

/** The product's logger with its real formats, its JSON lines captured as the console would print them. */
export function capturedLogger(meta: Record<string, unknown>): { logger: ReturnType<typeof createLogger>; lines: Record<string, any>[] } {
  const lines: Record<string, any>[] = [];
  const logger = createLogger('info', meta);
  logger.clear();
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  logger.add(new winston.transports.Stream({ stream }));
  return { logger, lines };
}
