import { timingSafeEqual } from 'node:crypto';
import type { Db } from '../../database.js';
import type { Logger } from '../../logger.js';
import { apiKeysRepository, hashApiKey } from '../../repositories/api-keys.js';

/** Who sent a request, as far as its Authorization header tells. */
export type Caller =
  | { kind: 'key'; /** Stable across API instances: the rate-limit bucket of this key. */ id: string; name: string }
  | { kind: 'anonymous' }
  | { kind: 'invalid' }
  | { kind: 'revoked'; id: string };

/** Where keys created with `npm run keys` are looked up; the tests of the HTTP layer give their own. */
export interface KeyStore {
  byHash(hash: string): Promise<{ id: string; name: string; hash: string; revoked: boolean } | undefined>;
  anyExists(): Promise<boolean>;
  touch(id: string): void;
}

/**
 * How long "no key exists" is believed before the table is read again: the first key made with
 * `npm run keys` is asked for within this. Every request asks: reading the table each time was one
 * of the two statements of a 404 and of the three of a status read.
 */
export const NO_KEYS_RECHECK_MS = 1_000;

export function databaseKeyStore(db: Db, log: Logger): KeyStore {
  // Once a key exists the answer never changes (keys are revoked, never deleted), so it is not read
  // again; concurrent requests share one read.
  let known: { exists: boolean; at: number } | undefined;
  let reading: Promise<boolean> | undefined;
  return {
    async byHash(hash) {
      const row = await apiKeysRepository.byHash(db, hash);
      return row && { id: row.id, name: row.name, hash: row.hash, revoked: row.revokedAt !== null };
    },
    anyExists() {
      if (known && (known.exists || Date.now() - known.at < NO_KEYS_RECHECK_MS)) return Promise.resolve(known.exists);
      reading ??= apiKeysRepository
        .anyExists(db)
        .then((exists) => ((known = { exists, at: Date.now() }), exists))
        .finally(() => (reading = undefined));
      return reading;
    },
    touch(id) {
      apiKeysRepository.touch(db, id).catch((err: unknown) =>
        log.warn('could not record the last use of an API key', { keyId: id, error: err instanceof Error ? err.message : String(err) }),
      );
    },
  };
}

/** RFC 6750 b64token; anything else in a Bearer header is malformed. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Recognises the caller. Both sides are compared as SHA-256 digests with timingSafeEqual, so the
 * time taken says nothing about how much of a key was right; every API_KEYS entry is compared (no
 * early exit). Stored keys are found by their hash, which an attacker cannot steer byte by byte.
 */
export function keyChecker(envKeys: readonly string[], store: KeyStore) {
  const envHashes = envKeys.map((key) => hashApiKey(key));
  return async function identify(authorization: string | undefined): Promise<Caller> {
    if (authorization === undefined) return { kind: 'anonymous' };
    const token = BEARER.exec(authorization)?.[1];
    if (!token) return { kind: 'invalid' };
    const hash = hashApiKey(token);
    let envMatch = -1;
    envHashes.forEach((candidate, index) => {
      if (sameHash(candidate, hash)) envMatch = index;
    });
    // The bucket is named by a hash prefix: stable across instances, and no key in the rate-limit table.
    if (envMatch >= 0) return { kind: 'key', id: `env-${hash.slice(0, 16)}`, name: `API_KEYS[${envMatch}]` };
    const stored = await store.byHash(hash);
    if (!stored || !sameHash(stored.hash, hash)) return { kind: 'invalid' };
    if (stored.revoked) return { kind: 'revoked', id: stored.id };
    store.touch(stored.id);
    return { kind: 'key', id: stored.id, name: stored.name };
  };
}
