/**
 * CLI cold start: the CPU of one `hostmasterd lint FILE` and one `hostmasterd submit < FILE`
 * (what an MTA pays per message piped in) against a bare `node -e ''`, in the same run,
 * interleaved, median of several runs each. CPU is the child's user + system time as its parent
 * shell collects it once it has exited (bash's `times`, to the millisecond): start-up, the
 * command and the teardown after exit, which a process cannot count itself (measured from inside,
 * a bare node shows a third of it). Peak RSS is reported by each process as it exits
 * (bench/support/report-cpu.cjs, preloaded into all of them alike).
 *
 * `submit` is measured on both paths an MTA takes:
 *   - embedded defaults with the daemon running: the database is the daemon's, so the message
 *     is handed to its SMTP ingress (here an SMTP sink holding the same port, and the database's
 *     lock held by this process: what submit sees of a running daemon);
 *   - PostgreSQL and Redis (DATABASE_URL, REDIS_URL) with a daemon listening (a worker alone, or
 *     an ingress: submit cannot tell them apart): the row committed with a NOTIFY, the listener
 *     adding the job (here a connection under the listener's name, listening: what submit sees of
 *     a running worker or ingress);
 *   - PostgreSQL and Redis with no daemon running: the same row and NOTIFY, heard by nobody (the
 *     first ingress or worker to start queues it); submit says so on stderr.
 * Each run sends a message of its own (distinct Message-ID).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { SUBMISSION_CHANNEL, SUBMISSION_LISTENER_NAME } from '../../src/shared/index.ts';
import { ROOT } from '../../test/ops/support/processes.ts';
import type { ReplySink } from './load.ts';
import { percentile, round } from './stats.ts';

const LAUNCHER = path.join(ROOT, 'bin/hostmasterd');
const REPORTER = path.join(ROOT, 'bench/support/report-cpu.cjs');
const MESSAGE = fs.readFileSync(path.join(ROOT, 'test/fixtures/mail/crlf-net-mod-5.0.eml'), 'latin1');

interface Sample {
  readonly cpuMs: number;
  readonly peakRssMiB: number;
}

export interface CliCommandResult {
  readonly name: string;
  /** Median CPU milliseconds (user + system) of one run. */
  readonly cpuMs: number;
  /** cpuMs ÷ the bare `node -e ''` of the same run. */
  readonly vsBareNode: number;
  readonly peakRssMiB: number;
}

export interface CliStartResult {
  readonly runs: number;
  readonly bareNodeCpuMs: number;
  readonly commands: readonly CliCommandResult[];
}

interface CliCase {
  readonly name: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** stdin for run i (submit). */
  readonly stdin?: (i: number) => string;
  /** Done before each run (e.g. what a running ingress looks like to submit). */
  readonly before?: () => Promise<void>;
}

/**
 * bash runs the command, then prints the CPU times of its children: `0m0.048s 0m0.019s` (user,
 * system). stdin comes from a file, as from an MTA's pipe: given a socket (what Node's own
 * `stdio: 'pipe'` makes), even a bare `node -e ''` spends 100 ms more, which would flatter every ratio.
 */
const TIMED = 'in=$1; err=$2; shift 2; "$@" <"$in" >/dev/null 2>"$err"; code=$?; times; exit $code';
const seconds = (text: string) => {
  const m = /(\d+)m([\d.]+)s/.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
};

async function measureOnce(c: CliCase, run: number, work: string): Promise<Sample> {
  await c.before?.();
  const input = path.join(work, 'stdin');
  const errors = path.join(work, 'stderr');
  fs.writeFileSync(input, c.stdin?.(run) ?? '');
  const child = spawn(
    'bash',
    ['-c', TIMED, 'bash', input, errors, process.execPath, '-r', REPORTER, ...c.args],
    {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? os.tmpdir(), ...c.env },
      stdio: ['ignore', 'pipe', 'ignore', 'pipe'],
    },
  );
  let report = '';
  let times = '';
  (child.stdio[3] as NodeJS.ReadableStream).setEncoding('utf8').on('data', (chunk: string) => {
    report += chunk;
  });
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    times += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`${c.name} exited with ${code}: ${fs.readFileSync(errors, 'utf8').trim()}`);
  const usage = JSON.parse(report) as { maxRssKiB: number };
  // The second line: the children's (the command's) user and system time.
  const [user, system] = (times.trim().split('\n')[1] ?? '').split(' ').map(seconds);
  if (user === undefined || system === undefined || Number.isNaN(user + system)) {
    throw new Error(`${c.name}: no CPU times from bash: ${JSON.stringify(times)}`);
  }
  return { cpuMs: (user + system) * 1000, peakRssMiB: usage.maxRssKiB / 1024 };
}

/** A message of its own for run i: the same templates, another Message-ID. */
function messageFor(i: number): string {
  return MESSAGE.replace(
    /^Message-ID: <[^>]+>/im,
    `Message-ID: <cli-bench-${Date.now()}-${i}@demo-isp.example>`,
  );
}

export async function measureCliStart(options: {
  readonly runs: number;
  /** An SMTP server standing in for the running daemon's ingress. */
  readonly daemonSmtp: ReplySink;
  /** A migrated database and a Redis, for submit on PostgreSQL (omitted: that path is not measured). */
  readonly postgres?: { readonly databaseUrl: string; readonly redisUrl: string };
  readonly log: (line: string) => void;
}): Promise<CliStartResult> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-cli-bench-'));
  // The embedded database's lock, held by a live process (this one), as a running daemon holds it.
  fs.mkdirSync(path.join(dataDir, 'pglite'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'pglite', '.hostmasterd.lock'), String(process.pid));
  const fixture = path.join(ROOT, 'test/fixtures/mail/crlf-net-mod-5.0.eml');
  // A daemon listening, or not: one connection whose name says which (submit looks in pg_stat_activity).
  const listener = options.postgres
    ? new pg.Client({ connectionString: options.postgres.databaseUrl })
    : undefined;
  if (listener) {
    await listener.connect();
    await listener.query(`listen ${SUBMISSION_CHANNEL}`);
  }
  const listenerNamed = (name: string) => async () => {
    await listener?.query(`set application_name to '${name}'`);
  };
  const cases: CliCase[] = [
    { name: "node -e ''", args: ['-e', ''] },
    { name: 'lint FILE.eml', args: [LAUNCHER, 'lint', fixture] },
    {
      name: 'submit (embedded, daemon running)',
      args: [LAUNCHER, 'submit'],
      env: { DATA_DIR: dataDir, SMTP_PORT: String(options.daemonSmtp.port) },
      stdin: messageFor,
    },
    ...(options.postgres
      ? [
          ...[
            { name: 'submit (PostgreSQL + Redis, a worker listening)', listener: SUBMISSION_LISTENER_NAME },
            { name: 'submit (PostgreSQL + Redis, no daemon running)', listener: 'bench' },
          ].map(({ name, listener }) => ({
            name,
            args: [LAUNCHER, 'submit'],
            env: {
              DATA_DIR: dataDir,
              DATABASE_URL: options.postgres!.databaseUrl,
              REDIS_URL: options.postgres!.redisUrl,
            },
            stdin: messageFor,
            before: listenerNamed(listener),
          })),
        ]
      : []),
  ];
  try {
    const samples = new Map<string, Sample[]>(cases.map((c) => [c.name, []]));
    // One warm-up round (the file system cache), then interleaved rounds.
    for (const c of cases) await measureOnce(c, -1, dataDir);
    for (let run = 0; run < options.runs; run++) {
      for (const c of cases) samples.get(c.name)!.push(await measureOnce(c, run, dataDir));
    }
    const median = (name: string, pick: (s: Sample) => number) =>
      percentile(samples.get(name)!.map(pick), 50);
    const bare = median(cases[0]!.name, (s) => s.cpuMs);
    const commands = cases.map((c) => {
      const cpuMs = median(c.name, (s) => s.cpuMs);
      return {
        name: c.name,
        cpuMs: round(cpuMs),
        vsBareNode: round(cpuMs / bare, 2),
        peakRssMiB: round(median(c.name, (s) => s.peakRssMiB)),
      };
    });
    for (const c of commands) options.log(`  ${c.name}: ${c.cpuMs} ms CPU, ${c.vsBareNode}x bare node`);
    return { runs: options.runs, bareNodeCpuMs: round(bare), commands };
  } finally {
    await listener?.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
