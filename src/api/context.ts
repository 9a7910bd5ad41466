import type { Client } from '@temporalio/client';
import type { Config } from '../config.js';
import type { Db } from '../database.js';
import type { Logger } from '../logger.js';
import type { Caller, KeyStore, RateLimits } from './access/index.js';

/** What every request carries through the middleware chain. */
export interface AppEnv {
  Variables: {
    requestId: string;
    /** The app logger with this request's ID; use it for every log line of the request. */
    log: Logger;
    /** Set for routes under /api/v2 but /health: who sent the request (see access/). */
    caller: Caller;
    /** The client's address, X-Forwarded-For believed only from TRUSTED_PROXIES. */
    clientAddress: string;
  };
}

export interface ApiDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  logger: Logger;
  config: Config;
  /** How long a finished analysis waits for `regenerate` before its workflow closes. */
  workflowIdleTimeout?: string;
  /** Optional dependency of the health check: resolves true when the AI endpoint answers. */
  checkAi?: () => Promise<boolean>;
  /** Deadline for Temporal calls that change state (start, signal, cancel); default 5 s. */
  temporalTimeoutMs?: number;
  /**
   * Where stored API keys are looked up and requests are counted. Default: PostgreSQL (api_keys,
   * rate_limits), shared by every API instance; tests of the HTTP layer alone give in-memory ones.
   */
  access?: {
    keys?: KeyStore;
    rateLimits?: RateLimits;
  };
}
