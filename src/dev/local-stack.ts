import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import { startLocalService } from '../local-service.js';
import { installTemporalRuntime } from '../temporal-runtime.js';
import { startStandInAi } from './stand-in-ai.js';
import { startDevStack } from './stack.js';

/** Dev state (Temporal's SQLite file, the database, the CLI cache): project-local and git-ignored. */
export const STATE_DIR = fileURLToPath(new URL('../../.dev/', import.meta.url));

export const AI_SETUP_HELP = `No AI endpoint is configured. Choose one:
  - OpenAI:              OPENAI_API_KEY=sk-...  (optionally OPENAI_MODEL=gpt-4o-mini)
  - a local server:      OPENAI_BASE_URL=http://127.0.0.1:11434/v1 OPENAI_MODEL=llama3.1   (Ollama; vLLM, LM Studio, llama.cpp alike)
  - no model at all:     add --stand-in-ai  (a local stand-in writes the report; every report says so)`;

export interface LocalStack {
  config: Config;
  apiUrl: string;
  webUiUrl?: string;
  databaseUrl: string;
  temporalAddress: string;
  standInAi: boolean;
  /** The worker's Prometheus endpoint, when this stack serves one. */
  workerMetricsUrl?: string;
  stop(): Promise<void>;
}

export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}

/**
 * Everything `npm run dev` runs: Temporal and PostgreSQL (unless TEMPORAL_ADDRESS / DATABASE_URL
 * name existing ones), the optional AI stand-in, a worker and the API.
 */
export async function startLocalStack(
  config: Config,
  opts: { standInAi: boolean; logger?: Logger; port?: number; say: (msg: string) => void; workerMetrics?: boolean },
): Promise<LocalStack> {
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL, { service: 'dev' });
  // The commands stop the worker themselves, after the work a Ctrl-C asks for (a cancellation).
  // `npm run dev` serves the worker's metrics like production does (on this machine only);
  // a short-lived `npm run analyze` does not take the port.
  const metrics = opts.workerMetrics && config.METRICS_PORT_WORKER ? { port: config.METRICS_PORT_WORKER, host: '127.0.0.1' } : undefined;
  installTemporalRuntime(logger, { shutdownSignals: [], ...(metrics ? { metrics } : {}) });
  const stack = await startDevStack({
    temporalAddress: config.TEMPORAL_ADDRESS,
    databaseUrl: config.DATABASE_URL,
    temporalCliPath: config.TEMPORAL_CLI_PATH,
    stateDir: config.DEV_STATE_DIR ?? STATE_DIR,
    ...(config.DEV_TEMPORAL_PORT ? { temporalPort: config.DEV_TEMPORAL_PORT } : {}),
    ...(config.DEV_TEMPORAL_UI_PORT ? { uiPort: config.DEV_TEMPORAL_UI_PORT } : {}),
    ...(config.DEV_POSTGRES_PORT ? { postgresPort: config.DEV_POSTGRES_PORT } : {}),
    log: opts.say,
  });
  const stops: (() => Promise<unknown>)[] = [stack.stop];
  // In reverse order of start: the service (and its database pool) before the servers it uses.
  // Every part is stopped even when one fails, so nothing is left running.
  const stop = async () => {
    const failures: string[] = [];
    for (const s of stops.splice(0).reverse()) {
      await s().catch((err: unknown) => failures.push(err instanceof Error ? err.message : String(err)));
    }
    if (failures.length) throw new Error(failures.join('; '));
  };
  try {
    let effective: Config = { ...config, PORT: opts.port ?? config.PORT };
    if (opts.standInAi) {
      const standIn = await startStandInAi();
      stops.push(standIn.stop);
      effective = { ...effective, OPENAI_BASE_URL: standIn.baseUrl, OPENAI_API_KEY: undefined };
      opts.say(`AI: local stand-in at ${standIn.baseUrl} (reports say they were written by a stand-in)`);
    }
    const service = await startLocalService(
      { ...effective, DATABASE_URL: stack.databaseUrl, TEMPORAL_ADDRESS: stack.temporalAddress },
      logger,
    );
    stops.push(service.stop);
    return {
      config: effective,
      apiUrl: service.apiUrl,
      webUiUrl: stack.webUiUrl,
      databaseUrl: stack.databaseUrl,
      temporalAddress: stack.temporalAddress,
      standInAi: opts.standInAi,
      ...(metrics ? { workerMetricsUrl: `http://${metrics.host}:${metrics.port}/metrics` } : {}),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
