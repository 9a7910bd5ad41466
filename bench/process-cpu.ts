import { execFileSync } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';

/**
 * CPU time and memory of the processes behind a measurement, read from Linux's /proc: the worker
 * and the API (child processes of the bench), Temporal and PostgreSQL (found by the port they
 * listen on). PostgreSQL is a process tree (a backend per connection, forked by the postmaster and
 * gone when the connection closes), so a server's CPU is that of its whole tree, exited children
 * included.
 */

/** Clock ticks per second of /proc/<pid>/stat's times (100 on every common Linux). */
const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface Stat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, in seconds: its own threads and its reaped children's. */
  cpuSeconds: number;
}

async function readStat(pid: number): Promise<Stat | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  // The command name (field 2) may hold spaces and parentheses: the fields after it follow the last ')'.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): ppid is field 4, utime..cstime fields 14..17.
  const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  return { pid, ppid: Number(f[1]), cpuSeconds: ticks / TICKS };
}

async function allStats(): Promise<Stat[]> {
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number);
  return (await Promise.all(pids.map(readStat))).filter((s): s is Stat => s !== undefined);
}

/**
 * CPU-seconds used so far by `root` and every process descending from it. A live process's
 * cutime/cstime hold the children it has reaped (and theirs), so summing all four times over the
 * live tree counts every process that ever ran in it, once.
 */
export async function treeCpuSeconds(root: number): Promise<number> {
  const stats = await allStats();
  const children = new Map<number, Stat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const rootStat = stats.find((s) => s.pid === root);
  if (!rootStat) throw new Error(`process ${root} is gone`);
  let total = 0;
  for (const queue = [rootStat]; queue.length > 0; ) {
    const s = queue.pop()!;
    total += s.cpuSeconds;
    queue.push(...(children.get(s.pid) ?? []));
  }
  return total;
}

/** CPU-seconds used so far by one process (its threads and its reaped children), without walking /proc. */
export async function processCpuSeconds(pid: number): Promise<number> {
  const stat = await readStat(pid);
  if (!stat) throw new Error(`process ${pid} is gone`);
  return stat.cpuSeconds;
}

/** Resident memory of one process now, in MB (VmRSS). */
export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
  return kb / 1024;
}

/** Samples a process's RSS every `everyMs` until stopped: the peak and the latest sample. */
export function sampleRss(pid: number, everyMs = 200) {
  let peak = 0;
  let last = 0;
  let samples = 0;
  const take = async () => {
    const mb = await rssMb(pid).catch(() => undefined);
    if (mb === undefined) return;
    peak = Math.max(peak, mb);
    last = mb;
    samples++;
  };
  void take();
  const timer = setInterval(() => void take(), everyMs);
  return {
    /** Clears the peak: from now on it is the peak of what follows. */
    reset() {
      peak = last;
      samples = 0;
    },
    read: () => ({ peakMb: Math.round(peak), lastMb: Math.round(last), samples }),
    stop: () => clearInterval(timer),
  };
}

/** The process that listens on a TCP port of this machine (the one at the top, when children share the socket). */
export async function pidListeningOn(port: number): Promise<number> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; field 10 is the socket's inode.
      if (f.length > 9 && f[3] === '0A' && parseInt(f[1]!.split(':')[1]!, 16) === port) inodes.add(f[9]!);
    }
  }
  if (inodes.size === 0) throw new Error(`nothing listens on port ${port}`);
  const holders: Stat[] = [];
  for (const name of (await readdir('/proc')).filter((n) => /^\d+$/.test(n))) {
    const fds = await readdir(`/proc/${name}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const link = await readlink(`/proc/${name}/fd/${fd}`).catch(() => '');
      if (link.startsWith('socket:[') && inodes.has(link.slice(8, -1))) {
        const s = await readStat(Number(name));
        if (s) holders.push(s);
        break;
      }
    }
  }
  const top = holders.find((h) => !holders.some((o) => o.pid === h.ppid));
  if (!top) throw new Error(`no process found holding the socket listening on port ${port}`);
  return top.pid;
}

/** A child of this process whose environment holds `marker` (e.g. `TEMPORAL_TASK_QUEUE=scale-…`) and whose command line holds `command`. */
export async function childPid(marker: string, command: string): Promise<number> {
  for (const s of await allStats()) {
    if (s.ppid !== process.pid) continue;
    const [environ, cmdline] = await Promise.all([
      readFile(`/proc/${s.pid}/environ`, 'utf8').catch(() => ''),
      readFile(`/proc/${s.pid}/cmdline`, 'utf8').catch(() => ''),
    ]);
    if (environ.split('\0').includes(marker) && cmdline.includes(command)) return s.pid;
  }
  throw new Error(`no child process with ${marker} running ${command}`);
}
