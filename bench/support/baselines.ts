/**
 * The two ceilings the pipeline is compared with, measured in the same run on the same machine:
 *   - a bare smtp-server that discards (what SMTP alone costs, client and server),
 *   - raw BullMQ: add N jobs and process them with a no-op processor on the same Redis.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { ROOT } from '../../test/ops/support/processes.ts';
import { countCpu, withChildren } from './cpu.ts';
import { type OutgoingMessage, type ReplySink, sendAll } from './load.ts';
import { peakRssMiB, round } from './stats.ts';

export interface SmtpBaseline {
  readonly messages: number;
  readonly acceptedPerSecond: number;
  readonly peakRssMiB: number | undefined;
  /** CPU milliseconds per message: the server process, and this process (the client). */
  readonly cpuMsPerMessage: Readonly<Record<string, number>>;
}

/** Starts one of the bench's own servers as a child process and waits for its `PORT <n>` line. */
export async function spawnBenchServer(script: string, args: readonly string[]) {
  const tsx = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');
  const child = spawn(process.execPath, [tsx, path.join(ROOT, script), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /PORT (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  }).catch((error: unknown) => {
    child.kill('SIGTERM');
    throw error;
  });
  return { child, port };
}

export async function bareSmtpBaseline(
  messages: readonly OutgoingMessage[],
  connections: number,
): Promise<SmtpBaseline> {
  const { child, port } = await spawnBenchServer('bench/support/bare-smtp.ts', []);
  try {
    await sendAll(messages.slice(0, Math.min(50, messages.length)), { port, connections }); // warm-up
    const cpu = countCpu([
      { name: 'server', pids: withChildren(() => child.pid) },
      { name: 'bench', pids: () => [process.pid] },
    ]);
    const start = performance.now();
    const timings = await sendAll(messages, { port, connections });
    const end = Math.max(...timings.map((t) => t.accepted ?? 0));
    const cpuMsPerMessage = cpu.stop(messages.length);
    const failed = timings.filter((t) => t.error);
    if (failed.length) throw new Error(`bare smtp-server refused ${failed.length}: ${failed[0]!.error}`);
    return {
      messages: messages.length,
      acceptedPerSecond: round((messages.length * 1000) / (end - start)),
      peakRssMiB: peakRssMiB(child.pid),
      cpuMsPerMessage,
    };
  } finally {
    child.kill('SIGTERM');
  }
}

export interface RelayBaseline {
  readonly messages: number;
  /** Messages answered per second, first send to last reply at the sink (as the scenarios count). */
  readonly messagesPerSecond: number;
  readonly acceptedPerSecond: number;
  /** CPU milliseconds per message: the relay process, and this process (client and sink). */
  readonly cpuMsPerMessage: Readonly<Record<string, number>>;
}

/**
 * The mail floor (bench/support/relay-smtp.ts): every message accepted and answered by SMTP with
 * nothing in between, timed like a scenario (first send to last reply). `warmUp` and `messages`
 * must carry distinct Message-IDs, since the sink matches replies by In-Reply-To.
 */
export async function relaySmtpBaseline(
  warmUp: readonly OutgoingMessage[],
  messages: readonly OutgoingMessage[],
  connections: number,
  sink: ReplySink,
): Promise<RelayBaseline> {
  const { child, port } = await spawnBenchServer('bench/support/relay-smtp.ts', [
    String(sink.port),
    String(connections),
  ]);
  try {
    await sendAll(warmUp, { port, connections });
    await sink.waitForReplies(
      warmUp.map((m) => m.messageId),
      60_000,
    );
    const cpu = countCpu([
      { name: 'relay', pids: withChildren(() => child.pid) },
      { name: 'bench', pids: () => [process.pid] },
    ]);
    const start = performance.now();
    const timings = await sendAll(messages, { port, connections });
    const failed = timings.filter((t) => t.error);
    if (failed.length) throw new Error(`relay smtp-server refused ${failed.length}: ${failed[0]!.error}`);
    const lastAccepted = Math.max(...timings.map((t) => t.accepted ?? 0));
    await sink.waitForReplies(
      messages.map((m) => m.messageId),
      60_000,
    );
    const lastReply = Math.max(...messages.map((m) => sink.replies.get(m.messageId) ?? 0));
    return {
      messages: messages.length,
      messagesPerSecond: round((messages.length * 1000) / (lastReply - start)),
      acceptedPerSecond: round((messages.length * 1000) / (lastAccepted - start)),
      cpuMsPerMessage: cpu.stop(messages.length),
    };
  } finally {
    child.kill('SIGTERM');
  }
}

export interface QueueBaseline {
  readonly jobs: number;
  readonly jobsPerSecond: number;
  readonly concurrency: number;
}

/** Adds `jobs` jobs one by one (`inFlight` adds at a time, like parallel SMTP sessions) and processes them. */
export async function bullmqBaseline(
  redisUrl: string,
  jobs: number,
  options: { concurrency: number; inFlight: number },
): Promise<QueueBaseline> {
  const name = `bench-baseline-${Date.now()}`;
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const consumer = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection: producer });
  let done = 0;
  let allDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  const worker = new Worker(
    name,
    async () => {
      if (++done === jobs) allDone();
    },
    { connection: consumer, concurrency: options.concurrency },
  );
  try {
    await worker.waitUntilReady();
    const start = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: options.inFlight }, async () => {
        while (next < jobs) {
          const i = next++;
          await queue.add('process', { submissionId: `S${i}` }, { jobId: `S${i}`, removeOnComplete: true });
        }
      }),
    );
    await finished;
    return {
      jobs,
      jobsPerSecond: round((jobs * 1000) / (performance.now() - start)),
      concurrency: options.concurrency,
    };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    producer.disconnect();
    consumer.disconnect();
  }
}
