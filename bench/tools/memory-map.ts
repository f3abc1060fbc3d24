/**
 * `npx tsx bench/tools/memory-map.ts PID [--every SECONDS]`: what a daemon process's resident
 * memory is, from /proc/PID/smaps, each mapping classed by what it is (MiB). Once, or every
 * SECONDS until the process ends, printing each sample and at the end the one of highest RSS
 * (run it beside `npm run bench` with the embedded daemon's PID to see what its peak is made of).
 *
 * The classes, by the mappings' shapes on Linux x86-64 with Node 20: PGlite's WebAssembly memory
 * is the read-write mapping in front of V8's 10 GiB guard reservation; glibc's arenas are the
 * read-write heads of 64 MiB reservations (a thread's heap); V8's heap pages are 256 KiB
 * mappings; V8's code is executable; blocks malloc maps apart fall in "other anonymous".
 */
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

interface Mapping {
  readonly start: bigint;
  readonly end: bigint;
  readonly perms: string;
  readonly name: string;
  readonly sizeKb: number;
  readonly rssKb: number;
}

const ARENA_KB = 64 * 1024;
const WASM_GUARD_KB = 4 * 1024 * 1024;

function mappings(pid: number): Mapping[] {
  const found: Mapping[] = [];
  let current:
    | { start: bigint; end: bigint; perms: string; name: string; sizeKb: number; rssKb: number }
    | undefined;
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      current = {
        start: BigInt(`0x${head[1]}`),
        end: BigInt(`0x${head[2]}`),
        perms: head[3]!,
        name: head[4]!,
        sizeKb: 0,
        rssKb: 0,
      };
      found.push(current);
      continue;
    }
    const field = /^(Size|Rss):\s+(\d+) kB/.exec(line);
    if (field && current) {
      if (field[1] === 'Size') current.sizeKb = Number(field[2]);
      else current.rssKb = Number(field[2]);
    }
  }
  return found;
}

function classOf(m: Mapping, next: Mapping | undefined): string {
  const adjacent = next !== undefined && next.start === m.end && next.perms === '---p';
  if (m.name === '[heap]') return 'glibc main heap (brk)';
  if (m.name.endsWith('/node')) return "node's binary (file)";
  if (m.name.startsWith('/')) return 'other files';
  if (m.name) return m.name;
  if (adjacent && next.sizeKb >= WASM_GUARD_KB) return "PGlite's WebAssembly memory";
  if (m.perms === 'rw-p' && adjacent && m.sizeKb + next.sizeKb === ARENA_KB) return 'glibc arenas';
  if (m.perms === 'rw-p' && m.sizeKb === ARENA_KB && m.start % BigInt(ARENA_KB * 1024) === 0n) {
    return 'glibc arenas';
  }
  if (m.perms === 'rw-p' && m.sizeKb === 256) return "V8's heap pages";
  if (m.perms.includes('x')) return "V8's code";
  return 'other anonymous';
}

/** Resident MiB by class, largest first, with the process's VmRSS. */
function memoryMap(pid: number): Record<string, number> {
  const all = mappings(pid);
  const kb: Record<string, number> = {};
  all.forEach((m, i) => {
    if (m.rssKb === 0) return;
    const name = classOf(m, all[i + 1]);
    kb[name] = (kb[name] ?? 0) + m.rssKb;
  });
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  const mib = (n: number) => Math.round(n / 102.4) / 10;
  return {
    VmRSS: mib(Number(rss ?? 0)),
    ...Object.fromEntries(
      Object.entries(kb)
        .sort((a, b) => b[1] - a[1])
        .map(([name, n]) => [name, mib(n)]),
    ),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const pid = Number(process.argv[2]);
  if (!Number.isInteger(pid) || pid <= 0) {
    process.stderr.write('usage: memory-map.ts PID [--every SECONDS]\n');
    process.exit(64);
  }
  const everyAt = process.argv.indexOf('--every');
  const every = everyAt > 0 ? Number(process.argv[everyAt + 1]) : 0;
  if (!(every > 0)) {
    process.stdout.write(`${JSON.stringify(memoryMap(pid))}\n`);
  } else {
    let highest: Record<string, number> = { VmRSS: 0 };
    for (;;) {
      let sample: Record<string, number>;
      try {
        sample = memoryMap(pid);
      } catch {
        break;
      }
      process.stdout.write(`${JSON.stringify(sample)}\n`);
      if (sample['VmRSS']! > highest['VmRSS']!) highest = sample;
      await sleep(every * 1000);
    }
    process.stdout.write(`highest: ${JSON.stringify(highest)}\n`);
  }
}
