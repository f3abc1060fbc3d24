/**
 * Tickets (unique, increasing per day, not gap-free, even with many workers at once) and accounts with their
 * API keys (kept only as digests; right, wrong and revoked keys).
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, tables } from '../../src/db/index.ts';
import {
  accountPocHandles,
  allocateTicketNumber,
  apiKeyDigest,
  closeTicket,
  createAccount,
  DEMO_API_KEY,
  DEMO_SENDER,
  findAccountByApiKey,
  findAccountsByEmail,
  issueApiKey,
  issueTicket,
  OTHER_API_KEY,
  revokeApiKey,
  TICKET_NUMBER,
  ticketByNumber,
} from '../../src/registry/index.ts';
import { BACKENDS, type TestDatabase } from '../support/databases.ts';
import { inTransaction, openDemoDatabase, staff } from './support.ts';

describe.each(BACKENDS)('tickets on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openDemoDatabase(kind);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('numbers tickets YYYYMMDD-X<7 digits>, counting from 1 each day', async () => {
    const day1 = new Date('2026-11-22T23:59:00Z');
    const day2 = new Date('2026-11-23T00:00:01Z');
    const numbers = await inTransaction(database.db, async (tx) => [
      await issueTicket(tx, { status: 'approved', resolution: 'applied', now: day1 }),
      await issueTicket(tx, { status: 'rejected', now: day1 }),
      await issueTicket(tx, { status: 'pending_review', now: day2 }),
    ]);
    expect(numbers).toEqual(['20261122-X0000001', '20261122-X0000002', '20261123-X0000001']);
    expect(numbers.every((n) => TICKET_NUMBER.test(n))).toBe(true);
    expect(await ticketByNumber(database.db, '20261122-X0000001')).toMatchObject({
      status: 'approved',
      resolution: 'applied',
      closedAt: expect.any(Date),
    });
    expect((await ticketByNumber(database.db, '20261123-X0000001'))?.closedAt).toBeNull();
  });

  it('closes a pending ticket once, with the staff decision', async () => {
    const closed = await inTransaction(database.db, (tx) =>
      closeTicket(tx, '20261123-X0000001', { status: 'approved', resolution: 'approved by staff' }),
    );
    expect(closed.ok && closed.value).toMatchObject({ status: 'approved', resolution: 'approved by staff' });
    const again = await inTransaction(database.db, (tx) =>
      closeTicket(tx, '20261123-X0000001', { status: 'rejected' }),
    );
    expect(!again.ok && again.error.code).toBe('E_TICKET_CLOSED');
    const missing = await inTransaction(database.db, (tx) =>
      closeTicket(tx, '20261124-X0000001', { status: 'closed' }),
    );
    expect(!missing.ok && missing.error.code).toBe('E_OBJECT_NOT_FOUND');
  });

  it('gives unique numbers, increasing in the order taken, to transactions running in parallel', async () => {
    const now = new Date('2027-01-05T12:00:00Z');
    const perTransaction = await Promise.all(
      Array.from({ length: 12 }, () =>
        (async () => {
          const mine: string[] = [];
          for (let i = 0; i < 3; i++) {
            // As the worker does: the number first, in a statement of its own, then the transaction.
            const number = await allocateTicketNumber(database.db, now);
            await inTransaction(database.db, async (tx) => {
              await issueTicket(tx, { number, status: 'approved', now });
              await tx.execute(sql`select pg_sleep(0.005)`);
            });
            mine.push(number);
          }
          return mine;
        })(),
      ),
    );
    for (const mine of perTransaction) expect([...mine].sort()).toEqual(mine);
    const all = perTransaction.flat();
    expect([...all].sort()).toEqual(
      Array.from({ length: 36 }, (_, i) => `20270105-X${String(i + 1).padStart(7, '0')}`),
    );
    const stored = await queryRows<{ n: string | number }>(
      database.db,
      sql`select count(*) as n from tickets where number like '20270105-%'`,
    );
    expect(Number(stored[0]?.n)).toBe(36);
  });

  it('does not hold the day counter while a transaction runs: a second number is taken meanwhile', async () => {
    const now = new Date('2027-01-06T12:00:00Z');
    const first = await allocateTicketNumber(database.db, now);
    const second = await inTransaction(database.db, async (tx) => {
      await issueTicket(tx, { number: first, status: 'approved', now });
      // On PostgreSQL a counter bumped inside this transaction would block this until commit;
      // PGlite has one connection, so there only the order is checked.
      return kind === 'postgres' ? allocateTicketNumber(database.db, now) : '20270106-X0000002';
    });
    expect([first, second]).toEqual(['20270106-X0000001', '20270106-X0000002']);
  });

  it('loses the number of a transaction that rolled back: unique and increasing, not gap-free', async () => {
    const now = new Date('2027-02-01T00:00:00Z');
    const lost = await allocateTicketNumber(database.db, now);
    await expect(
      inTransaction(database.db, async (tx) => {
        await issueTicket(tx, { number: lost, status: 'approved', now });
        throw new Error('worker crashed');
      }),
    ).rejects.toThrow('worker crashed');
    expect(lost).toBe('20270201-X0000001');
    expect(await ticketByNumber(database.db, lost)).toBeUndefined();
    const next = await allocateTicketNumber(database.db, now);
    expect(
      await inTransaction(database.db, (tx) => issueTicket(tx, { number: next, status: 'approved', now })),
    ).toBe('20270201-X0000002');
  });
});

describe.each(BACKENDS)('accounts and API keys on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openDemoDatabase(kind);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('finds the demo account by its key and by its sender address, with its POCs', async () => {
    const byKey = await findAccountByApiKey(database.db, DEMO_API_KEY);
    expect(byKey.ok && byKey.value).toMatchObject({
      name: 'demo-isp',
      emails: [DEMO_SENDER],
      pocHandles: ['DEMO1-ARIN'],
    });
    // Keys are compared case-insensitively, as senders type them.
    const lower = await findAccountByApiKey(database.db, ` ${DEMO_API_KEY.toLowerCase()} `);
    expect(lower.ok && lower.value.name).toBe('demo-isp');
    const other = await findAccountByApiKey(database.db, OTHER_API_KEY);
    expect(other.ok && other.value.name).toBe('other-isp');
    const byEmail = await findAccountsByEmail(database.db, 'NOC@Demo-ISP.example');
    expect(byEmail.map((a) => a.name)).toEqual(['demo-isp']);
    expect(await accountPocHandles(database.db, byEmail[0]!.id)).toEqual(['DEMO1-ARIN']);
  });

  it('refuses a wrong key and a malformed one, saying which', async () => {
    const wrong = await findAccountByApiKey(database.db, 'API-DE70-0000-0000-0009');
    expect(!wrong.ok && wrong.error).toMatchObject({
      code: 'E_UNKNOWN_API_KEY',
      message: expect.not.stringContaining('DE70-0000-0000'),
    });
    const malformed = await findAccountByApiKey(database.db, 'API-XYZ');
    expect(!malformed.ok && malformed.error.code).toBe('E_INVALID_API_KEY');
  });

  it('issues a random key shown once, stores only its SHA-256 digest and a redacted display, and refuses it once revoked', async () => {
    const { key, accountId } = await inTransaction(database.db, async (tx) => {
      const account = await createAccount(tx, staff, {
        name: 'acme',
        emails: ['Hostmaster@ACME.example', 'noc@acme.example'],
        pocHandles: ['demo1-arin'],
      });
      if (!account.ok) throw new Error(account.error.message);
      const issued = await issueApiKey(tx, account.value.id);
      if (!issued.ok) throw new Error(issued.error.message);
      return { key: issued.value, accountId: account.value.id };
    });
    expect(key).toMatch(/^API-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}$/);
    expect(apiKeyDigest(key)).toBe(createHash('sha256').update(key).digest('hex'));
    const stored = await queryRows<Record<string, unknown>>(
      database.db,
      sql`select * from api_keys where account_id = ${accountId}`,
    );
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(key);
    expect(stored[0]).toMatchObject({
      digest: apiKeyDigest(key),
      display: `API-****-****-****-${key.slice(-4)}`,
    });
    const found = await findAccountByApiKey(database.db, key);
    expect(found.ok && found.value).toMatchObject({
      id: accountId,
      emails: ['hostmaster@acme.example', 'noc@acme.example'],
      pocHandles: ['DEMO1-ARIN'],
    });
    // Two accounts may list the same POC; the sender address finds its own account.
    expect((await findAccountsByEmail(database.db, 'hostmaster@acme.example')).map((a) => a.id)).toEqual([
      accountId,
    ]);

    const revoked = await inTransaction(database.db, (tx) => revokeApiKey(tx, staff, key));
    expect(revoked.ok).toBe(true);
    const refused = await findAccountByApiKey(database.db, key);
    expect(!refused.ok && refused.error.code).toBe('E_API_KEY_REVOKED');
    const audit = await database.db.select().from(tables.auditLog);
    expect(JSON.stringify(audit)).not.toContain(key);
    expect(audit.filter((a) => a.objectType === 'api_key').map((a) => a.action)).toEqual(
      expect.arrayContaining(['create', 'revoke']),
    );
  });

  it('refuses to store the same given key twice, a malformed given key, and an account with an unknown POC', async () => {
    const result = await inTransaction(database.db, async (tx) => ({
      duplicate: await issueApiKey(tx, 1, { key: DEMO_API_KEY }),
      malformed: await issueApiKey(tx, 1, { key: 'API-1234' }),
      unknownPoc: await createAccount(tx, staff, {
        name: 'ghost',
        emails: ['g@example.net'],
        pocHandles: ['GHOST1-ARIN'],
      }),
      duplicateName: await createAccount(tx, staff, {
        name: 'demo-isp',
        emails: ['x@example.net'],
        pocHandles: [],
      }),
    }));
    expect(!result.duplicate.ok && result.duplicate.error.code).toBe('E_DUPLICATE');
    expect(!result.malformed.ok && result.malformed.error.code).toBe('E_INVALID_API_KEY');
    expect(!result.unknownPoc.ok && result.unknownPoc.error.code).toBe('E_OBJECT_NOT_FOUND');
    expect(!result.duplicateName.ok && result.duplicateName.error.code).toBe('E_DUPLICATE');
  });
});
