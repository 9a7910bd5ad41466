import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Db } from '../../src/database.js';
import { createLogger } from '../../src/logger.js';
import { createOpenAIClient } from '../../src/openai.js';
import type { ActivityDeps } from '../../activities/types.js';

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

/** An activity context that does not log: tests that fail attempts on purpose would fill the output with WARN lines. */
export function quietActivityEnvironment(info: ConstructorParameters<typeof MockActivityEnvironment>[0] = {}) {
  return new MockActivityEnvironment(info, { logger: quietLogger });
}

/** Activity dependencies on the test database, with the real `openai` client pointed at the AI stand-in. */
export function standInActivityDeps(db: Db, aiBaseUrl: string): ActivityDeps {
  return {
    db,
    logger: createLogger('error'),
    openai: createOpenAIClient({ OPENAI_BASE_URL: aiBaseUrl }),
    config: { OPENAI_MODEL: 'gpt-4o-mini', SCRAPE_ALLOW_PRIVATE_NETWORKS: true, CACHE_TTL_HOURS: 24 },
  };
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
