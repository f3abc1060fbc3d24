/**
 * HOSTMASTERD_PHASE_TIMES=FILE: where a worker process's main-thread time goes, by phase of a
 * message, written to FILE when the process stops (a measuring aid for the benchmark; off, every
 * entry point below is a boolean test).
 *
 * CPU profiles have misled at this grain (a sampled frame is charged for what the sampler's own
 * cost and inlining put there), so this counts with clocks instead. Every callback the event loop
 * runs (a socket's data, a timer, a promise's continuation) is one slice, timed with
 * performance.now() and charged to the phase it belongs to: the phase named (AsyncLocalStorage)
 * where the resource that runs it was made, so a query's continuation is charged to the step that
 * awaited it, and a socket's data to whoever opened the socket. Synchronous calls timed inside a
 * slice (pg's encoding, drizzle's SQL building, pino's lines) are charged to themselves and taken
 * out of the slice around them. The main thread's total, and every other thread's (the reading
 * threads, V8's and libuv's), come from /proc, so the table sums to the process's CPU; what the
 * slices leave out of the main thread's (the hooks' own cost, native work outside any callback)
 * is a row of its own. Counting starts after the first `skip` messages (the warm-up, when the
 * code is still being compiled).
 */
import { AsyncLocalStorage, createHook } from 'node:async_hooks';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { PgDialect } from 'drizzle-orm/pg-core';

interface Tally {
  ms: number;
  slices: number;
}

/** Not in any named phase: made before counting began, or by code not labelled. */
const UNLABELLED = 'other: unlabelled (timers, sweeper, health, startup resources)';

const label = new AsyncLocalStorage<string>();
let on = false;
let counting = false;
let target = '';
let skip = 0;
let messages = 0;
const tallies = new Map<string, Tally>();
/** The open slices, innermost last: time is charged to the innermost (exclusive time). */
const open: string[] = [];
let mark = 0;
let gcMs = 0;
let gcCount = 0;
/** The threads there before the daemon started anything (V8's platform threads, libuv's). */
let threadsAtStart = new Set<string>();
let windowStart: { readonly at: number; readonly threads: ReadonlyMap<string, number> } | undefined;

function tally(phase: string): Tally {
  let found = tallies.get(phase);
  if (!found) {
    found = { ms: 0, slices: 0 };
    tallies.set(phase, found);
  }
  return found;
}

/** The process's CPU time, µs (all threads: getrusage is precise, /proc's per-thread figures tick). */
function cpuNow(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

let cpuMark = 0;

/**
 * Charges the time since the last mark to the innermost open slice: the lesser of the wall time
 * (which counts the time the thread was preempted, e.g. by PostgreSQL woken by our write) and the
 * process's CPU time (which counts what other threads did meanwhile). Both bound the main
 * thread's CPU from above; no clock of Node 20 gives a thread's own.
 */
function charge(): void {
  const now = performance.now();
  const cpu = cpuNow();
  const top = open[open.length - 1];
  if (top !== undefined && counting) tally(top).ms += Math.min(now - mark, (cpu - cpuMark) / 1000);
  mark = now;
  cpuMark = cpu;
}

function openSlice(phase: string): void {
  charge();
  open.push(phase);
  if (counting) tally(phase).slices++;
}

function closeSlice(): void {
  charge();
  open.pop();
}

/** `fn` (and what it starts asynchronously) charged to `phase`. */
export function inPhase<T>(phase: string, fn: () => T): T {
  if (!on) return fn();
  openSlice(phase);
  try {
    return label.run(phase, fn);
  } finally {
    closeSlice();
  }
}

/** A synchronous call charged to `phase`, taken out of the slice it runs in. */
export function timedSync<T>(phase: string, fn: () => T): T {
  if (!on) return fn();
  openSlice(phase);
  try {
    return fn();
  } finally {
    closeSlice();
  }
}

/** A message finished: counting starts after the first `skip`. */
export function messageCounted(): void {
  if (!on) return;
  messages++;
  if (messages === skip) beginWindow();
}

function beginWindow(): void {
  tallies.clear();
  gcMs = 0;
  gcCount = 0;
  windowStart = { at: performance.now(), threads: threadCpuMs() };
  counting = true;
}

/** CPU ms of each of this process's threads (utime + stime from /proc, 10 ms ticks). */
function threadCpuMs(): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14 and 15 of stat (utime, stime), counted from the state (field 3) here.
      ticks.set(tid, (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ticks;
}

/**
 * Turns the counting on (before the database and Redis connections are opened, so their
 * sockets are labelled) and patches the drivers' hot calls to be timed on their own.
 */
export function startPhaseTimes(file: string, skipMessages: number): void {
  if (on) return;
  on = true;
  target = file;
  skip = skipMessages;
  threadsAtStart = new Set(threadCpuMs().keys());
  const slices: string[] = [];
  createHook({
    before() {
      const phase = label.getStore() ?? UNLABELLED;
      slices.push(phase);
      openSlice(phase);
    },
    after() {
      if (slices.pop() !== undefined) closeSlice();
    },
  }).enable();
  new PerformanceObserver((list) => {
    if (!counting) return;
    for (const entry of list.getEntries()) {
      gcMs += entry.duration;
      gcCount++;
    }
  }).observe({ entryTypes: ['gc'] });
  patchDrivers();
  if (skip === 0) beginWindow();
}

type Method = (this: unknown, ...args: unknown[]) => unknown;

function timeMethod(prototype: Record<string, unknown>, name: string, phase: string): void {
  const original = prototype[name] as Method | undefined;
  if (typeof original !== 'function') throw new Error(`phase times: no method ${name} to time`);
  prototype[name] = function timed(this: unknown, ...args: unknown[]) {
    return timedSync(phase, () => original.apply(this, args));
  };
}

function labelMethod(prototype: Record<string, unknown>, name: string, phase: string): void {
  const original = prototype[name] as Method | undefined;
  if (typeof original !== 'function') throw new Error(`phase times: no method ${name} to label`);
  prototype[name] = function labelled(this: unknown, ...args: unknown[]) {
    return inPhase(phase, () => original.apply(this, args));
  };
}

interface PrototypeHolder {
  readonly prototype: Record<string, unknown>;
}

function patchDrivers(): void {
  const require = createRequire(import.meta.url);
  const pg = require('pg') as { Client: PrototypeHolder; Query: PrototypeHolder };
  // A connection's socket (its protocol parsing and dispatch) is pg's, whoever opened it.
  labelMethod(pg.Client.prototype, 'connect', 'pg: protocol (socket reads, messages parsed)');
  timeMethod(pg.Client.prototype, 'query', 'pg: query sent (parameters encoded, written)');
  timeMethod(pg.Query.prototype, 'submit', 'pg: query sent (parameters encoded, written)');
  timeMethod(pg.Query.prototype, 'handleRowDescription', 'pg: row descriptions');
  timeMethod(pg.Query.prototype, 'handleDataRow', 'pg: data rows decoded');
  // The outbox's relay: nodemailer's composing and its pooled SMTP connections (opened by a send).
  const nodemailer = require('nodemailer') as { createTransport(options: object): object };
  const mailer = Object.getPrototypeOf(nodemailer.createTransport({ jsonTransport: true })) as Record<
    string,
    unknown
  >;
  labelMethod(mailer, 'sendMail', 'outbox: nodemailer (compose, SMTP to the relay)');
  timeMethod(
    PgDialect.prototype as unknown as Record<string, unknown>,
    'sqlToQuery',
    'drizzle: SQL text built',
  );
}

/** A logger whose lines are timed as `logging (pino)` (its writes to stdout are synchronous). */
export function timeLogger<L extends object>(logger: L): L {
  if (!on) return logger;
  const methods = logger as unknown as Record<string, unknown>;
  for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace']) {
    const original = methods[level] as Method | undefined;
    if (typeof original !== 'function') continue;
    methods[level] = function timed(this: unknown, ...args: unknown[]) {
      return timedSync('logging (pino lines)', () => original.apply(this, args));
    };
  }
  return logger;
}

const r2 = (n: number) => (Math.round(n * 100) / 100).toFixed(2);

/** Writes the table (appended to the file, one section per process) and stops counting. */
export function writePhaseTimes(): void {
  if (!on) return;
  if (!windowStart) {
    fs.appendFileSync(
      target,
      `## worker process ${process.pid}: ${messages} messages, none counted (after ${skip})\n\n`,
    );
    return;
  }
  charge();
  counting = false;
  const end = threadCpuMs();
  const counted = messages - skip;
  const pid = String(process.pid);
  const mainMs = (end.get(pid) ?? 0) - (windowStart.threads.get(pid) ?? 0);
  const others = [...end]
    .filter(([tid]) => tid !== pid)
    .map(([tid, ms]) => ({
      tid,
      ms: ms - (windowStart?.threads.get(tid) ?? 0),
      born: !windowStart?.threads.has(tid),
    }))
    .filter((t) => t.ms > 0)
    .sort((a, b) => b.ms - a.ms);
  const othersMs = others.reduce((sum, t) => sum + t.ms, 0);
  const rows = [...tallies].sort((a, b) => b[1].ms - a[1].ms);
  const sliced = rows.reduce((sum, [, t]) => sum + t.ms, 0);
  const per = (ms: number) => r2(ms / Math.max(1, counted));
  const lines = [
    `## worker process ${pid}: ${counted} messages after ${skip}, ${r2((performance.now() - windowStart.at) / 1000)} s`,
    '',
    '| phase | CPU ms per message | slices per message |',
    '|---|---|---|',
    ...rows.map(([phase, t]) => `| ${phase} | ${per(t.ms)} | ${r2(t.slices / Math.max(1, counted))} |`),
    `| main thread, outside the timed slices (hooks, native work between callbacks) | ${per(mainMs - sliced)} | |`,
    `| **main thread (/proc)** | **${per(mainMs)}** | |`,
    ...others.map(
      (t) =>
        `| thread ${t.tid} (${threadsAtStart.has(t.tid) ? 'there at start: V8 platform, libuv' : 'started later: a reading thread, libuv pool'}) | ${per(t.ms)} | |`,
    ),
    `| **process (/proc, all threads)** | **${per(mainMs + othersMs)}** | |`,
    `| of the main thread: garbage collection (${r2(gcCount / Math.max(1, counted))} pauses) | ${per(gcMs)} | |`,
    '',
  ];
  fs.appendFileSync(target, `${lines.join('\n')}\n`);
}
