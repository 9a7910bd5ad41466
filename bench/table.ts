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

/** A Markdown table (readable as is on a terminal): name, value, unit, target, met, note (cut short; whole in results.json). */
export function formatTable(rows: readonly Row[]): string {
  const header = ['name', 'value', 'unit', 'target', 'met', 'note'];
  const short = (note = '') => (note.length > NOTE_CHARS ? `${note.slice(0, NOTE_CHARS - 1)}…` : note).replaceAll('|', '/');
  const lines = rows.map((r) => [r.name, cell(r.value), r.unit, cell(r.target), cell(r.met), short(r.note)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt)].join('\n');
}

export async function writeResults(file: URL, startedAt: Date, rows: readonly Row[]): Promise<void> {
  const results = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version },
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
  const fresh = new Map(rows.map((r) => [r.name, { ...r, measuredAt: startedAt.toISOString() }]));
  const merged = previous.rows.map((r) => fresh.get(r.name) ?? r);
  for (const [name, row] of fresh) if (!previous.rows.some((r) => r.name === name)) merged.push(row);
  await writeFile(file, `${JSON.stringify({ ...previous, rows: merged }, null, 2)}\n`);
}
