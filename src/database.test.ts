import { describe, expect, it } from 'vitest';
import { inTransaction, type Db } from './database.js';

/** A database whose transactions run the work directly: only the retry rule is under test here. */
function fakeDb(): Db {
  return { transaction: () => ({ execute: (work: (trx: Db) => Promise<unknown>) => work({} as Db) }) } as unknown as Db;
}

const failure = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

describe('inTransaction', () => {
  it('runs a transaction again when PostgreSQL ended it to break a deadlock', async () => {
    let runs = 0;
    const result = await inTransaction(fakeDb(), async () => {
      runs++;
      if (runs === 1) throw failure('40P01');
      return 'done';
    });
    expect(result).toBe('done');
    expect(runs).toBe(2);
  });

  it('gives up after its attempts, and passes any other error through at once', async () => {
    let runs = 0;
    await expect(inTransaction(fakeDb(), async () => (runs++, Promise.reject(failure('40001'))), 3)).rejects.toThrow('pg 40001');
    expect(runs).toBe(3);
    runs = 0;
    await expect(inTransaction(fakeDb(), async () => (runs++, Promise.reject(failure('23505'))))).rejects.toThrow('pg 23505');
    expect(runs).toBe(1);
  });
});
