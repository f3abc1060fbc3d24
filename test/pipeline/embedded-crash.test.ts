/**
 * The embedded daemon (`hostmasterd start`: every role in one process, PGlite in it)
 * killed with SIGKILL in the middle of a steady load, then started again on the same DATA_DIR:
 * every message it answered 250 is there after the restart, every message is applied once and
 * answered by one reply (sent again with its Message-ID if the kill fell between the relay's 250
 * and the sent mark; senders try again after a dropped connection, as MTAs do; a second delivery of
 * a stored message is the first one). Redis and the reply sink are the test's own, so only the
 * daemon dies.
 */

import fs from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { openDatabase, queryRows } from '../../src/db/index.ts';
import { DEMO_SENDER } from '../../src/registry/index.ts';
import { eventually } from '../ops/support/ops-http.ts';
import { bulkPlan, EXPECTED_OUTCOME } from '../ops/support/traffic.ts';
import { type SmtpSink, startSmtpSink } from '../replies/support/smtp-sink.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';
import { countOf } from '../support/row-count.ts';
import { preparedEmbeddedEnv } from './support/prepared-database.ts';
import { type DaemonProcess, runCommand, startDaemonProcess } from './support/processes.ts';
import { steadyLoad, steadySender } from './support/steady-sender.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the embedded daemon killed with SIGKILL under load', () => {
  let redis: RedisServer;
  let sink: SmtpSink;
  let env: Record<string, string>;
  let daemon: DaemonProcess | undefined;

  beforeAll(async () => {
    redis = await startRedis();
    sink = await startSmtpSink();
    env = {
      ...(await preparedEmbeddedEnv()),
      REDIS_URL: redis.url,
      REPLY_SMTP_URL: sink.url,
      // The killed daemon's jobs stay locked in the surviving Redis, and its claimed replies leased,
      // for these spans (30 s each by default, docs/operations.md); shorter ones keep the test short.
      WORKER_STALLED_INTERVAL_MS: '10000',
      OUTBOX_LEASE_MS: '10000',
    };
    const demo = await runCommand(['demo'], env, undefined, 120_000);
    expect(demo.code, demo.stderr).toBe(0);
  });
  afterAll(async () => {
    await daemon?.stop();
    await sink?.close();
    await redis?.stop();
    if (env?.['DATA_DIR']) fs.rmSync(env['DATA_DIR'], { recursive: true, force: true });
  });

  it('keeps every message it acknowledged, and applies and answers each once after the restart', async () => {
    daemon = await startDaemonProcess([], env, 120_000);
    const plan = bulkPlan(400, { run: 21, templatesIn: (i) => (i % 4) + 1 });
    /** Message-ID -> the submission id of its first 250. */
    const acknowledged = new Map<string, string>();
    const acknowledgedBeforeKill = new Map<string, string>();
    const sender = steadySender({
      port: Number(env['SMTP_PORT']),
      envelope: { from: DEMO_SENDER, to: ['hostmaster@localhost'] },
    });
    const load = steadyLoad(sender, plan.messages, {
      pauseMs: 50,
      onAccepted: (message, id) => {
        if (!acknowledged.has(message.messageId)) acknowledged.set(message.messageId, id);
        else expect(id).toBe(acknowledged.get(message.messageId));
      },
    });

    // In the middle of the load: messages in flight, transactions open, replies being sent.
    await eventually(async () => expect(acknowledged.size).toBeGreaterThanOrEqual(30), 120_000, 50);
    for (const [messageId, id] of acknowledged) acknowledgedBeforeKill.set(messageId, id);
    await daemon.kill9();
    daemon = await startDaemonProcess([], env, 120_000);
    const sentAtRestart = load.handedOut;
    await eventually(
      async () => expect(load.handedOut).toBeGreaterThanOrEqual(sentAtRestart + 20),
      120_000,
      100,
    );
    await load.stop();
    sender.close();

    const sent = plan.messages.slice(0, load.handedOut);
    expect(acknowledged.size).toBe(sent.length);
    const replies = () =>
      sink.accepted
        .filter((m) => m.rcptTo.includes(DEMO_SENDER))
        .map((m) => ({
          inReplyTo: /^In-Reply-To: (.*)$/im.exec(m.raw)?.[1]?.trim(),
          messageId: /^Message-ID: (.*)$/im.exec(m.raw)?.[1]?.trim(),
        }));
    const wanted = sent.map((m) => m.messageId).sort();
    await eventually(
      async () => expect([...new Set(replies().map((r) => r.inReplyTo))].sort()).toEqual(wanted),
      240_000,
      250,
    );
    // A would-be second reply has time to show up before counting.
    await sleep(3_000);
    // Each message has one reply. A reply the relay took just before the kill, its row not yet
    // marked sent, goes once more after the restart with the same Message-ID (the one window
    // SMTP leaves, docs/reply-format.md): recognisably the same reply, never a second one.
    const replyIds = new Map<string, Set<string>>();
    for (const reply of replies()) {
      const ids = replyIds.get(reply.inReplyTo!) ?? new Set<string>();
      ids.add(reply.messageId!);
      replyIds.set(reply.inReplyTo!, ids);
    }
    expect([...replyIds.keys()].sort()).toEqual(wanted);
    for (const [inReplyTo, ids] of replyIds) expect([...ids], inReplyTo).toHaveLength(1);
    expect(await daemon.stop()).toBe(0);
    daemon = undefined;

    const config = loadConfig({ DATA_DIR: env['DATA_DIR']! });
    const db = await openDatabase(config.database, { migrate: false });
    try {
      const stored = await queryRows<{ id: string; message_id: string; state: string }>(
        db.db,
        sql`select id, message_id, state from submissions where message_id like '<bulk-21-%'`,
      );
      const byMessageId = new Map(stored.map((r) => [r.message_id, r]));
      for (const [messageId, id] of acknowledgedBeforeKill) expect(byMessageId.get(messageId)?.id).toBe(id);
      expect(stored).toHaveLength(sent.length);
      expect(stored.filter((r) => r.state !== 'done')).toEqual([]);
      const kinds = sent.flatMap((m) => m.kinds);
      expect(
        await countOf(
          db,
          sql`select count(*) as n from submission_templates t join submissions s on s.id = t.submission_id
                where s.message_id like '<bulk-21-%'`,
        ),
      ).toBe(kinds.length);
      expect(
        await countOf(
          db,
          sql`select count(*) as n from submission_templates t join submissions s on s.id = t.submission_id
                where s.message_id like '<bulk-21-%' and t.outcome = 'approved'`,
        ),
      ).toBe(kinds.filter((k) => EXPECTED_OUTCOME[k] === 'approved').length);
      expect(
        await countOf(
          db,
          sql`select count(*) as n from (select 1 from audit_log where submission_id is not null
                group by ticket_number, action, object_type, object_handle having count(*) > 1) twice`,
        ),
      ).toBe(0);
    } finally {
      await db.close();
    }
  }, 480_000);
});
