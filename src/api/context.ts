import type { Client } from '@temporalio/client';
import type { MiddlewareHandler } from 'hono';
import type { Config } from '../config.js';
import type { Db } from '../database.js';
import type { Logger } from '../logger.js';

/** What every request carries through the middleware chain. */
export interface AppEnv {
  Variables: {
    requestId: string;
    /** The app logger with this request's ID; use it for every log line of the request. */
    log: Logger;
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
  /** Deadline for the `progress` query before the status route reads PostgreSQL instead; default 2 s. */
  progressQueryTimeoutMs?: number;
  /**
   * SEAM, not implemented yet: authentication (API_KEYS: start and regenerate need a Bearer key)
   * and rate limiting arrive in later issues. Whatever is given here runs before the routes that
   * start or change work (start, regenerate, cancel, delete).
   */
  guards?: {
    authenticate?: MiddlewareHandler<AppEnv>;
    rateLimit?: MiddlewareHandler<AppEnv>;
  };
}
