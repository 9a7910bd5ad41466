import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import type { Logger } from './logger.js';
import { WORKER_METRIC_BUCKETS } from './telemetry/worker-metrics.js';

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
export function installTemporalRuntime(
  logger: Logger,
  options: { shutdownSignals?: NodeJS.Signals[]; metrics?: WorkerMetricsEndpoint } = {},
): void {
  if (installed) return;
  const metrics = options.metrics?.port ? prometheusExporter(options.metrics) : undefined;
  try {
    Runtime.install({
      logger: temporalLoggerFor(logger),
      ...(options.shutdownSignals ? { shutdownSignals: options.shutdownSignals } : {}),
      telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} }, ...(metrics ? { metrics } : {}) },
    });
  } catch (err) {
    if (!metrics || !/prometheus/i.test(String(err))) throw err;
    throw new Error(
      `The worker cannot serve its metrics on ${metrics.prometheus.bindAddress}: ${err instanceof Error ? err.message : String(err)}. ` +
        'Set METRICS_PORT_WORKER to a free port, or to 0 to turn the endpoint off.',
      { cause: err },
    );
  }
  installed = true;
  if (metrics) logger.info('worker metrics served', { url: `http://${metrics.prometheus.bindAddress}/metrics` });
}

/** METRICS_PORT_WORKER (0 = none); all interfaces unless a host is given (tests: 127.0.0.1). */
export interface WorkerMetricsEndpoint {
  port: number;
  host?: string;
}

/**
 * The SDK's Prometheus exporter (Core, in Rust): its own metrics (temporal_*: task latencies, slots,
 * polls, activity and workflow outcomes) and ours recorded through its metric meter
 * (src/telemetry/worker-metrics.ts). Durations in seconds and counters with `_total`, as
 * Prometheus names them; histogram buckets of ours fitted to what they measure.
 */
function prometheusExporter({ port, host = '0.0.0.0' }: WorkerMetricsEndpoint) {
  return {
    prometheus: {
      bindAddress: `${host.includes(':') ? `[${host}]` : host}:${port}`,
      countersTotalSuffix: true,
      useSecondsForDurations: true,
      histogramBucketOverrides: WORKER_METRIC_BUCKETS,
    },
  };
}
