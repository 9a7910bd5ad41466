import { Migrator, type MigrationProvider } from 'kysely/migration';
import { migrations } from '../migrations/index.js';
import { createDatabase, type Db } from './database.js';

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrateDatabase(db: Db): Promise<string[]> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export async function migrateToLatest(databaseUrl: string): Promise<string[]> {
  const db = createDatabase(databaseUrl, 1);
  try {
    return await migrateDatabase(db);
  } finally {
    await db.destroy();
  }
}
