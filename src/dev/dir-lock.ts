import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs `fn` while holding `lockDir`. mkdir is atomic, so this serialises installs between
 * processes (two vitest files, or `npm run dev` and a test run, started together). The owner's pid
 * lets a later run break a lock left behind by a killed process. Used by the on-demand installs of
 * the Temporal CLI and the local model.
 */
export async function withDirLock(lockDir: string, log: (msg: string) => void, what: string, fn: () => Promise<void>, timeoutMs = 25 * 60_000): Promise<void> {
  await mkdir(path.dirname(lockDir), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      await mkdir(lockDir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (!(await ownerAlive(lockDir))) {
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for another process to release ${lockDir}`);
    if (!announced) log(`Another process is installing ${what}; waiting for ${lockDir}`);
    announced = true;
    await sleep(1000);
  }
  try {
    await writeFile(path.join(lockDir, 'pid'), String(process.pid));
    await fn();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

async function ownerAlive(lockDir: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number(await readFile(path.join(lockDir, 'pid'), 'utf8'));
  } catch {
    // No pid yet: the owner is between mkdir and writeFile, unless it died right there long ago.
    const age = await stat(lockDir).then((s) => Date.now() - s.mtimeMs, () => 0);
    return age < 30_000;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
