import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createDevLogger, shortLine } from './dev-logger.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function fileWith(file: string, text: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const content = await readFile(file, 'utf8').catch(() => '');
    if (content.includes(text)) return content;
    await sleep(25);
  }
  throw new Error(`${file} never held ${text}`);
}

describe('createDevLogger', () => {
  it('writes JSON lines to the file; warnings and errors also reach the terminal, one short line each', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dev-logger-'));
    dirs.push(dir);
    const file = path.join(dir, 'logs', 'dev.log');
    const printed: string[] = [];
    const { logger, file: used } = createDevLogger({ LOG_LEVEL: 'info', LOG_FILE: file, LOG_TO_CONSOLE: false }, { service: 'dev', print: (l) => printed.push(l) });
    expect(used).toBe(file);
    logger.info('request', { path: '/api/v2/health' });
    logger.warn('request failed: dependency unavailable', { error: 'connect ECONNREFUSED 127.0.0.1:7233\n    at stack line' });
    const lines = (await fileWith(file, 'dependency unavailable')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', message: 'request', path: '/api/v2/health', service: 'dev' }),
      expect.objectContaining({ level: 'warn', message: 'request failed: dependency unavailable' }),
    ]);
    expect(printed).toEqual(['warn: request failed: dependency unavailable — connect ECONNREFUSED 127.0.0.1:7233']);
  });
});

describe('shortLine', () => {
  it('keeps a long message to one line', () => {
    const line = shortLine({ level: 'error', message: `boom ${'x'.repeat(500)}\nsecond line` });
    expect(line).not.toContain('\n');
    expect(line.length).toBeLessThanOrEqual(200);
  });
});
