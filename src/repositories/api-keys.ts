import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';

export interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

/** Marks our keys in logs and secret scanners; the rest is 256 random bits. */
const KEY_PREFIX = 'pa_';
/** Shown by `keys list`: enough to tell keys apart, far too little to guess the rest. */
const DISPLAY_CHARS = 10;

/**
 * SHA-256, unsalted: the keys are 256 random bits, so there is no dictionary to precompute and a
 * slow password hash would buy nothing but latency on every request. A leaked table gives no key.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function newApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

function toRow(r: { id: string; name: string; prefix: string; created_at: Date; revoked_at: Date | null; last_used_at: Date | null }): ApiKeyRow {
  return { id: r.id, name: r.name, prefix: r.prefix, createdAt: r.created_at, revokedAt: r.revoked_at, lastUsedAt: r.last_used_at };
}

/** The only writer of api_keys: the `npm run keys` CLI creates and revokes, the API notes last use. */
export const apiKeysRepository = {
  /** Returns the key in clear: the only time it exists outside the caller's hands. */
  async create(db: Kysely<Database>, name: string): Promise<{ key: string; row: ApiKeyRow }> {
    const key = newApiKey();
    const row = await db
      .insertInto('api_keys')
      .values({ id: randomUUID(), name, prefix: key.slice(0, DISPLAY_CHARS), hash: hashApiKey(key) })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { key, row: toRow(row) };
  },

  async list(db: Kysely<Database>): Promise<ApiKeyRow[]> {
    const rows = await db.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(toRow);
  },

  /**
   * Revokes by ID or by displayed prefix. A prefix that matches several keys revokes none (the
   * caller is told to be precise). Already revoked keys keep their first revocation time.
   */
  async revoke(db: Kysely<Database>, idOrPrefix: string): Promise<{ revoked: ApiKeyRow[]; ambiguous: ApiKeyRow[] }> {
    return db.transaction().execute(async (trx) => {
      const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrPrefix);
      const matches = await trx
        .selectFrom('api_keys')
        .selectAll()
        .where((eb) => (isUuid ? eb('id', '=', idOrPrefix.toLowerCase()) : eb('prefix', 'like', `${idOrPrefix.replace(/[\\%_]/g, '\\$&')}%`)))
        .execute();
      if (matches.length > 1) return { revoked: [], ambiguous: matches.map(toRow) };
      if (matches.length === 0) return { revoked: [], ambiguous: [] };
      const revoked = await trx
        .updateTable('api_keys')
        .set({ revoked_at: sql<Date>`coalesce(revoked_at, now())` })
        .where('id', '=', matches[0]!.id)
        .returningAll()
        .execute();
      return { revoked: revoked.map(toRow), ambiguous: [] };
    });
  },

  async byHash(db: Kysely<Database>, hash: string): Promise<(ApiKeyRow & { hash: string }) | undefined> {
    const row = await db.selectFrom('api_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
    return row ? { ...toRow(row), hash: row.hash } : undefined;
  },

  /** Whether any key was ever created: from then on the API asks for one (a revoked key still counts). */
  async anyExists(db: Kysely<Database>): Promise<boolean> {
    const row = await db.selectFrom('api_keys').select('id').limit(1).executeTakeFirst();
    return row !== undefined;
  },

  /** At most one write a minute per key: last use is for operators, not an audit trail. */
  async touch(db: Kysely<Database>, id: string): Promise<void> {
    await db
      .updateTable('api_keys')
      .set({ last_used_at: sql<Date>`now()` })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`)]))
      .execute();
  },
};
