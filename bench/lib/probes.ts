import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

// What /proc says about processes: CPU time (to see who saturates the 2 cores) and resident
// memory (VmHWM is the peak resident set over the process's life).

const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

/** utime + stime of a process in seconds; 0 if it is gone. */
export function cpuSeconds(pid: number | 'self'): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Read and write system calls of a process so far (/proc/<pid>/io syscr, syscw; sockets included); 0 if it is gone. */
export function syscalls(pid: number): { reads: number; writes: number } {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const n = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(io)?.[1] ?? 0);
    return { reads: n('syscr'), writes: n('syscw') };
  } catch {
    return { reads: 0, writes: 0 };
  }
}

/** VmHWM and VmRSS of a process in MB. */
export function memoryMb(pid: number): { peak: number; current: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { peak: kb('VmHWM') / 1024, current: kb('VmRSS') / 1024 };
}

/** Pids of processes whose command name is `comm` and whose command line passes `keep`. */
export function pidsNamed(comm: string, keep: (cmdline: string) => boolean = () => true): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() !== comm) continue;
      if (keep(readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' '))) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

/**
 * Postgres processes that work for one database: its backends ("postgres: 15/main: user db
 * host(port) state") and the server's own processes (WAL writer, checkpointer, ...), which
 * have no client address. Backends of other databases (other people's tests) are left out.
 */
export function postgresPidsFor(dbName: string): number[] {
  return pidsNamed('postgres', (cmd) => cmd.includes(` ${dbName} `) || !/\d+\.\d+\.\d+\.\d+\(|\[local\]/.test(cmd));
}

/** Busy cores of the whole machine over `ms` (everything: ours and the neighbours'). */
export async function machineBusyCores(ms: number): Promise<number> {
  const a = machineTicks();
  await new Promise((r) => setTimeout(r, ms));
  const b = machineTicks();
  return round(((b.busy - a.busy) / Math.max(1, b.total - a.total)) * cpus().length);
}

/** Busy and total jiffies of the whole machine. */
function machineTicks(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return { busy: total - idle, total };
}

export type CpuGroups = Record<string, () => number[] | 'self'>;

export interface CpuUsage {
  /** Cores used per group over the interval; `others` = the rest of the machine's busy time. */
  cores: Record<string, number>;
  /** CPU seconds used per group (no `others`). */
  cpuSeconds: Record<string, number>;
  machineBusy: number;
}

/**
 * CPU used per group of processes over an interval, in cores (1.0 = one core busy the whole
 * time), plus `others`: the machine's busy cores that no group accounts for (processes of
 * other users of this shared machine, kernel work). Process lists are re-read at the end, so
 * postgres backends opened meanwhile count from zero (a slight undercount).
 */
export class CpuMeter {
  private readonly start = new Map<string, Map<number | 'self', number>>();
  private readonly t0 = Date.now();
  private readonly m0 = machineTicks();

  constructor(private readonly groups: CpuGroups) {
    for (const [g, pids] of Object.entries(groups)) this.start.set(g, snapshot(pids()));
  }

  stop(): CpuUsage {
    const seconds = (Date.now() - this.t0) / 1000;
    const cores: Record<string, number> = {};
    const cpuSeconds: Record<string, number> = {};
    for (const [g, pids] of Object.entries(this.groups)) {
      const before = this.start.get(g)!;
      let used = 0;
      for (const [pid, t] of snapshot(pids())) used += t - (before.get(pid) ?? 0);
      cpuSeconds[g] = used;
      cores[g] = round(used / seconds);
    }
    const m1 = machineTicks();
    const machineBusy = (m1.busy - this.m0.busy) / Math.max(1, m1.total - this.m0.total);
    cores.others = round(Math.max(0, machineBusy * cpus().length - Object.values(cores).reduce((a, b) => a + b, 0)));
    return { cores, cpuSeconds, machineBusy: round(machineBusy) };
  }
}

function snapshot(pids: number[] | 'self'): Map<number | 'self', number> {
  const list: (number | 'self')[] = pids === 'self' ? ['self'] : pids;
  return new Map(list.map((p) => [p, cpuSeconds(p)]));
}

const round = (x: number) => Math.round(x * 100) / 100;

/**
 * CPU cost per event per process group (the neighbours' 'others' excluded), and the event rate
 * that cost would allow if this machine's cores were all ours. On a shared machine this is
 * steadier than a rate: it does not count the time spent waiting for a CPU.
 */
export function cpuCost(usage: CpuUsage, events: number): { cpuMsPerEvent: Record<string, number>; projectedPerSecond: number } {
  const cpuMsPerEvent: Record<string, number> = {};
  let total = 0;
  for (const [g, sec] of Object.entries(usage.cpuSeconds)) {
    cpuMsPerEvent[g] = Math.round((sec / events) * 1e6) / 1000;
    total += sec / events;
  }
  cpuMsPerEvent.total = Math.round(total * 1e6) / 1000;
  return { cpuMsPerEvent, projectedPerSecond: Math.round(cpus().length / Math.max(1e-9, total)) };
}
