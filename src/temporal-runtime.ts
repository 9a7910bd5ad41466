import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import type { Logger } from './logger.js';

const LEVELS: Record<LogLevel, string> = { TRACE: 'silly', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/** The SDK's own logs (worker, workflow `log`, activity `log`, core) as winston JSON lines. */
export function temporalLoggerFor(logger: Logger): TemporalLogger {
  const sdk = logger.child({ source: 'temporal-sdk' });
  const at = (level: LogLevel) => (message: string, meta?: LogMetadata) => sdk.log(LEVELS[level], message, meta);
  return {
    log: (level, message, meta) => at(level)(message, meta),
    trace: at('TRACE'),
    debug: at('DEBUG'),
    info: at('INFO'),
    warn: at('WARN'),
    error: at('ERROR'),
  };
}

let installed = false;

/**
 * Must run before anything creates the runtime (NativeConnection, Worker); once per process.
 * `shutdownSignals`: the signals on which the SDK itself shuts every worker down (its default:
 * SIGINT, SIGTERM, SIGQUIT, SIGUSR2). `npm run dev` and `npm run analyze` pass none: on Ctrl-C
 * they first cancel their analysis (which needs a polling worker), then stop the worker themselves.
 */
export function installTemporalRuntime(logger: Logger, options: { shutdownSignals?: NodeJS.Signals[] } = {}): void {
  if (installed) return;
  Runtime.install({
    logger: temporalLoggerFor(logger),
    ...(options.shutdownSignals ? { shutdownSignals: options.shutdownSignals } : {}),
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
  });
  installed = true;
}
