/**
 * A message's transaction commits without waiting for the disk (src/db/durable-later.ts): the
 * outbox's claim of its reply, a synchronous commit, flushes it before any mail leaves. Here the
 * embedded daemon is killed (SIGKILL) after such a commit and before any synchronous one: the
 * outbox is busy with the reply before it (the relay holds that mail), so the second message's
 * reply is not yet claimed while its job has completed in Redis. Its transaction is lost with the
 * process (PGlite has no WAL writer); after the restart it is run again and answered once, and
 * the first message's reply, whose delivery the kill cut, goes once when its lease has run out.
 */

import fs from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { openDatabase, queryRows } from '../../src/db/index.ts';
import { SubmissionQueue } from '../../src/queue/index.ts';
import { DEMO_API_KEY, DEMO_SENDER } from '../../src/registry/index.ts';
import { eventually } from '../ops/support/ops-http.ts';
import { type SmtpSink, startSmtpSink } from '../replies/support/smtp-sink.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';
import { mail } from '../support/stack.ts';
import { simpleReassignment } from './support/forms.ts';
import { preparedEmbeddedEnv } from './support/prepared-database.ts';
import { type DaemonProcess, runCommand, startDaemonProcess } from './support/processes.ts';
import { steadySender } from './support/steady-sender.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface StoredSubmission extends Record<string, unknown> {
  readonly id: string;
  readonly state: string;
}

describe('the embedded daemon killed between an asynchronous commit and the next synchronous one', () => {
  let redis: RedisServer;
  let sink: SmtpSink;
  let queue: SubmissionQueue;
  let env: Record<string, string>;
  let daemon: DaemonProcess | undefined;
  /** The relay holds the first mail until the test answers it. */
  let holding: ((code: number) => void) | undefined;
  let heldOne: () => void;
  const held = new Promise<void>((resolve) => {
    heldOne = resolve;
  });

  beforeAll(async () => {
    redis = await startRedis();
    sink = await startSmtpSink({
      hold: (raw) => {
        if (holding || !raw.includes('A-FIRST')) return Promise.resolve(undefined);
        heldOne();
        return new Promise((resolve) => {
          holding = (code) => resolve({ code, message: 'try again later' });
        });
      },
    });
    queue = new SubmissionQueue({ kind: 'url', url: redis.url }, { timeoutMs: 5_000 });
    env = {
      ...(await preparedEmbeddedEnv()),
      REDIS_URL: redis.url,
      REPLY_SMTP_URL: sink.url,
      // The held reply's lease is renewed every third of it (a synchronous commit): long enough
      // for the kill to fall before the first renewal on a busy machine (15 s after the claim);
      // after the kill the test ends it instead of waiting for it.
      OUTBOX_LEASE_MS: '45000',
      // Its WAL writer would flush the lost commit within ~400 ms: the kill could miss the window.
      EMBEDDED_WAL_WRITER_DELAY_MS: '600000',
    };
    const demo = await runCommand(['demo'], env, undefined, 120_000);
    expect(demo.code, demo.stderr).toBe(0);
  });
  afterAll(async () => {
    holding?.(451);
    await daemon?.stop();
    await queue?.close();
    await sink?.close();
    await redis?.stop();
    if (env?.['DATA_DIR']) fs.rmSync(env['DATA_DIR'], { recursive: true, force: true });
  });

  const storedStates = async (): Promise<Map<string, string>> => {
    const db = await openDatabase(loadConfig({ DATA_DIR: env['DATA_DIR']! }).database, { migrate: false });
    try {
      const rows = await queryRows<StoredSubmission>(db.db, sql`select id, state from submissions`);
      return new Map(rows.map((r) => [r.id, r.state]));
    } finally {
      await db.close();
    }
  };

  /** What the lease of a killed daemon's claimed mail comes to once it has run out. */
  const endLeases = async (): Promise<void> => {
    const db = await openDatabase(loadConfig({ DATA_DIR: env['DATA_DIR']! }).database, { migrate: false });
    try {
      await db.db.execute(sql`update outbox set next_attempt_at = now() where state = 'pending'`);
    } finally {
      await db.close();
    }
  };

  it('runs the lost message again after the restart and answers each message once', async () => {
    daemon = await startDaemonProcess([], env, 120_000);
    const sender = steadySender({
      port: Number(env['SMTP_PORT']),
      envelope: { from: DEMO_SENDER, to: ['hostmaster@localhost'] },
    });
    const message = (name: string, range: string) =>
      mail({
        subject: `SWIP ${DEMO_API_KEY}`,
        messageId: `<${name}@demo-isp.example>`,
        body: simpleReassignment({ range, name }),
      });
    try {
      const first = await sender.deliver(message('A-FIRST', '198.51.100.0/29'));
      // Its reply claimed (a synchronous commit) and held by the relay: the outbox's round waits.
      await held;
      const second = await sender.deliver(message('B-SECOND', '198.51.100.8/29'));
      await eventually(async () => expect(await queue.jobOutcome(second)).toBe('completed'), 60_000, 20);
      await daemon.kill9();
      daemon = undefined;

      // The premise: the first message's transaction was flushed by its reply's claim, the second's
      // commit was still in the process's memory.
      const afterKill = await storedStates();
      expect(afterKill.get(first)).toBe('done');
      expect(afterKill.get(second)).toBe('received');
      holding?.(451);
      // The first reply's claim leased it for OUTBOX_LEASE_MS; its end is brought forward rather
      // than waited for (the lease itself is the outbox tests' subject: test/replies/outbox.test.ts).
      await endLeases();

      daemon = await startDaemonProcess([], env, 120_000);
      const repliesTo = (name: string) =>
        sink.accepted.filter((m) => new RegExp(`^In-Reply-To: <${name}@`, 'im').test(m.raw));
      await eventually(async () => expect(repliesTo('B-SECOND')).toHaveLength(1), 60_000, 100);
      await eventually(async () => expect(repliesTo('A-FIRST')).toHaveLength(1), 120_000, 100);
      // A would-be second reply has time to show up before counting.
      await sleep(3_000);
      expect(repliesTo('B-SECOND')).toHaveLength(1);
      expect(repliesTo('A-FIRST')).toHaveLength(1);
      expect(repliesTo('B-SECOND')[0]!.raw).toMatch(/APPROVED/);
      expect(daemon.output()).toContain('sweeper ran again submissions whose job completed');
      expect(daemon.output()).toContain(second);
      expect(await daemon.stop()).toBe(0);
      daemon = undefined;

      const db = await openDatabase(loadConfig({ DATA_DIR: env['DATA_DIR']! }).database, {
        migrate: false,
      });
      try {
        const states = await queryRows<StoredSubmission>(db.db, sql`select id, state from submissions`);
        expect(new Map(states.map((r) => [r.id, r.state]))).toEqual(
          new Map([
            [first, 'done'],
            [second, 'done'],
          ]),
        );
        const applied = await queryRows<{ name: string; n: number }>(
          db.db,
          sql`select name, count(*)::int as n from nets where name in ('A-FIRST', 'B-SECOND') group by name order by name`,
        );
        expect(applied).toEqual([
          { name: 'A-FIRST', n: 1 },
          { name: 'B-SECOND', n: 1 },
        ]);
        const tickets = await queryRows<{ n: number }>(
          db.db,
          sql`select count(*)::int as n from tickets where submission_id = ${second}`,
        );
        expect(tickets).toEqual([{ n: 1 }]);
      } finally {
        await db.close();
      }
    } finally {
      sender.close();
    }
  }, 300_000);
});
