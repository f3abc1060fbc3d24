/**
 * A worker whose process runs an outbox sender writes a message's mail already claimed for that
 * sender and hands it over once committed: no claim statement, no reading the mail back. The
 * row says so (one attempt counted, due again only after the lease), so a process that dies
 * between its commit and the relay's answer leaves the mail to any sender once the lease runs
 * out, as a claimed row always was.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { tables } from '../../src/db/index.ts';
import { storeSubmission } from '../../src/ingress/index.ts';
import {
  type CarriedMarks,
  type ClaimedMail,
  emlFileName,
  startOutboxSender,
} from '../../src/outbox/index.ts';
import { DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { loadReplyTexts } from '../../src/replies/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { createWorkerContext, processSubmission } from '../../src/worker/index.ts';
import { bulkPlan } from '../ops/support/traffic.ts';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { watchLockWaits } from '../support/lock-waits.ts';
import { recordStatements } from '../support/statement-recorder.ts';

const LEASE_MS = 1_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(BACKENDS)('a message mail handed to its own process sender (%s)', (kind) => {
  let database: TestDatabase;
  let run = 60;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    const doc = validateSeed(DEMO_SEED);
    if (!doc.ok) throw new Error('demo seed');
    const seeded = await seedRegistry(database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
  });
  afterAll(async () => {
    await database?.close();
  });

  /** Processes a bulk message with `handOff` catching what the worker hands over; counts wake-ups. */
  async function processWithHandOff(
    handOff: (mails: readonly ClaimedMail[]) => void,
    /** Called with the stored submission's id before the worker runs it. */
    beforeRun?: (id: string) => Promise<void>,
    carrying: {
      /** The sender's waiting marks, for the message's transaction to carry. */
      readonly takeSentMarks?: () => CarriedMarks | undefined;
      /** The message's last statement fails (its notices cannot be composed): nothing commits. */
      readonly failLastStatement?: boolean;
    } = {},
  ) {
    let woken = 0;
    const context = createWorkerContext({
      config: loadConfig({ OUTBOX_LEASE_MS: String(LEASE_MS) }),
      db: database.db,
      logger: silentLogger(),
      texts: loadReplyTexts(),
      wakeOutbox: () => woken++,
      handOffOutbox: handOff,
      ...(carrying.takeSentMarks ? { takeSentMarks: carrying.takeSentMarks } : {}),
    });
    const ctx: typeof context = carrying.failLastStatement
      ? {
          ...context,
          composeNotices: () => Promise.reject(new Error('the last statement fails')),
        }
      : context;
    const message = bulkPlan(10, { run: ++run }).messages[9]!;
    const stored = await storeSubmission(database.db, {
      raw: Buffer.from(message.raw),
      envelope: { mailFrom: 'noc@demo-isp.example', rcptTo: ['hostmaster@localhost'] },
      via: 'smtp',
      remoteAddress: '127.0.0.1',
    });
    if (!stored.ok) throw new Error(stored.error.message);
    await beforeRun?.(stored.value.id);
    await processSubmission(ctx, stored.value.id);
    return { id: stored.value.id, woken: () => woken };
  }

  const rowsOf = (id: string) =>
    database.db
      .select({
        id: tables.outbox.id,
        messageId: tables.outbox.messageId,
        state: tables.outbox.state,
        attempts: tables.outbox.attempts,
      })
      .from(tables.outbox)
      .where(eq(tables.outbox.submissionId, id))
      .orderBy(tables.outbox.id);

  it('writes the reply and notices claimed, hands them over after the commit, and the sender sends them without a claim', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hand-off-'));
    const sender = startOutboxSender({
      db: database.db,
      transport: { kind: 'folder', dir },
      pollMs: 60_000,
      leaseMs: LEASE_MS,
    });
    // Its first look for due mail, at start, is over before the message comes.
    await sender.drain();
    const recorder = recordStatements();
    try {
      const handed: ClaimedMail[] = [];
      const { sent } = await recorder.during(async () => {
        const { id, woken } = await processWithHandOff((mails) => {
          handed.push(...mails);
          sender.handOff(mails);
        });
        // Not `drain`, which claims: the handed-over mail is marked sent without one.
        const deadline = Date.now() + 30_000;
        while ((await rowsOf(id)).some((r) => r.state !== 'sent')) {
          if (Date.now() > deadline) throw new Error('the handed-over mail was never marked sent');
          await sleep(20);
        }
        // Handed over, not woken for: a woken sender would send a claim that finds nothing.
        expect(woken()).toBe(0);
        const rows = await rowsOf(id);
        expect(rows.length).toBeGreaterThan(0);
        expect(handed.map((m) => [m.id, m.messageId, m.attempts])).toEqual(
          rows.map((r) => [String(r.id), r.messageId, 1]),
        );
        expect(rows.map((r) => [r.state, r.attempts])).toEqual(rows.map(() => ['sent', 1]));
        for (const mail of handed) {
          expect(fs.readFileSync(path.join(dir, emlFileName(mail.messageId)), 'utf8')).toBe(mail.raw);
        }
      });
      // PGlite does not go through pg: the statements are counted on PostgreSQL.
      if (kind === 'postgres') {
        expect(sent.filter((s) => /attempts\s*=\s*attempts\s*\+/i.test(s))).toEqual([]);
        expect(sent.some((s) => /select[\s\S]*\braw\b[\s\S]*from\s+outbox/i.test(s))).toBe(false);
      }
    } finally {
      recorder.restore();
      await sender.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a process that dies after its commit, before its sender took the mail: another sender sends it once the lease runs out', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hand-off-'));
    // Handed to nobody: what a process killed right after its commit leaves.
    const { id } = await processWithHandOff(() => {});
    const survivor = startOutboxSender({
      db: database.db,
      transport: { kind: 'folder', dir },
      pollMs: 60_000,
      leaseMs: LEASE_MS,
    });
    try {
      const rows = await rowsOf(id);
      expect(rows.map((r) => [r.state, r.attempts])).toEqual(rows.map(() => ['pending', 1]));
      await survivor.drain();
      expect(fs.readdirSync(dir)).toEqual([]); // still the dead process's
      await sleep(LEASE_MS + 200);
      await survivor.drain();
      const after = await rowsOf(id);
      expect(after.map((r) => [r.state, r.attempts])).toEqual(rows.map(() => ['sent', 2]));
      expect(fs.readdirSync(dir).sort()).toEqual(rows.map((r) => emlFileName(r.messageId)).sort());
    } finally {
      await survivor.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(kind === 'postgres')(
    'the marks of messages delivered while a mark is out go together in the next one',
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hand-off-'));
      const sender = startOutboxSender({
        db: database.db,
        transport: { kind: 'folder', dir },
        pollMs: 60_000,
        leaseMs: 60_000,
      });
      await sender.drain();
      const handed: ClaimedMail[][] = [];
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const { id } = await processWithHandOff((mails) => handed.push([...mails]));
        ids.push(id);
      }
      // The first message's mark waits on its rows, held by another session, while the other
      // two messages' mails are delivered: their marks can only wait for the next statement.
      const url = (database.target as { url: string }).url;
      const blocker = new pg.Client({ connectionString: url });
      await blocker.connect();
      const locks = await watchLockWaits(url);
      const recorder = recordStatements();
      try {
        await blocker.query('BEGIN');
        await blocker.query('SELECT 1 FROM outbox WHERE submission_id = $1 FOR UPDATE', [ids[0]]);
        const { sent } = await recorder.during(async () => {
          sender.handOff(handed[0]!);
          const deadline = Date.now() + 60_000;
          while ((await locks.waiting()) < 1) {
            if (Date.now() > deadline) throw new Error('the first mark never waited on its rows');
            await sleep(20);
          }
          sender.handOff(handed[1]!);
          sender.handOff(handed[2]!);
          const all = handed.flat();
          while (all.some((m) => !fs.existsSync(path.join(dir, emlFileName(m.messageId))))) {
            if (Date.now() > deadline) throw new Error('the handed-over mails were never delivered');
            await sleep(20);
          }
          await blocker.query('COMMIT');
          for (const id of ids) {
            while ((await rowsOf(id)).some((r) => r.state !== 'sent')) {
              if (Date.now() > deadline) throw new Error('a handed-over mail was never marked sent');
              await sleep(20);
            }
          }
        });
        const marks = sent.filter((s) => /^update outbox set state = 'sent'/i.test(s));
        expect(marks).toHaveLength(2);
      } finally {
        recorder.restore();
        await blocker.end();
        await locks.end();
        await sender.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    120_000,
  );

  it.runIf(kind === 'postgres')(
    'a message that waited on its row longer than a lease commits its mail still leased to its own process',
    async () => {
      const url = (database.target as { url: string }).url;
      const blocker = new pg.Client({ connectionString: url });
      await blocker.connect();
      const locks = await watchLockWaits(url);
      try {
        let stored: string | undefined;
        const processing = processWithHandOff(
          () => {},
          async (id) => {
            stored = id;
            await blocker.query('BEGIN');
            await blocker.query('SELECT 1 FROM submissions WHERE id = $1 FOR UPDATE', [id]);
          },
        );
        const deadline = Date.now() + 60_000;
        while (stored === undefined || (await locks.waiting()) < 1) {
          if (Date.now() > deadline) throw new Error('the message never waited on its row');
          await sleep(20);
        }
        // Its transaction began before the wait: a lease counted from then would be over.
        await sleep(LEASE_MS + 500);
        await blocker.query('COMMIT');
        const { id } = await processing;
        const { rows } = await blocker.query<{ all: number; leased: number }>(
          `SELECT count(*)::int AS all, count(*) FILTER (WHERE next_attempt_at > now())::int AS leased
           FROM outbox WHERE submission_id = $1`,
          [id],
        );
        expect(rows[0]!.all).toBeGreaterThan(0);
        expect(rows[0]!.leased).toBe(rows[0]!.all);
      } finally {
        await blocker.end();
        await locks.end();
      }
    },
    120_000,
  );

  it('the next message carries the sent marks of mail delivered before it: no mark of their own; undone, the sender marks them', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hand-off-'));
    // Marks wait a minute for a message to carry them: only a message (or an undone one) marks.
    const sender = startOutboxSender({
      db: database.db,
      transport: { kind: 'folder', dir },
      pollMs: 60_000,
      leaseMs: 60_000,
      carriedMarksWaitMs: 60_000,
    });
    await sender.drain();
    const delivered = async (mails: readonly ClaimedMail[]) => {
      const deadline = Date.now() + 60_000;
      while (mails.some((m) => !fs.existsSync(path.join(dir, emlFileName(m.messageId))))) {
        if (Date.now() > deadline) throw new Error('the handed-over mails were never delivered');
        await sleep(20);
      }
      // Delivered and waiting for a carrier: still pending.
      await sleep(100);
    };
    const recorder = recordStatements();
    try {
      const carry = { takeSentMarks: () => sender.takeSentMarks() };
      const first: ClaimedMail[] = [];
      const one = await processWithHandOff((mails) => first.push(...mails), undefined, carry);
      sender.handOff(first);
      await delivered(first);
      expect((await rowsOf(one.id)).map((r) => r.state)).toEqual(first.map(() => 'pending'));

      const second: ClaimedMail[] = [];
      const { sent } = await recorder.during(() =>
        processWithHandOff((mails) => second.push(...mails), undefined, carry),
      );
      expect((await rowsOf(one.id)).map((r) => r.state)).toEqual(first.map(() => 'sent'));
      if (kind === 'postgres') {
        expect(sent.filter((s) => /^update outbox set state = 'sent'/i.test(s))).toEqual([]);
        expect(sent.filter((s) => s.toLowerCase() === 'commit')).toHaveLength(1);
      }

      // The second message's mail waits in turn; a third message that fails carries it nowhere:
      // handed back, the sender marks it at once.
      sender.handOff(second);
      await delivered(second);
      await expect(
        processWithHandOff(() => {}, undefined, { ...carry, failLastStatement: true }),
      ).rejects.toThrow();
      const deadline = Date.now() + 30_000;
      for (;;) {
        const states = await database.db
          .select({ state: tables.outbox.state })
          .from(tables.outbox)
          .where(eq(tables.outbox.messageId, second[0]!.messageId));
        if (states[0]?.state === 'sent') break;
        if (Date.now() > deadline) throw new Error('the undone marks were never written');
        await sleep(20);
      }
    } finally {
      recorder.restore();
      await sender.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
