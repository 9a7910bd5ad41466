import pg from 'pg';
import type { Logger } from './logger.js';

/** The channel migration 0009 notifies on every new processing_events row; the payload is the analysis ID. */
export const EVENTS_CHANNEL = 'processing_events';

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 10_000;

/**
 * One LISTEN connection per API process, shared by all its event streams: a notification wakes
 * the streams of that analysis, which then read what is new from the table. A pooled connection
 * cannot LISTEN (the pool hands it to others), so this is its own pg.Client. It is opened when
 * the first stream subscribes and closed when the last one leaves, so an idle API holds none and
 * nothing has to close it at shutdown. A lost connection is reopened with growing pauses; the
 * notifications missed meanwhile are made up by waking every stream once it is back (and each
 * stream polls on its own as well).
 */
export class EventWakeups {
  private readonly listeners = new Map<string, Set<() => void>>();
  private client: pg.Client | undefined;
  private connecting = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(
    private readonly connectionString: string,
    private readonly log: Logger,
    /** How the connection shows in pg_stat_activity. */
    private readonly applicationName = 'persona-analyzer event wake-ups',
  ) {}

  /** Calls `wake` whenever an event of the analysis may have been added; returns the unsubscribe. */
  subscribe(analysisId: string, wake: () => void): () => void {
    let wakes = this.listeners.get(analysisId);
    if (!wakes) this.listeners.set(analysisId, (wakes = new Set()));
    wakes.add(wake);
    this.ensureConnected();
    return () => {
      wakes.delete(wake);
      if (wakes.size === 0 && this.listeners.get(analysisId) === wakes) this.listeners.delete(analysisId);
      if (this.listeners.size === 0) this.disconnect();
    };
  }

  private get wanted(): boolean {
    return this.listeners.size > 0;
  }

  private ensureConnected(): void {
    if (this.client || this.connecting || this.retryTimer) return;
    this.connecting = true;
    void this.connect().finally(() => {
      this.connecting = false;
      // Someone subscribed while a connection was being given up: open again.
      if (this.wanted && !this.client && !this.retryTimer) this.ensureConnected();
    });
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString, application_name: this.applicationName });
    // Without an 'error' listener a dropped connection (a database restart) would kill the process.
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => {
      if (msg.channel === EVENTS_CHANNEL && msg.payload) this.wake(msg.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    } catch (err) {
      client.end().catch(() => undefined);
      this.retryLater(err);
      return;
    }
    if (!this.wanted) {
      await client.end().catch(() => undefined);
      return;
    }
    if (this.failures > 0) this.log.info('event notifications connection restored');
    this.client = client;
    this.failures = 0;
    // Notifications sent while there was no connection are gone: every stream looks again.
    for (const id of this.listeners.keys()) this.wake(id);
  }

  private lost(client: pg.Client, err?: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    if (this.wanted) this.retryLater(err ?? new Error('the connection was closed'));
  }

  private retryLater(err: unknown): void {
    if (!this.wanted || this.retryTimer) return;
    this.failures++;
    const delay = Math.min(RETRY_FIRST_MS * 2 ** (this.failures - 1), RETRY_MAX_MS);
    this.log.warn('event notifications connection unavailable; streams poll until it is back', {
      error: err instanceof Error ? err.message : String(err),
      retryInMs: delay,
    });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.wanted) this.ensureConnected();
    }, delay);
    this.retryTimer.unref();
  }

  private disconnect(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const client = this.client;
    this.client = undefined;
    client?.end().catch(() => undefined);
    // A connection still being opened closes itself when it finds nobody listening.
  }

  private wake(analysisId: string): void {
    for (const wake of this.listeners.get(analysisId) ?? []) wake();
  }
}
