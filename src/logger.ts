import winston from 'winston';

export type Logger = winston.Logger;

/** One JSON line per event; callers add context (requestId, analysisId, ...) with `child`. */
export function createLogger(level = 'info', defaultMeta: Record<string, unknown> = {}): Logger {
  return winston.createLogger({
    level,
    defaultMeta,
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      winston.format.json(),
    ),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn'] })],
  });
}
