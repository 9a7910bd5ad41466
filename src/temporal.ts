import { Client, Connection } from '@temporalio/client';
import { LOCAL_TEMPORAL_ADDRESS, type Config } from './config.js';

/** One connection and client per process: connections are expensive, and the API shares this one. */
export async function connectTemporal(
  config: Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE'>,
): Promise<{ connection: Connection; client: Client }> {
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS ?? LOCAL_TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  return { connection, client };
}
