/**
 * A DKIM signature that authorized one message does not authorize another, however the worker
 * meets them: two copies run at once by two workers (the signature's key makes the second wait
 * for the first, then find it), while the same submission run twice at once, or run again by its
 * job after a run that failed, is no replay. Recording the signature costs no statement of its
 * own: it rides on the statement that locks the submission.
 */
import { count, eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { type Database, tables } from '../../src/db/index.ts';
import { storeSubmission } from '../../src/ingress/index.ts';
import { DEMO_API_KEY, DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { loadReplyTexts } from '../../src/replies/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { createWorkerContext, processSubmission, type WorkerContext } from '../../src/worker/index.ts';
import { fillForm, newRolePoc } from '../pipeline/support/forms.ts';
import { templateRows } from '../pipeline/support/outcomes.ts';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { dkimSignMessage, stubResolver } from '../support/dkim.ts';
import { watchLockWaits } from '../support/lock-waits.ts';
import { mail } from '../support/stack.ts';
import { recordStatements } from '../support/statement-recorder.ts';

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A phone change of DEMO1-ARIN and a new role POC, as Demo ISP's NOC writes them. */
let phones = 0;
function pocChanges(tag: string): string {
  phones++;
  return [
    fillForm('ARIN-POC-5.1', { '01': 'M', '02': 'DEMO1-ARIN', '13': `+1-703-555-02${phones}0` }),
    newRolePoc(`Role ${tag}`, `role-${tag.toLowerCase()}@demo-isp.example`),
  ].join('\n');
}

/** The changes in a message signed by Demo ISP's domain, without an API key. */
async function signedMessage(tag: string): Promise<Buffer> {
  return dkimSignMessage(
    mail({ subject: 'POC changes', messageId: `<${tag}@demo-isp.example>`, body: pocChanges(tag) }),
    'demo-isp.example',
  );
}

/**
 * The message re-sent by someone else (RFC 5322 resent fields on top), the signature untouched.
 * (A copy that differs only in trace fields is a duplicate delivery, which the ingress absorbs.)
 */
function resent(raw: Buffer, by: string): Buffer {
  return Buffer.concat([
    Buffer.from(`Resent-From: <replay@${by}>\r\nResent-Date: Wed, 25 Nov 2026 11:00:00 +0000\r\n`),
    raw,
  ]);
}

async function store(db: Database, raw: Buffer): Promise<string> {
  const stored = await storeSubmission(db, {
    raw,
    envelope: { mailFrom: 'noc@demo-isp.example', rcptTo: ['hostmaster@localhost'] },
    via: 'smtp',
    remoteAddress: '127.0.0.1',
  });
  if (!stored.ok) throw new Error(stored.error.message);
  return stored.value.id;
}

async function pocsNamed(db: Database, name: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(tables.pocs).where(eq(tables.pocs.lastName, name));
  return row?.n ?? 0;
}

async function submissionOf(db: Database, id: string) {
  const [row] = await db.select().from(tables.submissions).where(eq(tables.submissions.id, id));
  return row;
}

async function repliesTo(db: Database, id: string): Promise<number> {
  const rows = await db
    .select({ kind: tables.outbox.kind })
    .from(tables.outbox)
    .where(eq(tables.outbox.submissionId, id));
  return rows.filter((r) => r.kind === 'reply').length;
}

function workerContext(db: Database): WorkerContext {
  return createWorkerContext({
    config: loadConfig({ SENDER_AUTH: 'dkim' }),
    db,
    logger: silentLogger(),
    texts: loadReplyTexts(),
    resolver: stubResolver({ dkimDomains: ['demo-isp.example'] }),
  });
}

async function seeded(kind: (typeof BACKENDS)[number]): Promise<TestDatabase> {
  const database = await openTestDatabase(kind);
  const doc = validateSeed(DEMO_SEED);
  if (!doc.ok) throw new Error('demo seed');
  const result = await seedRegistry(database.db, doc.value);
  if (!result.ok) throw new Error(result.error.message);
  return database;
}

describe('two runs at once (postgres)', () => {
  let database: TestDatabase;
  let ctx: WorkerContext;
  let url: string;

  beforeAll(async () => {
    database = await seeded('postgres');
    if (database.target.kind !== 'postgres') throw new Error('postgres expected');
    url = database.target.url;
    ctx = workerContext(database.db);
  });
  afterAll(async () => {
    await database?.close();
  });

  /**
   * Starts both runs while another session holds DEMO1-ARIN (the messages' first template), and
   * lets it go once both wait: one inside its transaction on the POC, the other on the first.
   */
  async function bothAtOnce(runs: () => Promise<void>[]): Promise<void> {
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    const locks = await watchLockWaits(url);
    let started: Promise<void>[] = [];
    try {
      await blocker.query('BEGIN');
      await blocker.query("SELECT 1 FROM pocs WHERE handle = 'DEMO1-ARIN' FOR NO KEY UPDATE");
      started = runs();
      await until('both runs wait', async () => (await locks.waiting()) >= 2);
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
      await locks.end();
    }
    await Promise.all(started);
  }

  it('recording the signature costs no statement: a signed message sends as many as the same work by API key', async () => {
    const signed = await store(database.db, await signedMessage('COUNTED-DKIM'));
    const keyed = await store(
      database.db,
      Buffer.from(mail({ subject: `POC changes ${DEMO_API_KEY}`, body: pocChanges('COUNTED-KEY') })),
    );
    const recorder = recordStatements();
    try {
      const bySignature = await recorder.during(() => processSubmission(ctx, signed));
      const byKey = await recorder.during(() => processSubmission(ctx, keyed));
      for (const id of [signed, keyed]) {
        expect((await templateRows(database.db, id)).map((r) => r.outcome)).toEqual(['approved', 'approved']);
      }
      expect(bySignature.sent.filter((s) => /used_dkim_signatures/.test(s))).toHaveLength(1);
      expect(byKey.sent.filter((s) => /used_dkim_signatures/.test(s))).toHaveLength(0);
      expect(bySignature.sent.length).toBe(byKey.sent.length);
    } finally {
      recorder.restore();
    }
  });

  it('two copies of one signed message, run by two workers at once: one applied, the other refused', async () => {
    const signed = await signedMessage('TWINS');
    const one = await store(database.db, resent(signed, 'relay-a.example'));
    const two = await store(database.db, resent(signed, 'relay-b.example'));
    expect(one).not.toBe(two);

    await bothAtOnce(() => [processSubmission(ctx, one), processSubmission(workerContext(database.db), two)]);

    const outcomes = await Promise.all(
      [one, two].map(async (id) => ({
        id,
        refusal: (await submissionOf(database.db, id))?.refusalCode ?? null,
        templates: (await templateRows(database.db, id)).map((r) => r.outcome),
      })),
    );
    const applied = outcomes.filter((o) => o.refusal === null);
    const refused = outcomes.filter((o) => o.refusal !== null);
    expect(applied).toHaveLength(1);
    expect(applied[0]!.templates).toEqual(['approved', 'approved']);
    expect(refused).toEqual([{ id: expect.any(String), refusal: 'E_REPLAYED_SIGNATURE', templates: [] }]);
    expect((await submissionOf(database.db, refused[0]!.id))?.refusalMessage).toContain(
      `submission ${applied[0]!.id}`,
    );
    expect(await pocsNamed(database.db, 'Role TWINS')).toBe(1);
    for (const id of [one, two]) expect(await repliesTo(database.db, id)).toBe(1);
  });

  it('one submission run twice at once (a stalled job taken over) is no replay: applied once, answered once', async () => {
    const id = await store(database.db, await signedMessage('TAKEN-OVER'));

    await bothAtOnce(() => [processSubmission(ctx, id), processSubmission(workerContext(database.db), id)]);

    expect(await submissionOf(database.db, id)).toMatchObject({ state: 'done', refusalCode: null });
    expect((await templateRows(database.db, id)).map((r) => r.outcome)).toEqual(['approved', 'approved']);
    expect(await pocsNamed(database.db, 'Role TAKEN-OVER')).toBe(1);
    expect(await repliesTo(database.db, id)).toBe(1);
  });
});

describe.each(BACKENDS)('a job run again after a failed run (%s)', (kind) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await seeded(kind);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('applies the message normally: its signature, recorded by the undone run, was undone with it', async () => {
    const ctx = workerContext(database.db);
    const id = await store(database.db, await signedMessage('RETRIED'));
    // The message's last write fails (as a lost connection or a full disk would), after its
    // templates ran and its signature was claimed: the whole transaction is undone, twice (the
    // second run is the one with savepoints), and the job fails.
    await database.db.execute(
      sql.raw(`CREATE FUNCTION fail_in_test() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'disk full (test)'; END $$`),
    );
    await database.db.execute(
      sql.raw(
        'CREATE TRIGGER fail_in_test BEFORE INSERT ON submission_templates FOR EACH ROW EXECUTE FUNCTION fail_in_test()',
      ),
    );
    try {
      await expect(processSubmission(ctx, id)).rejects.toThrow();
    } finally {
      await database.db.execute(sql.raw('DROP TRIGGER fail_in_test ON submission_templates'));
      await database.db.execute(sql.raw('DROP FUNCTION fail_in_test()'));
    }
    expect(await database.db.select().from(tables.usedDkimSignatures)).toEqual([]);
    expect(await pocsNamed(database.db, 'Role RETRIED')).toBe(0);

    // The job's next attempt.
    await processSubmission(ctx, id);
    expect(await submissionOf(database.db, id)).toMatchObject({ state: 'done', refusalCode: null });
    expect((await templateRows(database.db, id)).map((r) => r.outcome)).toEqual(['approved', 'approved']);
    expect(await pocsNamed(database.db, 'Role RETRIED')).toBe(1);
    expect((await database.db.select().from(tables.usedDkimSignatures)).map((r) => r.submissionId)).toEqual([
      id,
    ]);
    expect(await repliesTo(database.db, id)).toBe(1);
  });
});
