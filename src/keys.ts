import { ConfigError, loadConfig } from './config.js';
import { commandLine } from './dev/cli-args.js';
import { createDatabase } from './database.js';
import { migrateDatabase } from './migrate.js';
import { apiKeysRepository, type ApiKeyRow } from './repositories/api-keys.js';

/**
 * `npm run keys -- create <name> | list | revoke <id or prefix>`: API keys in PostgreSQL.
 * Once any key exists the API asks for one (see README "REST API"). Keys from API_KEYS are not
 * listed here: they live in the environment.
 */
const USAGE = `usage: npm run keys -- create <name>     make a key; it is printed once, store it now
       npm run keys -- list              every key: id, name, prefix, created, last used, revoked
       npm run keys -- revoke <id|prefix>  the key stops working at once (403 FORBIDDEN)
DATABASE_URL names the database (default: the one \`npm run dev\` runs on 127.0.0.1:5433).`;

/** Where `npm run dev`'s own PostgreSQL listens (src/dev/postgres.ts, src/dev/stack.ts). */
const DEV_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:5433/persona_analyzer';

const { positionals } = commandLine(USAGE, { allowPositionals: true, options: {} });
const [command, argument] = positionals;

let config;
try {
  config = loadConfig();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}

function describe(k: ApiKeyRow): string {
  const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active';
  const used = k.lastUsedAt ? `last used ${k.lastUsedAt.toISOString()}` : 'never used';
  return `${k.id}  ${k.prefix}…  ${JSON.stringify(k.name)}  created ${k.createdAt.toISOString()}  ${used}  ${state}`;
}

async function run(): Promise<number> {
  if (command === 'create' && argument?.trim()) {
    const { key, row } = await apiKeysRepository.create(db, argument.trim());
    console.error(`Created key ${row.id} (${JSON.stringify(row.name)}). It is shown once, here; only its hash is stored:`);
    console.log(key);
    return 0;
  }
  if (command === 'list' && !argument) {
    const keys = await apiKeysRepository.list(db);
    if (keys.length === 0) console.error('No keys. Create one with: npm run keys -- create <name>');
    for (const k of keys) console.log(describe(k));
    return 0;
  }
  if (command === 'revoke' && argument?.trim()) {
    const { revoked, ambiguous } = await apiKeysRepository.revoke(db, argument.trim());
    if (ambiguous.length > 0) {
      console.error(`"${argument}" matches ${ambiguous.length} keys; give more of the prefix, or the id:`);
      for (const k of ambiguous) console.error(`  ${describe(k)}`);
      return 1;
    }
    if (revoked.length === 0) {
      console.error(`No key has the id or prefix "${argument}" (see npm run keys -- list).`);
      return 1;
    }
    for (const k of revoked) console.log(`Revoked: ${describe(k)}`);
    return 0;
  }
  console.error(USAGE);
  return 2;
}

const db = createDatabase(config.DATABASE_URL ?? DEV_DATABASE_URL, 1);
let code = 1;
try {
  await migrateDatabase(db);
  code = await run();
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  console.error(/ECONNREFUSED/.test(message) ? `Cannot reach the database (${message}). Set DATABASE_URL, or start \`npm run dev\`.` : message);
} finally {
  await db.destroy();
}
process.exit(code);
