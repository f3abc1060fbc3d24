/**
 * The daemon split the way production scales it out: the ingress in this process (so the test
 * can read its SMTP answers), the worker as a separate `hostmasterd start --role worker` process
 * that can be killed, both on one PostgreSQL and one real redis-server, replies caught by a sink.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config/index.ts';
import { type Daemon, startDaemon } from '../../../src/daemon.ts';
import { type DatabaseHandle, openDatabase } from '../../../src/db/index.ts';
import { silentLogger } from '../../../src/shared/logger.ts';
import { type SinkOptions, type SmtpSink, startSmtpSink } from '../../replies/support/smtp-sink.ts';
import { type RedisServer, startRedis } from '../../support/redis-server.ts';
import { sendExpectingAnswer } from './outcomes.ts';
import { type DaemonProcess, processEnv, startDaemonProcess } from './processes.ts';

export interface SplitStack {
  readonly databaseUrl: string;
  readonly database: DatabaseHandle;
  readonly redis: RedisServer;
  readonly sink: SmtpSink;
  readonly ingress: Daemon;
  /** The running worker process, if any. */
  worker: DaemonProcess | undefined;
  startWorker(): Promise<DaemonProcess>;
  /** Sends over SMTP to the ingress; resolves to the answer (250 with the id, or 451...). */
  send(raw: string | Buffer): Promise<{ code: number; text: string; id: string | undefined }>;
  close(): Promise<void>;
}

/** How soon a killed worker's job is taken over in these tests (production: 30 s). */
export const TEST_STALLED_INTERVAL_MS = 1_000;

export interface SplitStackOptions {
  /** How the reply sink behaves (e.g. holds a DATA while the test kills the worker). */
  readonly sink?: SinkOptions;
  /** More environment for the worker processes (e.g. OUTBOX_LEASE_MS). */
  readonly workerEnv?: Readonly<Record<string, string>>;
}

export async function startSplitStack(
  databaseUrl: string,
  options: SplitStackOptions = {},
): Promise<SplitStack> {
  const [redis, sink] = await Promise.all([startRedis(), startSmtpSink(options.sink)]);
  const database = await openDatabase({ kind: 'postgres', url: databaseUrl }, { migrate: false });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-split-'));
  const config = loadConfig(
    { DATABASE_URL: databaseUrl, REDIS_URL: redis.url, REPLY_SMTP_URL: sink.url, DATA_DIR: dataDir },
    { roles: ['ingress'] },
  );
  const ingress = await startDaemon({
    config: { ...config, smtp: { ...config.smtp, port: 0 }, console: { ...config.console, port: 0 } },
    logger: silentLogger(),
    database,
    sweepIntervalMs: 1_000,
  });
  const workerEnv = await processEnv({
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis.url,
    REPLY_SMTP_URL: sink.url,
    WORKER_STALLED_INTERVAL_MS: String(TEST_STALLED_INTERVAL_MS),
    WORKER_CONCURRENCY: '2',
    ...options.workerEnv,
  });
  const stack: SplitStack = {
    databaseUrl,
    database,
    redis,
    sink,
    ingress,
    worker: undefined,
    async startWorker() {
      stack.worker = await startDaemonProcess(['worker'], workerEnv);
      return stack.worker;
    },
    async send(raw) {
      const answer = await sendExpectingAnswer(ingress.smtpPort!, raw);
      return { ...answer, id: /Accepted as (\S+)/.exec(answer.text)?.[1] };
    },
    async close() {
      await stack.worker?.stop();
      await ingress.close();
      await database.close();
      await sink.close();
      await redis.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(workerEnv['DATA_DIR']!, { recursive: true, force: true });
    },
  };
  return stack;
}
