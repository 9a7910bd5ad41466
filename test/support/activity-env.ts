import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Db } from '../../src/database.js';
import { createLogger } from '../../src/logger.js';
import { createModelClient, type ModelClient, type ModelClientConfig } from '../../src/model-client.js';
import type { ActivityDeps } from '../../activities/types.js';

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

/** An activity context that does not log: tests that fail attempts on purpose would fill the output with WARN lines. */
export function quietActivityEnvironment(info: ConstructorParameters<typeof MockActivityEnvironment>[0] = {}) {
  return new MockActivityEnvironment(info, { logger: quietLogger });
}

/**
 * Activity dependencies on the test database, with the real model client (and `openai` client)
 * pointed at the AI stand-in; `ai` overrides the AI variables (mode, timeout, concurrency, budget...).
 */
export function standInActivityDeps(db: Db, aiBaseUrl: string, ai: Partial<ModelClientConfig> = {}): ActivityDeps {
  const OPENAI_MODEL = ai.OPENAI_MODEL ?? 'gpt-4o-mini';
  return {
    db,
    logger: createLogger('error'),
    ai: createModelClient({ OPENAI_BASE_URL: aiBaseUrl, ...ai, OPENAI_MODEL }),
    config: { OPENAI_MODEL, SCRAPE_ALLOW_PRIVATE_NETWORKS: true, CACHE_TTL_HOURS: 24 },
  };
}

/** A model client for activities that never call the model (scraping, processing): any call would fail to connect. */
export function unusedModelClient(): ModelClient {
  return createModelClient({ OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_MODEL: 'unused' });
}

/** An `analyses` row as the API writes it at start, before any step ran. */
export async function insertAnalysis(db: Db, url: string, options: Record<string, unknown> = {}): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('analyses')
    .values({
      id,
      url,
      input_url: url,
      domain: 'test',
      status: 'pending',
      options: JSON.stringify(options),
      request_hash: randomUUID(),
      workflow_id: `analysis-${id}`,
    })
    .execute();
  return id;
}
