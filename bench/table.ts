import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';

/** One measurement. `raw` holds the counts behind a share (e.g. `{ verified, total }`). */
export interface Row {
  name: string;
  value: number | string | null;
  unit: string;
  /** What it should be; null when the row only reports. */
  target: number | null;
  /** null when there is no target or no value. */
  met: boolean | null;
  raw: Record<string, unknown>;
  note?: string;
  /** When a row was measured, when not by the run that wrote the file (`--only`, carried rows). */
  measuredAt?: string;
  /** Not measured by this run: taken over from the last run that measured it (see carryForward). */
  carried?: boolean;
}

/** The median of repetitions (the mean of the middle two for an even count), null for none. */
export function median(xs: readonly number[]): number | null {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? null : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The q-quantile (0..1) of sorted values, one decimal (the nearest-rank value), null for none. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
}

/** `x` to `digits` decimals; null stays null. */
export function round(x: number, digits: number): number;
export function round(x: number | null, digits: number): number | null;
export function round(x: number | null, digits: number): number | null {
  return x === null ? null : Math.round(x * 10 ** digits) / 10 ** digits;
}

/** A share in percent (one decimal), null when there is nothing to divide. */
export function percent(part: number, total: number): number | null {
  return total > 0 ? Math.round((1000 * part) / total) / 10 : null;
}

/** A row with a target: met when the value reaches it (`at_most`: stays at or under it). */
export function row(
  name: string,
  value: number | string | null,
  unit: string,
  raw: Record<string, unknown>,
  opts: { target?: number; atMost?: boolean; note?: string } = {},
): Row {
  const target = opts.target ?? null;
  let met: boolean | null = null;
  if (target !== null && typeof value === 'number') met = opts.atMost ? value <= target : value >= target;
  else if (target !== null && value === null && opts.note === undefined) met = false;
  return { name, value, unit, target, met, raw, ...(opts.note ? { note: opts.note } : {}) };
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'boolean') return v ? 'yes' : 'NO';
  return String(v);
}

const NOTE_CHARS = 200;

/**
 * A Markdown table (readable as is on a terminal): name, value, unit, target, met, note (cut short;
 * whole in results.json), and `carried from` (when it was measured) when some row was carried over
 * from an earlier run.
 */
export function formatTable(rows: readonly Row[]): string {
  const anyCarried = rows.some((r) => r.carried);
  const header = ['name', 'value', 'unit', 'target', 'met', ...(anyCarried ? ['carried from'] : []), 'note'];
  const short = (note = '') => (note.length > NOTE_CHARS ? `${note.slice(0, NOTE_CHARS - 1)}…` : note).replaceAll('|', '/');
  const measured = (r: Row) => (r.carried ? `${(r.measuredAt ?? '?').slice(0, 16).replace('T', ' ')} UTC` : '');
  const lines = rows.map((r) => [r.name, cell(r.value), r.unit, cell(r.target), cell(r.met), ...(anyCarried ? [measured(r)] : []), short(r.note)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt)].join('\n');
}

/** `parts`: seconds each part of the run took, in the order they ran. */
export async function writeResults(file: URL, startedAt: Date, rows: readonly Row[], parts: Record<string, number> = {}): Promise<void> {
  const results = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version },
    parts,
    rows,
  };
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
}

/**
 * A partial run (`--only`): its rows replace the rows of the same names in the file and carry
 * when they were measured; every other row stays as the last full run left it.
 */
export async function mergeResults(file: URL, startedAt: Date, rows: readonly Row[]): Promise<void> {
  const previous = JSON.parse(await readFile(file, 'utf8').catch(() => '{"rows": []}')) as { rows: Row[]; [key: string]: unknown };
  const fresh = new Map(rows.map((r) => [r.name, r.carried ? r : { ...r, measuredAt: startedAt.toISOString() }]));
  const merged = previous.rows.map((r) => fresh.get(r.name) ?? r);
  for (const [name, row] of fresh) if (!previous.rows.some((r) => r.name === name)) merged.push(row);
  await writeFile(file, `${JSON.stringify({ ...previous, rows: merged }, null, 2)}\n`);
}

/**
 * The rows under `prefix` that the last run measuring them left in the file, marked as carried
 * with when they were measured: a part too slow for every run (the real model) still shows its
 * last figures. Rows that say the part was not run are not figures; none are carried.
 */
export async function carryForward(file: URL, prefix: string): Promise<Row[]> {
  // No file, or one that is not JSON: nothing to carry (the rows then say they were not run).
  let previous: { startedAt?: string; rows?: Row[] };
  try {
    previous = JSON.parse(await readFile(file, 'utf8')) as typeof previous;
  } catch {
    return [];
  }
  const measured = (previous.rows ?? []).filter((r) => r.name.startsWith(prefix) && !(r.value === null && r.note?.startsWith('not run')));
  if (!measured.some((r) => r.value !== null)) return [];
  return measured.map((r) => ({ ...r, carried: true, measuredAt: r.measuredAt ?? previous.startedAt }));
}
