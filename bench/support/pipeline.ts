/**
 * One benchmark scenario: the real daemon as child processes (`hostmasterd start --role ...`)
 * on a fresh database with the demo registry, a shared redis-server, the reply sink in this
 * process; a warm-up, then a burst (N messages at once: throughput) and a paced run (a fixed
 * rate: latency under a steady load).
 *
 * PGlite lives inside one process and cannot be shared, so its scenario is the embedded shape:
 * ingress and worker in one process, with the node flags and malloc settings `npm start` gives
 * the daemon (scripts/daemon-node-flags.mjs). PostgreSQL runs an ingress process and 1 or 2 worker processes.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { DAEMON_NODE_FLAGS, daemonEnvironment } from '../../scripts/daemon-node-flags.mjs';
import { LAUNCHER, ROOT, type RoleProcess, spawnRole } from '../../test/ops/support/processes.ts';
import { bulkPlan } from '../../test/ops/support/traffic.ts';
import { freePort } from '../../test/support/postgres-server.ts';
import { type CpuGroup, countCpu, postmasterPid, withChildren } from './cpu.ts';
import { type OutgoingMessage, type ReplySink, sendAll, type Timing } from './load.ts';
import type { BenchPostgres } from './postgres.ts';
import { type Latency, latency, peakRssMiB, round } from './stats.ts';

export interface ScenarioSpec {
  readonly name: string;
  readonly backend: 'pglite' | 'postgres';
  /** Worker processes (PGlite: always 1, the same process as the ingress). */
  readonly workers: number;
}

export interface PhaseResult {
  readonly messages: number;
  readonly templates: number;
  readonly errors: number;
  /**
   * Accepted messages whose reply had not arrived when the wait ended (its limit, or no reply for
   * REPLY_STALL_MS): counted in the latencies at the time waited, a lower bound.
   */
  readonly missing: number;
  /** 250s per second at the ingress. */
  readonly acceptedPerSecond: number;
  /** Messages answered per second, first send to last reply. */
  readonly messagesPerSecond: number;
  readonly templatesPerSecond: number;
  /** End of DATA to reply received. */
  readonly latency: Latency;
  /** Offered rate (paced runs). */
  readonly offeredPerSecond?: number;
  /** CPU milliseconds per message, by process group (ingress, worker, postgres, redis, bench). */
  readonly cpuMsPerMessage: Readonly<Record<string, number>>;
}

export interface ScenarioResult {
  readonly name: string;
  readonly backend: 'pglite' | 'postgres';
  readonly workerProcesses: number;
  readonly workerConcurrency: number;
  readonly burst: PhaseResult;
  readonly paced: PhaseResult;
  readonly processes: ReadonlyArray<{ readonly roles: string; readonly peakRssMiB: number | undefined }>;
}

export interface ScenarioContext {
  readonly redisUrl: string;
  readonly postgres: BenchPostgres | undefined;
  readonly sink: ReplySink;
  /** Distinct per scenario: keeps Message-IDs and address ranges apart. */
  readonly runBase: number;
  readonly burstMessages: number;
  /** Sent before the burst, not measured: the processes' code compiled, their connections open. */
  readonly warmupMessages: number;
  readonly pacedRate: number;
  readonly pacedSeconds: number;
  readonly connections: number;
  readonly workerConcurrency: number | undefined;
  /** Extra node flags for the daemon processes (e.g. --cpu-prof). */
  readonly nodeFlags: readonly string[];
  readonly log: (line: string) => void;
  /** The Redis server's process, for its CPU time. */
  readonly redisPid: () => number | undefined;
}

/** `count` bulk messages of run `run` (test/ops/support/traffic.ts), as the client sends them. */
export function toOutgoing(run: number, count: number): OutgoingMessage[] {
  return bulkPlan(count, { run }).messages.map((m) => ({
    messageId: m.messageId,
    raw: m.raw,
    templates: m.kinds.length,
  }));
}

async function runCommand(args: string[], env: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, [LAUNCHER, ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`hostmasterd ${args.join(' ')} exited with ${code}: ${stderr}`);
}

/** A phase's wait for replies ends early once none arrived for this long: the pipeline stalled. */
const REPLY_STALL_MS = 120_000;

async function phase(
  ctx: ScenarioContext,
  smtpPort: number,
  messages: readonly OutgoingMessage[],
  rate: number | undefined,
  cpuGroups: readonly CpuGroup[],
): Promise<PhaseResult> {
  const cpu = countCpu(cpuGroups);
  const start = performance.now();
  const timings: Timing[] = await sendAll(messages, {
    port: smtpPort,
    connections: ctx.connections,
    ...(rate ? { ratePerSecond: rate } : {}),
  });
  const accepted = timings.filter((t) => !t.error);
  const lastAccepted = Math.max(...accepted.map((t) => t.accepted ?? 0));
  const { missing } = await ctx.sink.repliesWithin(
    accepted.map((t) => t.messageId),
    {
      timeoutMs: 120_000 + messages.length * 200,
      stallMs: REPLY_STALL_MS,
      progressEveryMs: 30_000,
      progress: (arrived, wanted) => ctx.log(`    ${arrived} of ${wanted} replies so far`),
    },
  );
  const waitEnded = performance.now();
  if (missing > 0) ctx.log(`    ${missing} of ${accepted.length} replies missing when the wait ended`);
  const replied = accepted.map((t) => ({ ...t, replied: ctx.sink.replies.get(t.messageId) }));
  const arrived = replied.flatMap((t) => (t.replied === undefined ? [] : [t.replied]));
  const lastReply = arrived.length > 0 ? Math.max(...arrived) : waitEnded;
  const cpuMsPerMessage = cpu.stop(accepted.length);
  const templates = accepted.reduce((sum, t) => sum + t.templates, 0);
  return {
    messages: messages.length,
    templates,
    errors: timings.length - accepted.length,
    acceptedPerSecond: round((accepted.length * 1000) / (lastAccepted - start)),
    missing,
    messagesPerSecond: round(((accepted.length - missing) * 1000) / (lastReply - start)),
    templatesPerSecond: round((templates * 1000) / (lastReply - start)),
    latency: latency(
      replied.map((t) => (t.replied ?? waitEnded) - (t.endOfData ?? t.accepted ?? t.sent ?? 0)),
    ),
    ...(rate ? { offeredPerSecond: rate } : {}),
    cpuMsPerMessage,
  };
}

export async function runScenario(spec: ScenarioSpec, ctx: ScenarioContext): Promise<ScenarioResult> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostmasterd-bench-'));
  const env: Record<string, string> = {
    REDIS_URL: ctx.redisUrl,
    REPLY_SMTP_URL: `smtp://127.0.0.1:${ctx.sink.port}`,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    MAX_CONNECTIONS: '1000',
    RATE_PER_SENDER_PER_HOUR: '100000000',
    RATE_PER_CONNECTION: '100000000',
    ...(ctx.workerConcurrency ? { WORKER_CONCURRENCY: String(ctx.workerConcurrency) } : {}),
    // Each worker process's time by phase of a message, counted after the warm-up (one worker
    // takes all of it; with two, each counts from its share of it).
    ...(process.env['BENCH_PHASE_TIMES']
      ? {
          HOSTMASTERD_PHASE_TIMES: path.resolve(process.env['BENCH_PHASE_TIMES']),
          HOSTMASTERD_PHASE_TIMES_AFTER: String(Math.ceil(ctx.warmupMessages / spec.workers)),
        }
      : {}),
  };
  if (spec.backend === 'postgres') {
    if (!ctx.postgres) throw new Error('no PostgreSQL server');
    env['DATABASE_URL'] = await ctx.postgres.createDatabase(`bench_${spec.name.replace(/\W/g, '_')}`);
  }
  const processes: RoleProcess[] = [];
  try {
    ctx.log(`  ${spec.name}: loading the demo registry`);
    await runCommand(['demo'], env);
    const redis = new Redis(ctx.redisUrl);
    await redis.flushall();
    redis.disconnect();

    const smtpPort = await freePort();
    const launch = async (roles: string[]) => {
      const processEnv = { ...env, SMTP_PORT: String(smtpPort), CONSOLE_PORT: String(await freePort()) };
      const started = spawnRole({
        roles,
        env: spec.backend === 'pglite' ? daemonEnvironment(processEnv) : processEnv,
        // The embedded shape runs as `npm start` runs it, with its node flags.
        nodeFlags: spec.backend === 'pglite' ? [...DAEMON_NODE_FLAGS, ...ctx.nodeFlags] : ctx.nodeFlags,
        quiet: true,
      });
      processes.push(started);
      return started;
    };
    if (spec.backend === 'pglite') {
      await launch(['ingress', 'worker']);
    } else {
      await launch(['ingress']);
      for (let i = 0; i < spec.workers; i++) await launch(['worker']);
    }
    await Promise.all(processes.map((p) => p.ready(60_000)));
    const postgresDataDir = spec.backend === 'postgres' ? ctx.postgres?.dataDir : undefined;
    const cpuGroups: CpuGroup[] = [
      ...processes.map((p, i) => ({
        name:
          processes.filter((q) => q.roles.join('+') === p.roles.join('+')).length > 1
            ? `${p.roles.join('+')}#${i}`
            : p.roles.join('+'),
        pids: () => (p.child.pid === undefined ? [] : [p.child.pid]),
      })),
      ...(postgresDataDir
        ? [{ name: 'postgres', pids: withChildren(() => postmasterPid(postgresDataDir)) }]
        : []),
      { name: 'redis', pids: () => [ctx.redisPid()].filter((pid) => pid !== undefined) },
      // The load generator and the reply sink run in this process.
      { name: 'bench', pids: () => [process.pid] },
    ];

    ctx.log(`  ${spec.name}: warm-up`);
    await phase(ctx, smtpPort, toOutgoing(ctx.runBase, ctx.warmupMessages), undefined, cpuGroups);
    ctx.log(`  ${spec.name}: burst of ${ctx.burstMessages} messages`);
    const burst = await phase(
      ctx,
      smtpPort,
      toOutgoing(ctx.runBase + 1, ctx.burstMessages),
      undefined,
      cpuGroups,
    );
    const pacedCount = Math.round(ctx.pacedRate * ctx.pacedSeconds);
    ctx.log(`  ${spec.name}: ${pacedCount} messages paced at ${ctx.pacedRate}/s`);
    const paced = await phase(
      ctx,
      smtpPort,
      toOutgoing(ctx.runBase + 2, pacedCount),
      ctx.pacedRate,
      cpuGroups,
    );
    return {
      name: spec.name,
      backend: spec.backend,
      workerProcesses: spec.workers,
      workerConcurrency: ctx.workerConcurrency ?? 4,
      burst,
      paced,
      processes: processes.map((p) => ({ roles: p.roles.join('+'), peakRssMiB: peakRssMiB(p.child.pid) })),
    };
  } finally {
    await Promise.all(processes.map((p) => p.stop(20_000)));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
