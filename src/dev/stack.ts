import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { startEmbeddedPostgres } from './postgres.js';
import { findTemporalCli } from './temporal-cli.js';
import { startTemporalDevServer, type SearchAttributeType } from './temporal-server.js';

/** Registered when the dev server starts; a real cluster needs them created once by an operator. */
export const SEARCH_ATTRIBUTES = {
  SiteDomain: 'Keyword',
  AnalysisStatus: 'Keyword',
} as const satisfies Record<string, SearchAttributeType>;

export interface DevStack {
  temporalAddress: string;
  /** Only when we started the Temporal dev server. */
  webUiUrl?: string;
  databaseUrl: string;
  startedTemporal: boolean;
  startedPostgres: boolean;
  stop(): Promise<void>;
}

export interface DevStackOptions {
  /** Use this server instead of starting one. */
  temporalAddress?: string;
  /** Use this database instead of starting one. */
  databaseUrl?: string;
  temporalCliPath?: string;
  /** e.g. `<repo>/.dev`: holds temporal.sqlite, postgres/ and the temporal-venv CLI cache. */
  stateDir: string;
  temporalPort?: number;
  uiPort?: number;
  postgresPort?: number;
  /** false: in-memory Temporal and a Postgres cluster deleted on stop (tests). */
  persistent?: boolean;
  log: (msg: string) => void;
}

interface Started<T> {
  value: T;
  stop(): Promise<void>;
}

/** Starts whatever of Temporal and Postgres was not given as an address, in parallel. */
export async function startDevStack(opts: DevStackOptions): Promise<DevStack> {
  const stateDir = path.resolve(opts.stateDir);
  const persistent = opts.persistent ?? true;
  const { log } = opts;
  await mkdir(stateDir, { recursive: true });

  const temporalPort = opts.temporalPort ?? 7233;
  const uiPort = opts.uiPort ?? 8233;
  const postgresPort = opts.postgresPort ?? 5433;

  const temporal = opts.temporalAddress
    ? undefined
    : (async (): Promise<Started<{ address: string; uiUrl: string }>> => {
        const cliPath = await findTemporalCli({ explicitPath: opts.temporalCliPath, cacheDir: stateDir, log });
        const server = await startTemporalDevServer({
          cliPath,
          port: temporalPort,
          uiPort,
          dbFile: persistent ? path.join(stateDir, 'temporal.sqlite') : undefined,
          searchAttributes: SEARCH_ATTRIBUTES,
          log,
        });
        return { value: server, stop: server.stop };
      })();

  const postgres = opts.databaseUrl
    ? undefined
    : (async (): Promise<Started<string>> => {
        const server = await startEmbeddedPostgres({
          dataDir: path.join(stateDir, 'postgres'),
          port: postgresPort,
          log,
          persistent,
        });
        return { value: server.databaseUrl, stop: server.stop };
      })();

  const [t, p] = await Promise.allSettled([temporal, postgres]);
  const started = [t, p].flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const s of [...started].reverse()) await s.stop();
    })());
  const failures = [t, p].flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failures.length) {
    await stop().catch((err: Error) => log(`While cleaning up after a failed start: ${err.message}`));
    throw new Error(failures.map((e) => e.message).join('\n\n'), { cause: failures[0] });
  }

  const startedTemporal = t.status === 'fulfilled' ? t.value : undefined;
  const startedPostgres = p.status === 'fulfilled' ? p.value : undefined;
  return {
    temporalAddress: opts.temporalAddress ?? startedTemporal!.value.address,
    webUiUrl: startedTemporal?.value.uiUrl,
    databaseUrl: opts.databaseUrl ?? startedPostgres!.value,
    startedTemporal: Boolean(startedTemporal),
    startedPostgres: Boolean(startedPostgres),
    stop,
  };
}
