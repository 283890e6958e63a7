// CPU time of other processes, from /proc/<pid>/stat (utime + stime, all threads): the benchmark's cost measure.
// Deliveries per server CPU-second stay comparable on a shared machine where wall-clock rates do not.
import { readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux build this runs on (getconf CLK_TCK)

/** CPU seconds used so far by `pid` (0 if it has exited). */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) in parentheses: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Pids of processes whose command name (/proc/<pid>/comm) is `name`, e.g. 'redis-server'. */
export function pidsNamed(name: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Processes to meter: a plain list, or lists by part ("hubs", "postgres", "redis") to see where the CPU went. */
export type MeteredPids = readonly number[] | Readonly<Record<string, readonly number[]>>;

/** CPU seconds used so far, by pid, with the part each pid belongs to. */
export interface CpuSample {
  readonly seconds: ReadonlyMap<number, number>;
  readonly partOf: ReadonlyMap<number, string>;
}

/** A set of processes whose CPU is summed; `pids` is re-read at every sample (PostgreSQL backends come and go). */
export class CpuMeter {
  constructor(private readonly pids: () => MeteredPids | Promise<MeteredPids>) {}

  /** Total CPU seconds of the processes now, by pid (a backend that exits between samples is dropped from both). */
  async sample(): Promise<CpuSample> {
    const seconds = new Map<number, number>();
    const partOf = new Map<number, string>();
    const pids = await this.pids();
    const parts: Array<[string, readonly number[]]> = isPidList(pids) ? [['server', pids]] : Object.entries(pids);
    for (const [part, list] of parts) {
      for (const pid of list) {
        seconds.set(pid, cpuSecondsOf(pid));
        partOf.set(pid, part);
      }
    }
    return { seconds, partOf };
  }

  /** CPU seconds spent between two samples, over the pids present in both (and new ones, counted from 0). */
  static spent(before: CpuSample, after: CpuSample): number {
    let total = 0;
    for (const seconds of Object.values(CpuMeter.spentByPart(before, after))) total += seconds;
    return total;
  }

  /** The same, by part (the part a pid had in the later sample). */
  static spentByPart(before: CpuSample, after: CpuSample): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [pid, seconds] of after.seconds) {
      const part = after.partOf.get(pid) ?? 'server';
      out[part] = (out[part] ?? 0) + seconds - (before.seconds.get(pid) ?? 0);
    }
    return out;
  }
}

function isPidList(pids: MeteredPids): pids is readonly number[] {
  return Array.isArray(pids);
}
