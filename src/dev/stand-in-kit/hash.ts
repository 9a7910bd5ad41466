/**
 * STAND-IN KIT (not an AI model): the small deterministic hash every stand-in choice is seeded by,
 * so the same request always gets the same answer. Node built-ins only; imports no product code.
 */

/** FNV-1a over UTF-16 code units: small, stable, good enough to spread choices. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A seed derived from another seed and a label (a JSON path, a purpose), independent of call order. */
export function derive(seed: number, label: string | number): number {
  return hash(`${seed}:${label}`);
}

/** The item at `n`, wrapping round. `items` must not be empty. */
export function pick<T>(items: readonly T[], n: number): T {
  if (items.length === 0) throw new Error('pick from an empty list');
  return items[Math.abs(n) % items.length]!;
}

/** `items` rotated to start at `n` (wrapping), as a new array: "the first one that fits, starting somewhere seeded". */
export function rotate<T>(items: readonly T[], n: number): T[] {
  if (items.length === 0) return [];
  const start = Math.abs(n) % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}
