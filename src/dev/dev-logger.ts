import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import type { Config } from '../config.js';
import { createLogger, type Logger } from '../logger.js';

/**
 * The logger of `npm run dev` and `npm run analyze`: the service's JSON lines go to a file
 * (LOG_FILE), so the terminal keeps a readable summary or a progress bar; a warning or an error
 * still shows there as one short line. LOG_TO_CONSOLE=true prints the JSON lines as well.
 */
export interface DevLogger {
  logger: Logger;
  /** Absolute path of the JSON log file. */
  file: string;
}

/** At most this many characters of a message on the terminal: one line, the rest is in the file. */
const SHORT_LINE = 200;

export function createDevLogger(
  config: Pick<Config, 'LOG_LEVEL' | 'LOG_FILE' | 'LOG_TO_CONSOLE'>,
  opts: { service: string; level?: string; print?: (line: string) => void },
): DevLogger {
  const file = path.resolve(config.LOG_FILE);
  mkdirSync(path.dirname(file), { recursive: true });
  // createLogger's formats (timestamp, errors, trace IDs, JSON) stay; only where lines go changes.
  const logger = createLogger(opts.level ?? config.LOG_LEVEL, { service: opts.service });
  logger.clear();
  logger.add(new winston.transports.File({ filename: file }));
  if (config.LOG_TO_CONSOLE) {
    logger.add(new winston.transports.Console({ stderrLevels: ['error', 'warn'] }));
  } else {
    const print = opts.print ?? ((line: string) => process.stderr.write(`${line}\n`));
    const lines = new Writable({
      write(chunk: Buffer, _encoding, done) {
        print(chunk.toString('utf8').trimEnd());
        done();
      },
    });
    logger.add(new winston.transports.Stream({ level: 'warn', stream: lines, format: winston.format.printf((info) => shortLine(info)) }));
  }
  return { logger, file };
}

/** `warn: message — cause` on one line; the full entry is in the file. */
export function shortLine(info: Record<string, unknown>): string {
  const cause = causeOf(info.error) ?? causeOf(info.err);
  const text = `${String(info.level)}: ${String(info.message)}${cause ? ` — ${cause}` : ''}`.replace(/\s+/g, ' ');
  return text.length > SHORT_LINE ? `${text.slice(0, SHORT_LINE - 1)}…` : text;
}

function causeOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.split('\n')[0];
  if (value && typeof value === 'object' && 'message' in value) return String(value.message).split('\n')[0];
  return undefined;
}
