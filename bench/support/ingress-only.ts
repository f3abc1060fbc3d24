/**
 * The ingress alone, measured: how fast it answers 250 with a durable PostgreSQL and a real
 * redis-server, and where each message's time goes. Not part of `npm run bench` (which measures
 * the whole pipeline); this is the tool for working on the accept path.
 *
 *   npx tsx bench/support/ingress-only.ts [--messages 600] [--connections 8] [--rounds 3]
 *       [--tree label=/path/to/a/checkout ...] [--node-flag --cpu-prof ...]
 *       [--profile DIR]   (a CPU profile of each measured run, not start-up)
 *       [--pool-size N]   (the ingress's PostgreSQL pool; default: openDatabase's)
 *
 * Each `--tree` is a source tree (default: this one) whose `src/` the ingress is loaded from, so
 * two versions can be compared A/B, interleaved round by round on the same servers (the CPU is
 * shared with other work on this machine: only interleaved runs compare fairly). A tree needs
 * `src/`, `drizzle/`, `package.json` and a `node_modules` (a symlink will do).
 *
 * Per round and tree: a fresh database, the ingress in a child process (its own event loop, as in
 * production), `--messages` bulk messages over a pooled nodemailer transport. The child times its
 * own steps by wrapping them (timestamps, not guesses): every SenderRate method, the queue's
 * enqueue and BullMQ add, and every SQL statement on the pool; plus its CPU time and event-loop delay.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { Session } from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bulkPlan } from '../../test/ops/support/traffic.ts';
import { freePort } from '../../test/support/postgres-server.ts';
import { startRedis } from '../../test/support/redis-server.ts';
import { type OutgoingMessage, sendAll } from './load.ts';
import { startBenchPostgres } from './postgres.ts';
import { percentile, round } from './stats.ts';

const HERE = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(HERE), '../..');

/** What the child reports: per step, every duration (ms); CPU and event-loop figures. */
interface ChildReport {
  readonly steps: Record<string, number[]>;
  readonly cpuMs: number;
  readonly loopDelayP50Ms: number;
  readonly loopDelayP99Ms: number;
}

interface RoundResult {
  readonly tree: string;
  readonly acceptedPerSecond: number;
  readonly errors: number;
  readonly clientP50Ms: number;
  readonly clientP99Ms: number;
  readonly cpuMsPerMessage: number;
  readonly report: ChildReport;
}

function argValues(name: string): string[] {
  const values: string[] = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) if (argv[i] === `--${name}` && argv[i + 1]) values.push(argv[i + 1]!);
  return values;
}

function argNumber(name: string, fallback: number): number {
  const value = argValues(name)[0];
  return value === undefined ? fallback : Number(value);
}

// ---------------------------------------------------------------- child: the instrumented ingress

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

async function serve(tree: string): Promise<void> {
  const load = async <T>(relative: string): Promise<T> =>
    (await import(pathToFileURL(path.join(tree, relative)).href)) as T;
  const { loadConfig } = await load<typeof import('../../src/config/index.ts')>('src/config/index.ts');
  const { openDatabase } = await load<typeof import('../../src/db/index.ts')>('src/db/index.ts');
  const queueRoom = await load<typeof import('../../src/queue/index.ts')>('src/queue/index.ts');
  const ingressRoom = await load<typeof import('../../src/ingress/index.ts')>('src/ingress/index.ts');
  const { default: pino } = await import('pino');

  const steps: Record<string, number[]> = {};
  const note = (step: string, ms: number) => {
    const list = steps[step] ?? [];
    steps[step] = list;
    list.push(ms);
  };
  /** Replaces `target[name]` by a copy that records how long each call took (until its promise settles). */
  const timed = (target: Record<string, unknown>, name: string, step: string) => {
    const original = target[name] as AnyFunction;
    target[name] = function (this: unknown, ...args: unknown[]) {
      const start = performance.now();
      const result = original.apply(this, args);
      if (result instanceof Promise) {
        return result.finally(() => note(step, performance.now() - start));
      }
      note(step, performance.now() - start);
      return result;
    };
  };
  const rateProto = ingressRoom.SenderRate.prototype as unknown as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(rateProto)) {
    if (name !== 'constructor' && typeof rateProto[name] === 'function')
      timed(rateProto, name, `rate.${name}`);
  }
  timed(
    queueRoom.SubmissionQueue.prototype as unknown as Record<string, unknown>,
    'enqueue',
    'queue.enqueue',
  );
  // smtp-server copies the handlers from its options onto the instance: a setter on the prototype
  // catches them, to time MAIL FROM (call to answer) and DATA (end of the message to the answer).
  const { SMTPServer } = await import('smtp-server');
  const timeHandler = (handler: 'onMailFrom' | 'onData', step: string) => {
    const slot = Symbol(handler);
    Object.defineProperty(SMTPServer.prototype, handler, {
      configurable: true,
      get(this: Record<symbol, unknown>) {
        return this[slot];
      },
      set(this: Record<symbol, unknown>, original: AnyFunction) {
        this[slot] = function (this: unknown, ...args: unknown[]) {
          let start = performance.now();
          const first = args[0] as { once?: (event: string, listener: () => void) => void };
          if (handler === 'onData') first.once?.('end', () => (start = performance.now()));
          const callback = args[2] as AnyFunction;
          args[2] = function (this: unknown, ...answer: unknown[]) {
            note(step, performance.now() - start);
            return callback.apply(this, answer);
          };
          return original.apply(this, args);
        };
      },
    });
  };
  timeHandler('onMailFrom', 'smtp.mailFrom');
  timeHandler('onData', 'smtp.data');

  const config = loadConfig({
    DATABASE_URL: process.env['BENCH_DATABASE_URL'],
    REDIS_URL: process.env['BENCH_REDIS_URL'],
    SMTP_PORT: process.env['BENCH_SMTP_PORT'],
    DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'hm-ingress-only-')),
    MAX_CONNECTIONS: '1000',
    RATE_PER_SENDER_PER_HOUR: '100000000',
    RATE_PER_CONNECTION: '100000000',
  });
  const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false }));
  const poolSize = Number(process.env['BENCH_POOL_SIZE'] ?? 0);
  const database = await openDatabase(config.database, poolSize ? { poolSize } : {});
  const pool = (database.db as unknown as { $client: Record<string, unknown> }).$client;
  const poolQuery = pool['query'] as AnyFunction;
  pool['query'] = function (this: unknown, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === 'string' ? first : String((first as { text?: string }).text ?? '');
    const step = `sql.${text.trim().split(/\s+/, 1)[0]?.toLowerCase() ?? '?'}`;
    const start = performance.now();
    const result = poolQuery.apply(this, args) as Promise<unknown>;
    return result.finally(() => note(step, performance.now() - start));
  };
  const queue = new queueRoom.SubmissionQueue(config.redis, { logger });
  await queue.ready();
  timed(queue.queue as unknown as Record<string, unknown>, 'add', 'bullmq.add');
  const ingress = await ingressRoom.startIngress({ config, db: database.db, queue, logger });

  // --profile DIR: a CPU profile of the measured run only (not start-up, not the warm-up).
  const profileDir = process.env['BENCH_PROFILE_DIR'];
  const inspector = profileDir ? new Session() : undefined;
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      inspector!.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))),
    );
  if (inspector) {
    inspector.connect();
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 200 });
  }
  const loop = monitorEventLoopDelay({ resolution: 10 });
  let cpuStart = process.cpuUsage();
  process.stdout.write(`PORT ${ingress.port}\n`);
  process.stdin.setEncoding('utf8');
  for await (const line of process.stdin) {
    const command = String(line).trim();
    if (command.includes('start')) {
      for (const key of Object.keys(steps)) delete steps[key];
      loop.reset();
      loop.enable();
      cpuStart = process.cpuUsage();
      if (inspector) await post('Profiler.start');
      process.stdout.write('STARTED\n');
    }
    if (command.includes('report')) {
      loop.disable();
      const cpu = process.cpuUsage(cpuStart);
      if (inspector && profileDir) {
        const { profile } = (await post('Profiler.stop')) as { profile: object };
        const file = path.join(profileDir, `ingress-${path.basename(tree)}-${Date.now()}.cpuprofile`);
        fs.writeFileSync(file, JSON.stringify(profile));
        process.stderr.write(`profile: ${file}\n`);
      }
      const report: ChildReport = {
        steps,
        cpuMs: (cpu.user + cpu.system) / 1000,
        loopDelayP50Ms: loop.percentile(50) / 1e6,
        loopDelayP99Ms: loop.percentile(99) / 1e6,
      };
      process.stdout.write(`REPORT ${JSON.stringify(report)}\n`);
      break;
    }
  }
  await ingress.close();
  await queue.close();
  await database.close();
  fs.rmSync(config.dataDir, { recursive: true, force: true });
}

// ---------------------------------------------------------------- parent: servers, load, report

interface Child {
  readonly port: number;
  send(command: string): void;
  waitFor(prefix: string): Promise<string>;
  exited: Promise<number | null>;
}

function startChild(tree: string, childEnv: Record<string, string>): Promise<Child> {
  let env = childEnv;
  const flags = argValues('node-flag');
  const profileDir = argValues('profile')[0];
  const poolSize = argValues('pool-size')[0];
  if (poolSize) env = { ...env, BENCH_POOL_SIZE: poolSize };
  if (profileDir) env = { ...env, BENCH_PROFILE_DIR: path.resolve(profileDir) };
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', HERE, '--serve', tree], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    for (const wake of waiters.splice(0)) wake();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const waitFor = async (prefix: string): Promise<string> => {
    for (;;) {
      const index = lines.findIndex((l) => l.startsWith(prefix));
      if (index >= 0) return lines.splice(index, 1)[0]!.slice(prefix.length).trim();
      const woke = new Promise<void>((resolve) => waiters.push(resolve));
      const code = await Promise.race([woke.then(() => 'woke' as const), exited]);
      if (code !== 'woke') throw new Error(`the ingress child exited (${code}) before "${prefix}"`);
    }
  };
  return waitFor('PORT').then((port) => ({
    port: Number(port),
    send: (command) => child.stdin.write(`${command}\n`),
    waitFor,
    exited,
  }));
}

function outgoing(run: number, count: number): OutgoingMessage[] {
  return bulkPlan(count, { run }).messages.map((m) => ({
    messageId: m.messageId,
    raw: m.raw,
    templates: m.kinds.length,
  }));
}

function median(values: readonly number[]): number {
  return percentile(values, 50);
}

function summarize(label: string, results: readonly RoundResult[]): string[] {
  const lines = [
    `${label}: accepted/s median ${round(median(results.map((r) => r.acceptedPerSecond)))} ` +
      `(rounds: ${results.map((r) => round(r.acceptedPerSecond)).join(', ')}), ` +
      `client latency p50 ${round(median(results.map((r) => r.clientP50Ms)), 2)} ms, ` +
      `p99 ${round(median(results.map((r) => r.clientP99Ms)), 2)} ms, ` +
      `ingress CPU ${round(median(results.map((r) => r.cpuMsPerMessage)), 2)} ms/message, ` +
      `loop delay p99 ${round(median(results.map((r) => r.report.loopDelayP99Ms)), 2)} ms, ` +
      `errors ${results.reduce((s, r) => s + r.errors, 0)}`,
  ];
  const names = [...new Set(results.flatMap((r) => Object.keys(r.report.steps)))].sort();
  const ms = (n: number) => round(n, 2).toFixed(2).padStart(7);
  const mean = (v: readonly number[]) => v.reduce((sum, x) => sum + x, 0) / (v.length || 1);
  for (const name of names.filter((n) => !n.startsWith('redis.'))) {
    const perRound = results.map((r) => r.report.steps[name] ?? []);
    lines.push(
      `  ${name.padEnd(18)} calls ${String(median(perRound.map((v) => v.length))).padStart(5)}` +
        `  p50 ${ms(median(perRound.map((v) => percentile(v, 50))))} ms` +
        `  p90 ${ms(median(perRound.map((v) => percentile(v, 90))))} ms` +
        `  mean ${ms(median(perRound.map(mean)))} ms`,
    );
  }
  const commands = names.filter((n) => n.startsWith('redis.'));
  const perMessage = (name: string) => median(results.map((r) => r.report.steps[name]?.[0] ?? 0));
  lines.push(
    `  redis commands per message: ${round(
      commands.reduce((sum, n) => sum + perMessage(n), 0),
      2,
    )} (` +
      commands.map((n) => `${n.slice('redis.'.length)} ${round(perMessage(n), 2)}`).join(', ') +
      ')',
  );
  return lines;
}

async function main(): Promise<void> {
  const messages = argNumber('messages', 600);
  const connections = argNumber('connections', 8);
  const rounds = argNumber('rounds', 3);
  const trees = (argValues('tree').length ? argValues('tree') : [`current=${ROOT}`]).map((spec) => {
    const [label, dir] = spec.includes('=') ? spec.split('=', 2) : [path.basename(spec), spec];
    return { label: label!, dir: path.resolve(dir!) };
  });
  const redis = await startRedis();
  const postgres = await startBenchPostgres();
  const results = new Map<string, RoundResult[]>(trees.map((t) => [t.label, []]));
  let run = 0;
  try {
    for (let r = 0; r < rounds; r++) {
      // Alternate the order too, so neither tree always goes first.
      const order = r % 2 === 0 ? trees : [...trees].reverse();
      for (const tree of order) {
        run++;
        const url = await postgres.createDatabase(`ingress_only_${run}`);
        await flushRedis(redis.url);
        const child = await startChild(tree.dir, {
          BENCH_DATABASE_URL: url,
          BENCH_REDIS_URL: redis.url,
          BENCH_SMTP_PORT: String(await freePort()),
        });
        // Warm-up: connections, prepared scripts, JIT.
        await sendAll(outgoing(run * 10, 40), { port: child.port, connections });
        await redisCommand(redis.url, ['CONFIG', 'RESETSTAT']);
        child.send('start');
        await child.waitFor('STARTED');
        const start = performance.now();
        const timings = await sendAll(outgoing(run * 10 + 1, messages), { port: child.port, connections });
        const accepted = timings.filter((t) => !t.error && t.accepted !== undefined);
        const last = Math.max(...accepted.map((t) => t.accepted!));
        child.send('report');
        const report = JSON.parse(await child.waitFor('REPORT')) as ChildReport;
        const commandStats = String(await redisCommand(redis.url, ['INFO', 'commandstats']));
        for (const [, command, calls] of commandStats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
          if (command === 'config' || command === 'info') continue;
          report.steps[`redis.${command}`] = [Number(calls) / messages];
        }
        await child.exited;
        const latencies = accepted.map((t) => t.accepted! - t.sent!);
        const result: RoundResult = {
          tree: tree.label,
          acceptedPerSecond: (accepted.length * 1000) / (last - start),
          errors: timings.length - accepted.length,
          clientP50Ms: percentile(latencies, 50),
          clientP99Ms: percentile(latencies, 99),
          cpuMsPerMessage: report.cpuMs / messages,
          report,
        };
        results.get(tree.label)!.push(result);
        const firstError = timings.find((t) => t.error)?.error;
        console.log(
          `round ${r + 1} ${tree.label}: ${round(result.acceptedPerSecond)} accepted/s, ` +
            `${result.errors} errors${firstError ? ` (${firstError})` : ''}, ` +
            `${round(result.cpuMsPerMessage, 2)} CPU ms/message`,
        );
      }
    }
  } finally {
    await redis.stop();
    postgres.stop();
  }
  console.log(
    `\n${messages} messages x ${rounds} rounds, ${connections} pooled connections, durable PostgreSQL, medians over rounds:`,
  );
  for (const tree of trees) console.log(summarize(tree.label, results.get(tree.label)!).join('\n'));
}

async function flushRedis(url: string): Promise<void> {
  await redisCommand(url, ['FLUSHALL']);
}

async function redisCommand(url: string, command: [string, ...string[]]): Promise<unknown> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url);
  try {
    return await client.call(...command);
  } finally {
    client.disconnect();
  }
}

const serveIndex = process.argv.indexOf('--serve');
if (serveIndex >= 0) {
  await serve(process.argv[serveIndex + 1] ?? ROOT);
} else {
  await main();
}
