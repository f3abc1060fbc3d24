/**
 * A worker killed while its reply is on the way, with the worker as a real separate process on
 * PostgreSQL: its claim on the outbox row lapses one lease (OUTBOX_LEASE_MS) after its last
 * renewal and a surviving worker sends the reply, well within a minute of the death (it used to
 * be ten minutes). Killed after the relay's 250 but before the mark, the reply goes twice: the
 * window SMTP leaves, both copies with the same Message-ID.
 */
import { eq } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY, DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { createPostgresDatabase } from '../support/databases.ts';
import { watchLockWaits } from '../support/lock-waits.ts';
import { mail } from '../support/stack.ts';
import { simpleReassignment } from './support/forms.ts';
import { outboxSettled, repliesFor } from './support/outcomes.ts';
import { type SplitStack, startSplitStack } from './support/split-stack.ts';

/** Short, so the test is quick; the default is 30 s. What is asserted is the minute. */
const LEASE_MS = 5_000;
const MINUTE = 60_000;

type Answer = { code: number; message: string } | undefined;

describe('a worker killed with a reply on the way (postgres, worker in its own process)', () => {
  let stack: SplitStack;
  /** What the relay does with the next DATA before answering it; then it answers at once again. */
  let nextData: ((raw: string) => Promise<Answer>) | undefined;

  beforeAll(async () => {
    const url = await createPostgresDatabase();
    stack = await startSplitStack(url, {
      sink: {
        hold: async (raw) => {
          const harm = nextData;
          nextData = undefined;
          return harm ? harm(raw) : undefined;
        },
      },
      workerEnv: { OUTBOX_LEASE_MS: String(LEASE_MS) },
    });
    const doc = validateSeed(DEMO_SEED);
    if (!doc.ok) throw new Error('demo seed');
    const seeded = await seedRegistry(stack.database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
  });
  afterAll(async () => {
    await stack?.close();
  });

  const send = async (name: string, range: string) => {
    const sent = await stack.send(
      mail({
        subject: `SWIP ${DEMO_API_KEY}`,
        messageId: `<${name}@demo-isp.example>`,
        body: simpleReassignment({ range, name }),
      }),
    );
    expect(sent.code).toBe(250);
    return sent.id!;
  };

  const messageIds = (replies: Awaited<ReturnType<typeof repliesFor>>) =>
    replies.map((r) => /^Message-ID:\s*(.*)$/im.exec(r.mail.raw)?.[1]);

  it('killed before the relay took its reply: a surviving worker sends it within a minute, once', async () => {
    await stack.startWorker();
    let arrived!: () => void;
    const atRelay = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    let release!: (answer: Answer) => void;
    nextData = () => {
      arrived();
      return new Promise<Answer>((resolve) => {
        release = resolve;
      });
    };
    const id = await send('DEMO-KILLED-SENDING', '198.51.100.192/29');
    await atRelay;
    await stack.worker!.kill9();
    const died = Date.now();
    // The relay never took it: the client died before hearing an answer.
    release({ code: 451, message: 'connection lost' });
    await stack.startWorker();
    const [reply] = await repliesFor(stack.sink, id, 1, MINUTE);
    const afterDeath = Date.now() - died;
    expect(afterDeath).toBeLessThan(MINUTE);
    expect(reply!.parsed.blocks.map((b) => b.status)).toEqual(['APPROVED']);
    // The sink has the mail before the worker hears its 250 and marks the row sent.
    await outboxSettled(stack.database.db, id, MINUTE);
    const rows = await stack.database.db
      .select({ state: tables.outbox.state, attempts: tables.outbox.attempts })
      .from(tables.outbox)
      .where(eq(tables.outbox.submissionId, id));
    expect(rows).toEqual([{ state: 'sent', attempts: 2 }]);
  }, 180_000);

  it('killed between the relay taking its reply and the mark: sent again within a minute, with the same Message-ID', async () => {
    const blocker = new pg.Client({ connectionString: stack.databaseUrl });
    await blocker.connect();
    const locks = await watchLockWaits(stack.databaseUrl);
    try {
      // The relay takes the mail only once the row is held, so the worker's mark waits on it.
      nextData = async () => {
        await blocker.query('BEGIN');
        await blocker.query("SELECT id FROM outbox WHERE state = 'pending' FOR UPDATE");
        return undefined;
      };
      const id = await send('DEMO-KILLED-MARKING', '198.51.100.200/29');
      await repliesFor(stack.sink, id, 1, MINUTE);
      const deadline = Date.now() + MINUTE;
      while ((await locks.waiting()) === 0) {
        if (Date.now() > deadline) throw new Error('the worker never waited to mark its reply sent');
        await new Promise((r) => setTimeout(r, 50));
      }
      await stack.worker!.kill9();
      const died = Date.now();
      // Its session would run the mark once the lock is free; a dead host's would not.
      await blocker.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
      );
      await blocker.query('ROLLBACK');
      await stack.startWorker();
      const replies = await repliesFor(stack.sink, id, 2, MINUTE);
      expect(Date.now() - died).toBeLessThan(MINUTE);
      const [first, second] = messageIds(replies);
      expect(second).toBe(first);
    } finally {
      await blocker.end();
      await locks.end();
    }
  }, 180_000);
});
