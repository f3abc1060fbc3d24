/**
 * Staff accounts and the dismissal, on both backends: the `staff add` command, sign-in and its
 * lock-out, and two staff racing to close one rejection (one wins, the other is told).
 */
import { PassThrough, Readable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffCommand } from '../../src/commands/staff.ts';
import { type Config, loadConfig } from '../../src/config/index.ts';
import { dismiss } from '../../src/console/actions.ts';
import {
  DEFAULT_SIGN_IN_THROTTLE,
  memoryAttemptCounter,
  signInThrottle,
} from '../../src/console/sign-in-throttle.ts';
import { createStaffUser, type StaffUser, signIn } from '../../src/console/staff-accounts.ts';
import { tables } from '../../src/db/index.ts';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { seedRejectedSubmission } from './support/rows.ts';

const freshThrottle = () => signInThrottle(memoryAttemptCounter());

function output(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk) => {
    text += chunk.toString();
  });
  return { stream, text: () => text };
}

describe('hostmasterd staff add (PostgreSQL, as an operator runs it)', () => {
  let handle: TestDatabase;
  let config: Config;
  beforeAll(async () => {
    handle = await openTestDatabase('postgres');
    config = loadConfig({ DATABASE_URL: handle.target.kind === 'postgres' ? handle.target.url : '' });
  });
  afterAll(async () => handle?.close());

  it('prints a one-time password when none is piped, and takes one from stdin otherwise', async () => {
    const out = output();
    const code = await staffCommand(['add', 'Dana@Registry.example'], {
      config,
      stdout: out.stream,
      stderr: output().stream,
      stdin: Readable.from([]),
    });
    expect(code).toBe(0);
    const otp = /one-time password: (\S+)/.exec(out.text())?.[1];
    expect(otp).toBeDefined();
    const signedIn = await signIn(handle.db, 'dana@registry.example', otp!, '127.0.0.1', freshThrottle());
    expect(signedIn).toMatchObject({ ok: true, value: { mustChangePassword: true } });

    const piped = await staffCommand(['add', 'erin@registry.example'], {
      config,
      stdout: output().stream,
      stderr: output().stream,
      stdin: Readable.from(['a chosen passphrase\n']),
    });
    expect(piped).toBe(0);
    expect(
      await signIn(handle.db, 'erin@registry.example', 'a chosen passphrase', '127.0.0.1', freshThrottle()),
    ).toMatchObject({
      ok: true,
      value: { mustChangePassword: false },
    });
  });

  it('refuses a second account for one address and a weak piped password, with a sentence', async () => {
    const err = output();
    const again = await staffCommand(['add', 'dana@registry.example'], {
      config,
      stdout: output().stream,
      stderr: err.stream,
      stdin: Readable.from([]),
    });
    expect(again).toBe(73);
    expect(err.text()).toContain('E_STAFF_EXISTS: a staff account for dana@registry.example already exists');
    const weak = output();
    expect(
      await staffCommand(['add', 'frank@registry.example'], {
        config,
        stdout: output().stream,
        stderr: weak.stream,
        stdin: Readable.from(['short\n']),
      }),
    ).toBe(65);
    expect(weak.text()).toContain('E_WEAK_PASSWORD: a password needs at least 12 characters');
    expect(
      // Not a verb of ours (staff add, list and remove are): usage.
      await staffCommand(['delete', 'x'], {
        config,
        stdout: output().stream,
        stderr: output().stream,
        stdin: Readable.from([]),
      }),
    ).toBe(64);
  });
});

describe.each(BACKENDS)('staff on %s', (backend) => {
  let handle: TestDatabase;
  let alice: StaffUser;
  let bob: StaffUser;
  const config = loadConfig({});

  beforeAll(async () => {
    handle = await openTestDatabase(backend);
    const a = await createStaffUser(handle.db, 'alice@registry.example', 'wonderland rabbit hole', {
      oneTime: false,
    });
    const b = await createStaffUser(handle.db, 'bob@registry.example', 'builder of many things', {
      oneTime: false,
    });
    if (!a.ok || !b.ok) throw new Error('could not create staff');
    alice = a.value;
    bob = b.value;
  });
  afterAll(async () => handle?.close());

  it('answers a wrong password and an unknown address alike, and makes an address wait past its free tries', async () => {
    const throttle = signInThrottle(memoryAttemptCounter(), {
      ...DEFAULT_SIGN_IN_THROTTLE,
      perAddress: { freeAttempts: 3, firstDelayMs: 60_000, maxDelayMs: 60_000, forgetAfterMs: 60_000 },
    });
    const unknown = await signIn(handle.db, 'nobody@registry.example', 'whatever', '127.0.0.1', throttle);
    const wrong = await signIn(handle.db, 'bob@registry.example', 'whatever', '127.0.0.1', throttle);
    expect(unknown).toEqual(wrong);
    expect(wrong).toMatchObject({ ok: false, error: { code: 'E_SIGN_IN_FAILED' } });
    // A success clears the count.
    expect(
      (await signIn(handle.db, 'BOB@registry.example', 'builder of many things', '127.0.0.1', throttle)).ok,
    ).toBe(true);
    // Three free tries, and the fourth makes the address wait.
    for (let i = 0; i < 4; i++)
      await signIn(handle.db, 'bob@registry.example', `wrong ${i}`, '127.0.0.1', throttle);
    const waiting = await signIn(
      handle.db,
      'bob@registry.example',
      'builder of many things',
      '127.0.0.1',
      throttle,
    );
    expect(waiting).toMatchObject({ ok: false, error: { code: 'E_SIGN_IN_THROTTLED' } });
    const wait = waiting.ok ? 0 : (waiting.error.retryAfterSeconds ?? 0);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    const attempts = await handle.db
      .select()
      .from(tables.staffLoginAttempts)
      .where(eq(tables.staffLoginAttempts.email, 'bob@registry.example'));
    expect(attempts).toHaveLength(7);
  });

  it('lets one of two racing staff dismiss a rejection and tells the other who did', async () => {
    const seeded = await seedRejectedSubmission(handle.db, {
      from: 'billing@cust.example',
      subject: 'race',
      range: '198.51.100.0/29',
      netName: 'RACE',
      error: { code: 'E_NO_PARENT_NET', message: 'no parent' },
    });
    const ctx = { db: handle.db, config, queue: undefined, events: undefined, jobTimeoutMs: 1_000 };
    const results = await Promise.all([
      dismiss(ctx, alice, seeded.rejectionId, { note: 'duplicate of a ticket', answer: '' }),
      dismiss(ctx, bob, seeded.rejectionId, { note: 'spam', answer: 'go away' }),
    ]);
    expect(results.map((r) => r.kind).sort()).toEqual(['error', 'ok']);
    const loser = results.find((r) => r.kind === 'error')!;
    expect(loser.text).toMatch(
      new RegExp(
        `^Rejection ${seeded.rejectionId} is already dismissed by (alice|bob)@registry.example at .+; nothing was done`,
      ),
    );
    const audit = await handle.db
      .select()
      .from(tables.auditLog)
      .where(eq(tables.auditLog.objectHandle, String(seeded.rejectionId)));
    expect(audit).toHaveLength(1);
    const answers = await handle.db
      .select()
      .from(tables.outbox)
      .where(eq(tables.outbox.submissionId, seeded.submissionId));
    expect(answers).toHaveLength(audit[0]!.actor === 'staff:bob@registry.example' ? 1 : 0);
  });

  it('answers a sender whose address and subject hold a key without showing it in the answer or the sentence', async () => {
    const shaped = 'API_7F3A_9C2E_B41D_58E6@cust.example';
    const seeded = await seedRejectedSubmission(handle.db, {
      from: shaped,
      subject: 'SWIP key 7F3A 9C2E B41D 58E6',
      range: '198.51.100.0/29',
      netName: 'SHAPED',
      error: { code: 'E_NO_PARENT_NET', message: 'no parent' },
    });
    const ctx = { db: handle.db, config, queue: undefined, events: undefined, jobTimeoutMs: 1_000 };
    const done = await dismiss(ctx, alice, seeded.rejectionId, {
      note: 'answered',
      answer: 'Your key AP1-7F3A-9C2E-B41D-58E6 goes on line 00.',
    });
    expect(done.kind).toBe('ok');
    const secret = (text: string) =>
      text
        .toUpperCase()
        .replace(/[^0-9A-F]/g, '')
        .includes('7F3A9C2EB41D');
    expect(secret(done.text), done.text).toBe(false);
    const [answer] = await handle.db
      .select()
      .from(tables.outbox)
      .where(eq(tables.outbox.submissionId, seeded.submissionId));
    // Delivered to the address as written; no header or line of the mail shows the key.
    expect(answer?.recipients).toEqual([shaped.toLowerCase()]);
    expect(secret(answer!.raw), answer!.raw).toBe(false);
    expect(answer!.raw).toMatch(/^To: "?undisclosed-recipients"?:;/m);
    expect(answer!.raw).toContain('API-****-****-****-58E6');
  });

  it('keeps a rejection open when the answer cannot be sent, and needs a note', async () => {
    const seeded = await seedRejectedSubmission(handle.db, {
      from: 'hostmaster@localhost',
      subject: 'loop',
      range: '198.51.100.0/29',
      netName: 'LOOP',
      error: { code: 'E_NO_PARENT_NET', message: 'no parent' },
    });
    const ctx = { db: handle.db, config, queue: undefined, events: undefined, jobTimeoutMs: 1_000 };
    expect(await dismiss(ctx, alice, seeded.rejectionId, { note: '  ', answer: '' })).toEqual({
      kind: 'error',
      text: 'write a note: it goes to the audit log with your name',
    });
    const refused = await dismiss(ctx, alice, seeded.rejectionId, { note: 'n', answer: 'hello' });
    expect(refused.text).toBe(
      'Not dismissed: the sender hostmaster@localhost is our own address: an answer would loop. Dismiss without an answer, or answer by hand.',
    );
    const [row] = await handle.db
      .select()
      .from(tables.rejections)
      .where(eq(tables.rejections.id, seeded.rejectionId));
    expect(row?.state).toBe('open');
  });
});
