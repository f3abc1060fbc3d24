/**
 * The whole daemon (`startDaemon`: SMTP ingress, worker, outbox sender, console) on loopback
 * ports, with a PostgreSQL database cloned from the migrated template, a real redis-server, the
 * demo registry loaded and one staff account. Mail goes in through real SMTP.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq, inArray } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import { type Config, loadConfig } from '../../../src/config/index.ts';
import { createStaffUser } from '../../../src/console/index.ts';
import { type Daemon, startDaemon } from '../../../src/daemon.ts';
import { type Database, tables } from '../../../src/db/index.ts';
import { DEMO_SEED, seedRegistry, validateSeed } from '../../../src/registry/index.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { createPostgresDatabase } from '../../support/databases.ts';
import { freePort } from '../../support/postgres-server.ts';
import { startRedis } from '../../support/redis-server.ts';

export const STAFF_EMAIL = 'alice@registry.example';
export const STAFF_PASSWORD = 'correct horse battery';

export interface ConsoleStack {
  readonly baseUrl: string;
  readonly db: Database;
  readonly config: Config;
  /** Sends one message through the daemon's SMTP port. */
  send(message: {
    from: string;
    subject: string;
    text: string;
    attachments?: { filename: string; content: string; contentTransferEncoding?: 'base64' }[];
  }): Promise<string>;
  /** Waits until the worker has processed the message with this Message-ID; its submission id. */
  processed(messageId: string): Promise<string>;
  /** Waits until the worker has filed a rejection for the message with this Message-ID. */
  rejectionFor(messageId: string): Promise<{ submissionId: string; rejectionId: number; reasonCode: string }>;
  stop(): Promise<void>;
}

export async function startConsoleStack(): Promise<ConsoleStack> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-console-'));
  const [redis, databaseUrl, smtpPort] = await Promise.all([
    startRedis(),
    createPostgresDatabase(),
    freePort(),
  ]);
  const base = loadConfig({
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis.url,
    SMTP_PORT: String(smtpPort),
    HOSTMASTER_ADDRESSES: 'hostmaster@rir.example',
    LOG_LEVEL: 'silent',
    // A real back-off, capped at a wait a test can sit out yet long enough to outlast a sign-in
    // on a machine at a load of 20 (a browser's form post then takes seconds).
    CONSOLE_SIGN_IN_FIRST_WAIT_MS: '10000',
    CONSOLE_SIGN_IN_MAX_WAIT_MS: '10000',
  });
  const config: Config = {
    ...base,
    console: { ...base.console, host: '127.0.0.1', port: 0 },
    public: { ...base.public, whoisPort: 0, rdapPort: 0 },
  };
  let daemon: Daemon | undefined;
  try {
    daemon = await startDaemon({ config, logger: createLogger({ level: 'silent' }), outboxPollMs: 200 });
  } catch (error) {
    await redis.stop();
    throw error;
  }
  const db = daemon.database.db;
  const seed = validateSeed(DEMO_SEED);
  if (!seed.ok) throw new Error('the demo seed is invalid');
  const seeded = await seedRegistry(db, seed.value);
  if (!seeded.ok) throw new Error(seeded.error.message);
  const staff = await createStaffUser(db, STAFF_EMAIL, STAFF_PASSWORD, { oneTime: false });
  if (!staff.ok) throw new Error(staff.error.message);

  const smtp = nodemailer.createTransport({
    host: '127.0.0.1',
    port: smtpPort,
    secure: false,
    ignoreTLS: true,
  });
  const running = daemon;
  return {
    baseUrl: `http://127.0.0.1:${running.consolePort}`,
    db,
    config,
    send: async (message) => {
      const info = await smtp.sendMail({ ...message, to: 'hostmaster@rir.example' });
      return info.messageId.replace(/^<|>$/g, '');
    },
    processed: async (messageId) => {
      const s = tables.submissions;
      for (let i = 0; i < 600; i++) {
        const [row] = await db
          .select({ id: s.id, state: s.state })
          .from(s)
          .where(inArray(s.messageId, [messageId, `<${messageId}>`]));
        if (row?.state === 'done') return row.id;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`${messageId} was not processed within 60 s`);
    },
    rejectionFor: async (messageId) => {
      const r = tables.rejections;
      const s = tables.submissions;
      for (let i = 0; i < 300; i++) {
        const [row] = await db
          .select({ submissionId: r.submissionId, rejectionId: r.id, reasonCode: r.reasonCode })
          .from(r)
          .innerJoin(s, eq(s.id, r.submissionId))
          .where(inArray(s.messageId, [messageId, `<${messageId}>`]));
        if (row) return row;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`no rejection was filed for ${messageId} within 30 s`);
    },
    stop: async () => {
      smtp.close();
      await running.close();
      await redis.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
