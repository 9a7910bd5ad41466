// Pure file handling, no servers; `.int` only because the unit project reads src/, activities/ and
// workflows/, and every bench/ test runs in the integration project.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { carryForward, formatTable, median, mergeResults, row, writeResults, type Row } from './table.js';

let dir: string;
let file: URL;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bench-table-'));
  file = pathToFileURL(path.join(dir, 'results.json'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const measuredRun = new Date('2026-11-30T13:18:16.720Z');

describe('rows carried over from the last run that measured them', () => {
  it('carries the measured rows of a prefix, marked with when they were measured', async () => {
    await writeResults(file, measuredRun, [
      row('real_model.analysis_seconds', 296.8, 's', { site: 'acme' }),
      row('real_model.quotes_verified', null, '%', {}, { target: 100, note: 'no quotes in the reports' }),
      row('cache.extraction_ratio', 0.03, 'x first', {}),
    ]);
    const carried = await carryForward(file, 'real_model.');
    expect(carried.map((r) => [r.name, r.value, r.carried, r.measuredAt])).toEqual([
      ['real_model.analysis_seconds', 296.8, true, measuredRun.toISOString()],
      ['real_model.quotes_verified', null, true, measuredRun.toISOString()],
    ]);
  });

  it('keeps the time of measurement across runs that carry the rows again', async () => {
    await writeResults(file, measuredRun, [row('real_model.analysis_seconds', 296.8, 's', {})]);
    await writeResults(file, new Date('2026-12-01T09:00:00Z'), await carryForward(file, 'real_model.'));
    const again = await carryForward(file, 'real_model.');
    expect(again[0]).toMatchObject({ value: 296.8, measuredAt: measuredRun.toISOString() });
    // An --only run that carries them does not stamp them as measured now.
    await mergeResults(file, new Date('2026-12-02T09:00:00Z'), again);
    const merged = JSON.parse(await readFile(file, 'utf8')) as { rows: Row[] };
    expect(merged.rows[0]).toMatchObject({ carried: true, measuredAt: measuredRun.toISOString() });
  });

  it('carries nothing when the last run did not measure them', async () => {
    await writeResults(file, measuredRun, [{ ...row('real_model.analysis_seconds', null, 's', {}), note: 'not run: pass --real-model' }]);
    expect(await carryForward(file, 'real_model.')).toEqual([]);
    await writeFile(file, 'not json at all, or missing');
    expect(await carryForward(file, 'real_model.')).toEqual([]);
    await rm(file);
    expect(await carryForward(file, 'real_model.')).toEqual([]);
  });

  it('says in the table which rows were carried and from when', () => {
    const fresh = row('cache.extraction_ratio', 0.03, 'x first', {}, { target: 0.1, atMost: true });
    const carried = { ...row('real_model.analysis_seconds', 296.8, 's', {}), carried: true, measuredAt: measuredRun.toISOString() };
    const lines = formatTable([fresh, carried]).split('\n');
    expect(lines[0]).toMatch(/\| carried from +\|/);
    expect(lines[2]).toMatch(/^\| cache\.extraction_ratio .*\| yes \| +\| /);
    expect(lines[3]).toContain('| 2026-11-30 13:18 UTC |');
    expect(formatTable([fresh])).not.toContain('carried from');
  });
});

describe('median of repetitions', () => {
  it('takes the middle one, the mean of the middle two, or none', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });
});
