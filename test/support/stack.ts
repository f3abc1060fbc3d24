/**
 * The whole daemon on loopback for end-to-end tests: a real redis-server, a cloned migrated
 * database (PGlite or PostgreSQL), the daemon with every role, the demo registry, an
 * `smtp-server` sink catching replies, and a nodemailer client sending real SMTP.
 */
import nodemailer from 'nodemailer';
import type { DnsResolver } from '../../src/auth/index.ts';
import { type Config, type Environment, loadConfig } from '../../src/config/index.ts';
import { type Daemon, startDaemon } from '../../src/daemon.ts';
import type { BackendKind, DatabaseHandle } from '../../src/db/index.ts';
import type { OutboxBackoff } from '../../src/outbox/index.ts';
import { DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import {
  type CaughtMail,
  type SinkOptions,
  type SmtpSink,
  startSmtpSink,
} from '../replies/support/smtp-sink.ts';
import { openTestDatabase } from './databases.ts';
import { stubResolver } from './dkim.ts';
import { type RedisServer, startRedis } from './redis-server.ts';
import { type ParsedReply, parseReply } from './reply-reader.ts';

export interface StackOptions {
  readonly backend: BackendKind;
  /** Extra environment (e.g. SENDER_AUTH, REPLY_STYLE). */
  readonly env?: Environment;
  readonly resolver?: DnsResolver;
  /** Seed the demo registry (default true). */
  readonly demo?: boolean;
  /** How the reply sink answers (a recipient deferred, a greeting refused...); it takes all by default. */
  readonly sink?: SinkOptions;
  /** The outbox's waits between attempts (the daemon's 30 s doubling otherwise). */
  readonly outboxBackoff?: OutboxBackoff;
}

export interface Reply {
  readonly mail: CaughtMail;
  readonly parsed: ParsedReply;
}

export interface Stack {
  readonly config: Config;
  readonly daemon: Daemon;
  readonly database: DatabaseHandle;
  readonly redis: RedisServer;
  readonly sink: SmtpSink;
  /** Sends a raw message over SMTP; resolves to the submission id from `250 ... Accepted as <id>`. */
  send(raw: string | Buffer, envelope?: { from?: string; to?: string[] }): Promise<string>;
  /** Waits for `count` mails in the sink in all, and returns the replies among them parsed. */
  replies(count: number, timeoutMs?: number): Promise<Reply[]>;
  /** Waits until the submission is processed (state done). */
  processed(submissionId: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  // Whatever was started is stopped again if a later step fails: no server outlives its test.
  const started: Array<() => Promise<unknown>> = [];
  try {
    return await buildStack(options, started);
  } catch (error) {
    for (const stop of started.reverse()) await stop().catch(() => {});
    throw error;
  }
}

async function buildStack(options: StackOptions, started: Array<() => Promise<unknown>>): Promise<Stack> {
  const redis = await startRedis();
  started.push(() => redis.stop());
  const sink = await startSmtpSink(options.sink);
  started.push(() => sink.close());
  const database = await openTestDatabase(options.backend);
  started.push(() => database.close());
  if (options.demo !== false) {
    const doc = validateSeed(DEMO_SEED);
    if (!doc.ok) throw new Error(doc.error.map((p) => p.message).join('; '));
    const seeded = await seedRegistry(database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
  }
  const config = loadConfig({
    SMTP_PORT: '1',
    CONSOLE_PORT: '1',
    REDIS_URL: redis.url,
    REPLY_SMTP_URL: sink.url,
    SENDER_AUTH: 'dkim',
    DATA_DIR: '/nonexistent',
    WORKER_CONCURRENCY: '2',
    ...(options.backend === 'postgres' && database.target.kind === 'postgres'
      ? { DATABASE_URL: database.target.url }
      : {}),
    ...options.env,
  });
  // Port 0: let the system pick free ones (the config check wants 1-65535, so patch after).
  const testConfig: Config = {
    ...config,
    smtp: { ...config.smtp, port: 0 },
    console: { ...config.console, port: 0 },
    public: { ...config.public, whoisPort: 0, rdapPort: 0 },
  };
  const daemon = await startDaemon({
    config: testConfig,
    logger: silentLogger(),
    database,
    resolver: options.resolver ?? stubResolver(),
    outboxPollMs: 200,
    ...(options.outboxBackoff ? { outboxBackoff: options.outboxBackoff } : {}),
    sweepIntervalMs: 1_000,
  });
  started.push(() => daemon.close());
  const client = nodemailer.createTransport({
    host: '127.0.0.1',
    port: daemon.smtpPort!,
    secure: false,
    ignoreTLS: true,
    pool: false,
  });
  const stack: Stack = {
    config: testConfig,
    daemon,
    database,
    redis,
    sink,
    async send(raw, envelope = {}) {
      const info = await client.sendMail({
        envelope: {
          from: envelope.from ?? 'noc@demo-isp.example',
          to: envelope.to ?? ['hostmaster@localhost'],
        },
        raw,
      });
      const match = /Accepted as (\S+)/.exec(info.response);
      if (!match) throw new Error(`unexpected SMTP answer: ${info.response}`);
      return match[1]!;
    },
    async replies(count, timeoutMs = 60_000) {
      await sink.waitFor(count, timeoutMs);
      const out: Reply[] = [];
      for (const mail of sink.accepted) {
        const parsed = await parseReply(mail.raw);
        if (parsed.ok) out.push({ mail, parsed: parsed.value });
      }
      return out;
    },
    async processed(submissionId, timeoutMs = 60_000) {
      const { eq } = await import('drizzle-orm');
      const { tables } = await import('../../src/db/index.ts');
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [row] = await database.db
          .select({ state: tables.submissions.state })
          .from(tables.submissions)
          .where(eq(tables.submissions.id, submissionId));
        if (row?.state === 'done') return;
        if (Date.now() > deadline)
          throw new Error(`submission ${submissionId} is still ${row?.state ?? 'missing'}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      client.close();
      await daemon.close();
      await database.close();
      await sink.close();
      await redis.stop();
    },
  };
  return stack;
}

/** A plain-text message as an operator's mail client writes it. */
export function mail(options: {
  from?: string;
  subject?: string;
  body: string;
  messageId?: string;
  headers?: Record<string, string>;
}): string {
  const id = options.messageId ?? `<${Math.random().toString(36).slice(2)}@demo-isp.example>`;
  const extra = Object.entries(options.headers ?? {})
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return (
    `From: ${options.from ?? 'Demo ISP NOC <noc@demo-isp.example>'}\r\n` +
    'To: hostmaster@localhost\r\n' +
    `Subject: ${options.subject ?? 'SWIP'}\r\n` +
    `Message-ID: ${id}\r\n` +
    'Date: Wed, 25 Nov 2026 10:00:00 +0000\r\n' +
    'MIME-Version: 1.0\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    extra +
    '\r\n' +
    options.body.replace(/\r?\n/g, '\r\n')
  );
}
