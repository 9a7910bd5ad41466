import { CompiledQuery } from 'kysely';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../../config.js';
import { prepared, type Db } from '../../database.js';

export type Bucket = 'writes' | 'reads';

/** One limiter per bucket; the policy name is what the RateLimit headers call it. */
export type RateLimits = Record<Bucket, { limiter: RateLimiterAbstract; points: number; windowSeconds: number }>;

const WINDOW_SECONDS = 60;

function perMinute(config: Config): Record<Bucket, number> {
  return { writes: config.RATE_LIMIT_WRITES_PER_MINUTE, reads: config.RATE_LIMIT_READS_PER_MINUTE };
}

/**
 * rate-limiter-flexible's RateLimiterPostgres counts in the `rate_limits` table (migration 0005):
 * one atomic upsert per request, so every API instance on the database shares the counts. It is
 * handed a pg-like `query` that runs through our kysely pool, so it shares the pool (and its
 * error handling) with everything else instead of opening connections of its own.
 */
export function postgresRateLimits(db: Db, config: Config): RateLimits {
  const storeClient = {
    async query(q: { text: string; values?: readonly unknown[] }) {
      // Run on every request: prepared (rate-limiter-flexible names its statements for this too).
      const result = await db.executeQuery(prepared(CompiledQuery.raw(q.text, [...(q.values ?? [])])));
      return { rows: result.rows, rowCount: result.rows.length || Number(result.numAffectedRows ?? 0) };
    },
  };
  const points = perMinute(config);
  const make = (bucket: Bucket) => ({
    limiter: new RateLimiterPostgres({
      storeClient,
      storeType: 'pool',
      tableName: 'rate_limits',
      tableCreated: true,
      keyPrefix: bucket,
      points: points[bucket],
      duration: WINDOW_SECONDS,
    }),
    points: points[bucket],
    windowSeconds: WINDOW_SECONDS,
  });
  return { writes: make('writes'), reads: make('reads') };
}

/** Counts in this process only: for tests of the HTTP layer that run without a database. */
export function memoryRateLimits(config: Config): RateLimits {
  const points = perMinute(config);
  const make = (bucket: Bucket) => ({
    limiter: new RateLimiterMemory({ keyPrefix: bucket, points: points[bucket], duration: WINDOW_SECONDS }),
    points: points[bucket],
    windowSeconds: WINDOW_SECONDS,
  });
  return { writes: make('writes'), reads: make('reads') };
}

export interface Decision {
  allowed: boolean;
  headers: Record<string, string>;
}

/**
 * Takes one request from the client's allowance. The headers follow the IETF draft
 * (draft-ietf-httpapi-ratelimit-headers-08): `RateLimit-Policy: "writes";q=30;w=60` states the
 * policy, `RateLimit: "writes";r=12;t=41` what is left and when the window resets; a refusal adds
 * `Retry-After`. Store failures are thrown, so an unreachable database becomes a 503.
 */
export async function consume(limits: RateLimits, bucket: Bucket, client: string): Promise<Decision> {
  const { limiter, points, windowSeconds } = limits[bucket];
  let res: RateLimiterRes;
  let allowed = true;
  try {
    res = await limiter.consume(client);
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    res = err;
    allowed = false;
  }
  const reset = Math.max(0, Math.ceil(res.msBeforeNext / 1000));
  const headers: Record<string, string> = {
    'RateLimit-Policy': `"${bucket}";q=${points};w=${windowSeconds}`,
    RateLimit: `"${bucket}";r=${Math.max(0, res.remainingPoints)};t=${reset}`,
  };
  if (!allowed) headers['Retry-After'] = String(Math.max(1, reset));
  return { allowed, headers };
}
