import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Logger } from './logger.js';
import { AnalysisStatusKey, SiteDomainKey } from '../workflows/definitions.js';

// @temporalio/proto is CommonJS: under Node's ESM loader only its default export is reliable.
const KEYWORD = proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;

/**
 * Registers the search attributes the API and workflow set. The dev server gets them at start-up;
 * a cluster from docker-compose or Temporal Cloud may not have them yet. Already registered is fine.
 */
export async function ensureSearchAttributes(address: string, namespace: string, logger: Logger): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = [SiteDomainKey.name, AnalysisStatusKey.name].filter((name) => !(name in (existing.customAttributes ?? {})));
    if (missing.length === 0) return;
    await connection.operatorService
      .addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD])) })
      .catch((err: unknown) => {
        // Starting a workflow with unregistered attributes is refused: the service cannot run without them.
        throw new Error(
          `The search attributes ${missing.join(', ')} (Keyword) are not registered in namespace ${namespace}, and ` +
            `registering them failed (${err instanceof Error ? err.message : String(err)}). Register them with ` +
            '`temporal operator search-attribute create --name <name> --type Keyword`, or in Temporal Cloud\'s namespace settings.',
          { cause: err },
        );
      });
    logger.info('registered search attributes', { namespace, attributes: missing });
  } finally {
    await connection.close();
  }
}
