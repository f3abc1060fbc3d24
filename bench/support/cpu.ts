/**
 * CPU time per message, by process, over a phase: what each stage costs, read from /proc
 * (user + system time of each process). The throughput on a machine is bounded by the sum over
 * all processes sharing its cores, so this says where a millisecond would have to come from,
 * where msg/s alone only says that it is missing.
 */
import fs from 'node:fs';

const TICKS_PER_SECOND = 100;

/** A group of processes counted together: a daemon role, PostgreSQL's server, the bench itself. */
export interface CpuGroup {
  readonly name: string;
  /** The processes, looked up again at each reading (PostgreSQL starts a backend per connection). */
  pids(): number[];
}

function stat(pid: number): { cpuMs: number; ppid: number } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { cpuMs: (ticks * 1000) / TICKS_PER_SECOND, ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** A process and its children (PostgreSQL's postmaster and its backends). */
export function withChildren(rootPid: () => number | undefined): () => number[] {
  return () => {
    const root = rootPid();
    if (root === undefined) return [];
    const children = fs
      .readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number)
      .filter((pid) => stat(pid)?.ppid === root);
    return [root, ...children];
  };
}

/** The postmaster's pid, from the first line of its data directory's postmaster.pid. */
export function postmasterPid(dataDir: string): number | undefined {
  try {
    return Number(fs.readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

function readGroups(groups: readonly CpuGroup[]): Map<string, Map<number, number>> {
  return new Map(groups.map((g) => [g.name, new Map(g.pids().map((pid) => [pid, stat(pid)?.cpuMs ?? 0]))]));
}

/**
 * Starts counting; `stop(messages)` answers each group's CPU milliseconds per message since.
 * A process that ended in between is not counted (its time is gone from /proc).
 */
export function countCpu(groups: readonly CpuGroup[]): { stop(messages: number): Record<string, number> } {
  const before = readGroups(groups);
  return {
    stop(messages) {
      const after = readGroups(groups);
      const perMessage: Record<string, number> = {};
      for (const group of groups) {
        const was = before.get(group.name) ?? new Map<number, number>();
        let spent = 0;
        for (const [pid, cpuMs] of after.get(group.name) ?? []) spent += cpuMs - (was.get(pid) ?? 0);
        perMessage[group.name] = Math.round((spent / messages) * 10) / 10;
      }
      return perMessage;
    },
  };
}
