import { Connection } from '@temporalio/client';
import pg from 'pg';
import { expect, inject, test } from 'vitest';
import { SEARCH_ATTRIBUTES } from './stack.js';

test('the global setup provides a Temporal server with our search attributes', async () => {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({
      namespace: inject('temporalNamespace'),
    });
    expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(Object.keys(SEARCH_ATTRIBUTES)));
  } finally {
    await connection.close();
  }
});

test('the global setup provides the persona_analyzer database', async () => {
  const client = new pg.Client({ connectionString: inject('databaseUrl') });
  await client.connect();
  try {
    const { rows } = await client.query('select current_database() as db, 1 as one');
    expect(rows[0]).toEqual({ db: 'persona_analyzer', one: 1 });
  } finally {
    await client.end();
  }
});
