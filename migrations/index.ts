import type { Migration } from 'kysely/migration';
import * as initial from './0001_initial.js';

/** Listed statically so the same code runs from TypeScript sources and from the built JavaScript. */
export const migrations: Record<string, Migration> = {
  '0001_initial': initial,
};
