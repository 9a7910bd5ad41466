import { isGrpcServiceError, type Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { connectTemporalClient, type TemporalConnectionConfig } from './temporal.js';
import { AnalysisStatusKey, SiteDomainKey } from '../workflows/definitions.js';

// @temporalio/proto is CommonJS: under Node's ESM loader only its default export is reliable.
const KEYWORD = proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;

/**
 * Registers the search attributes the API and workflow set. The dev server gets them at start-up;
 * a cluster from docker-compose or Temporal Cloud may not have them yet. Already registered is fine.
 */
export async function ensureSearchAttributes(
  config: TemporalConnectionConfig & Pick<Config, 'TEMPORAL_NAMESPACE'>,
  logger: Logger,
): Promise<void> {
  const namespace = config.TEMPORAL_NAMESPACE;
  const connection = await connectTemporalClient(config);
  try {
    const names = [SiteDomainKey.name, AnalysisStatusKey.name];
    const existing = await connection.operatorService.listSearchAttributes({ namespace }).catch((err: unknown) => {
      if (isGrpcServiceError(err) && OPERATOR_API_REFUSED.includes(err.code)) return undefined;
      throw err;
    });
    if (!existing) {
      // Temporal Cloud refuses the Operator API: ask visibility instead, and say how to add what is missing.
      const missing = await unknownToVisibility(connection, namespace, names);
      if (missing.length > 0) {
        throw new Error(
          `The search attributes ${missing.join(', ')} (Keyword) are not registered in namespace ${namespace}, and this ` +
            'server does not let clients register them (Temporal Cloud). Add them in the namespace\'s settings in the Cloud UI, or with ' +
            missing.map((name) => `\`tcld namespace search-attributes add --namespace ${namespace} --search-attribute ${name}=Keyword\``).join(' and ') +
            ', then start again.',
        );
      }
      return;
    }
    const missing = names.filter((name) => !(name in (existing.customAttributes ?? {})));
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

// gRPC status codes (grpc-js is only a dependency of the SDK, not ours).
const INVALID_ARGUMENT = 3;
/** How a server that keeps the Operator API to itself (Temporal Cloud) answers a client using it: PERMISSION_DENIED, UNIMPLEMENTED. */
const OPERATOR_API_REFUSED: number[] = [7, 12];

/** The attributes a visibility query cannot use: a query naming an unknown attribute is refused as INVALID_ARGUMENT. */
async function unknownToVisibility(connection: Connection, namespace: string, names: string[]): Promise<string[]> {
  const unknown: string[] = [];
  for (const name of names) {
    try {
      await connection.workflowService.countWorkflowExecutions({ namespace, query: `${name} = 'search-attribute-check'` });
    } catch (err) {
      if (!isGrpcServiceError(err) || err.code !== INVALID_ARGUMENT) throw err;
      unknown.push(name);
    }
  }
  return unknown;
}
