import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The saved real pages in `shared/`, which lies beside the repository (here and on CI). */
export const FIXTURES_DIR = fileURLToPath(new URL('../../../shared/fixtures/pages/', import.meta.url));

export function readFixture(name: string): string {
  return readFileSync(`${FIXTURES_DIR}${name}`, 'utf8');
}
