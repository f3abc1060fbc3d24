/**
 * `npx tsx bench/tools/compare.ts --before REV [--after REV] [--rounds 3]`: the whole benchmark
 * for two versions of the code, run by turns (before, after, before, after, ...) so both see the
 * same machine, and the median of each. On a shared machine one run swings by a quarter: a
 * before/after from single runs says little. REV is a git revision (checked out in a temporary
 * worktree, this checkout's node_modules linked in) or a directory; `--after` defaults to this
 * checkout. BENCH_* variables (e.g. BENCH_SCENARIOS) pass through. Prints a Markdown table.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../test/ops/support/processes.ts';

interface Scenario {
  readonly name: string;
  readonly burst: {
    readonly acceptedPerSecond: number;
    readonly messagesPerSecond: number;
    readonly templatesPerSecond: number;
    readonly latency: { readonly p99Ms: number };
    /** By process (`worker`, `worker#2`, `postgres`, ..., and the load generator, `bench`). */
    readonly cpuMsPerMessage?: Readonly<Record<string, number>>;
  };
  readonly paced: { readonly messagesPerSecond: number; readonly latency: { readonly p99Ms: number } };
  /** Each daemon process's peak RSS over the scenario (VmHWM); older reports may lack it. */
  readonly processes?: ReadonlyArray<{ readonly roles: string; readonly peakRssMiB?: number | undefined }>;
}
interface Report {
  readonly baselines: {
    readonly smtp: { readonly acceptedPerSecond: number };
    readonly mailFloor?: { readonly messagesPerSecond: number };
  };
  readonly scenarios: readonly Scenario[];
  /** `start` on the embedded defaults, idle: a first start, then a restart (runs with PGlite). */
  readonly embeddedIdle?: ReadonlyArray<{ readonly start: string; readonly rssMiB: number }>;
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const before = option('before');
if (!before) {
  process.stderr.write('usage: compare.ts --before REV|DIR [--after REV|DIR] [--rounds N]\n');
  process.exit(64);
}
const rounds = Number(option('rounds') ?? 3);
const worktrees: string[] = [];

/** A directory holding that version of the code, ready to run. */
function treeFor(spec: string | undefined): string {
  if (!spec) return ROOT;
  if (fs.existsSync(path.join(spec, 'package.json'))) return path.resolve(spec);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-compare-'));
  execFileSync('git', ['-C', ROOT, 'worktree', 'add', '--detach', '-f', dir, spec], { stdio: 'ignore' });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  worktrees.push(dir);
  return dir;
}

/**
 * One run of the tree's bench; its results go to a folder of their own (BENCH_RESULTS_DIR), so no
 * run of a comparison overwrites the committed bench/results. A revision older than that variable
 * writes its own worktree's bench/results, read from there.
 */
function runOnce(tree: string): Report {
  const resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-compare-results-'));
  try {
    const run = spawnSync('npx', ['tsx', 'bench/run.ts'], {
      cwd: tree,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, BENCH_RESULTS_DIR: resultsDir },
    });
    if (run.status !== 0) throw new Error(`bench failed in ${tree} (exit ${run.status})`);
    const own = path.join(resultsDir, 'latest.json');
    const file = fs.existsSync(own) ? own : path.join(tree, 'bench/results/latest.json');
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Report;
  } finally {
    fs.rmSync(resultsDir, { recursive: true, force: true });
  }
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const r1 = (n: number) => Math.round(n * 10) / 10;

const trees = { before: treeFor(before), after: treeFor(option('after')) };
const reports: Record<keyof typeof trees, Report[]> = { before: [], after: [] };
try {
  for (let round = 1; round <= rounds; round++) {
    for (const side of ['before', 'after'] as const) {
      process.stderr.write(`round ${round}/${rounds}: ${side} (${trees[side]})\n`);
      reports[side].push(runOnce(trees[side]));
    }
  }
} finally {
  for (const dir of worktrees) {
    execFileSync('git', ['-C', ROOT, 'worktree', 'remove', '--force', dir], { stdio: 'ignore' });
  }
}

const names = [...new Set(reports.after.flatMap((r) => r.scenarios.map((s) => s.name)))];
const pick = (side: keyof typeof trees, name: string, value: (s: Scenario) => number) =>
  reports[side].flatMap((r) => r.scenarios.filter((s) => s.name === name).map(value));
const both = (name: string, value: (s: Scenario) => number) =>
  `${r1(median(pick('before', name, value)))} -> ${r1(median(pick('after', name, value)))}`;
/** CPU per message of the pipeline's processes (the load generator left out), during the burst. */
const pipelineCpu = (s: Scenario) =>
  Object.entries(s.burst.cpuMsPerMessage ?? {})
    .filter(([process]) => process !== 'bench')
    .reduce((sum, [, ms]) => sum + ms, 0);
/** The same, each process on its own: `worker 11.2 -> 9.8, postgres ...`. */
function cpuByProcess(name: string): string {
  const processes = [
    ...new Set(
      reports.after.flatMap((r) =>
        r.scenarios.filter((s) => s.name === name).flatMap((s) => Object.keys(s.burst.cpuMsPerMessage ?? {})),
      ),
    ),
  ].filter((process) => process !== 'bench');
  return processes.map((p) => `${p} ${both(name, (s) => s.burst.cpuMsPerMessage?.[p] ?? 0)}`).join(', ');
}
/** The scenario's largest daemon process at its peak (the embedded one is the only one). */
const peakRss = (s: Scenario) => Math.max(0, ...(s.processes ?? []).map((p) => p.peakRssMiB ?? 0));
/** End-to-end rate over the same run's mail floor (SMTP in, one reply out, nothing between). */
const ofFloor = (side: keyof typeof trees, name: string) =>
  reports[side].flatMap((r) =>
    r.scenarios
      .filter((s) => s.name === name && r.baselines.mailFloor)
      .map((s) => s.burst.messagesPerSecond / r.baselines.mailFloor!.messagesPerSecond),
  );
const idleRuns = (side: keyof typeof trees) =>
  reports[side].map((r) => (r.embeddedIdle ?? []).map((m) => m.rssMiB).join(' / ') || '-').join(', ');
const r3 = (n: number) => Math.round(n * 1000) / 1000;
const lines = [
  `Medians of ${rounds} interleaved runs each; before: ${before}, after: ${option('after') ?? 'this checkout'}.`,
  `Bare smtp-server: ${reports.before.map((r) => r.baselines.smtp.acceptedPerSecond).join(', ')} -> ${reports.after.map((r) => r.baselines.smtp.acceptedPerSecond).join(', ')} msg/s.`,
  '',
  '| scenario | accepted msg/s | end-to-end msg/s | templates/s | burst p99 ms | paced msg/s | paced p99 ms | CPU ms per message | peak RSS MiB | e2e ÷ mail floor | end-to-end msg/s of each run |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...names.map(
    (name) =>
      `| ${name} | ${both(name, (s) => s.burst.acceptedPerSecond)} | ${both(name, (s) => s.burst.messagesPerSecond)} | ${both(name, (s) => s.burst.templatesPerSecond)} | ${both(name, (s) => s.burst.latency.p99Ms)} | ${both(name, (s) => s.paced.messagesPerSecond)} | ${both(name, (s) => s.paced.latency.p99Ms)} | ${both(name, pipelineCpu)} | ${both(name, peakRss)} | ${r3(median(ofFloor('before', name)))} -> ${r3(median(ofFloor('after', name)))} | ${pick('before', name, (s) => s.burst.messagesPerSecond).join(', ')} -> ${pick('after', name, (s) => s.burst.messagesPerSecond).join(', ')} |`,
  ),
  '',
  'CPU ms per message during the burst, by process (medians; the load generator left out):',
  ...names.map((name) => `- ${name}: ${cpuByProcess(name)}`),
  '',
  ...(reports.after.some((r) => r.embeddedIdle?.length)
    ? [
        '',
        `Embedded \`start\` idle RSS of each run, MiB (first start / restart): ${idleRuns('before')} -> ${idleRuns('after')}`,
      ]
    : []),
  '',
  'Peak RSS of each run, MiB (the largest daemon process):',
  ...names.map(
    (name) =>
      `- ${name}: ${pick('before', name, peakRss).join(', ')} -> ${pick('after', name, peakRss).join(', ')}`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
