/**
 * Set up before every test file that runs in a shared worker process (vitest.config.ts): when the
 * file is done, nothing it started may outlive it, because the process goes on to the next file
 * instead of ending. A test that fails before its afterAll (or a daemon that will not stop) can
 * leave processes behind: a redis-server, a PostgreSQL, a `hostmasterd` child and the
 * redis-server it started, a Chromium. Each process this worker started during the file (its
 * children and theirs) that is still running a few seconds after the file's own hooks is killed,
 * and named on stderr so the leak gets fixed. Nothing else would stop them: vitest ends a worker
 * with SIGTERM, shared or not, and then its `process.on('exit')` handlers do not run.
 *
 * Linux only (it reads /proc), as CI and the daemon's own supervision are; elsewhere it does nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect } from 'vitest';

/** How long a process a file stopped may take to exit by itself before it counts as left behind. */
const EXIT_GRACE_MS = 5_000;

/** The processes `pid` started that still have it as their parent (what each of its threads forked). */
function childrenOf(pid: number): number[] {
  let threads: string[];
  try {
    threads = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // gone, or no /proc
  }
  const children: number[] = [];
  for (const thread of threads) {
    try {
      const listed = fs.readFileSync(`/proc/${pid}/task/${thread}/children`, 'utf8').trim();
      if (listed) children.push(...listed.split(' ').map(Number));
    } catch {}
  }
  return children;
}

/** Whether `pid` still runs (an exited child not yet reaped by Node is a zombie, not running). */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * The running processes below this one: its children, theirs, and so on. Read from each
 * process's own list of children (a few files: 0.4 ms of CPU) rather than the whole process table
 * (10 ms on a machine running 200 processes); a process whose parent is gone (re-parented to init)
 * is not found, and none of the suite's servers daemonize.
 */
function descendants(): Set<number> {
  const found = new Set<number>();
  const pending = [process.pid];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    for (const child of childrenOf(pid)) {
      if (found.has(child)) continue;
      pending.push(child);
      if (running(child)) found.add(child);
    }
  }
  return found;
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 200);
  } catch {
    return '(gone)';
  }
}

let before = new Set<number>();

beforeAll(() => {
  before = descendants();
});

afterAll(async () => {
  let left = [...descendants()].filter((pid) => !before.has(pid));
  for (let waited = 0; left.length > 0 && waited < EXIT_GRACE_MS; waited += 200) {
    await sleep(200);
    left = left.filter(running);
  }
  if (left.length === 0) return;
  const named = left.map((pid) => `  ${pid} ${commandLine(pid)}`).join('\n');
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  const testPath = expect.getState().testPath;
  const file = testPath ? path.relative(process.cwd(), testPath) : 'a test file';
  process.stderr.write(`file-teardown: ${file} left ${left.length} process(es) running; killed:\n${named}\n`);
});
