/**
 * New POCs' numbers are reserved before the message's transaction: every ISP's billing system
 * creates `NOC` and `ABUSE` role POCs, and a counter row bumped inside a transaction stays locked
 * until that transaction commits, so messages creating them used to take turns. Numbering per
 * stem is what it was (NOC1, NOC2, ...); a reserved handle that turns out taken falls back to the
 * counter.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, tables } from '../../src/db/index.ts';
import {
  allocateTicketNumbers,
  createPoc,
  type PocInput,
  reservePocHandles,
  takeMessageNumbers,
} from '../../src/registry/index.ts';
import { BACKENDS, type TestDatabase } from '../support/databases.ts';
import { recordStatements } from '../support/statement-recorder.ts';
import { applied, customer, homeAddress, inTransaction, openDemoDatabase } from './support.ts';

const role = (lastName: string): PocInput => ({
  contactType: 'role',
  lastName,
  address: homeAddress,
  officePhones: ['+1-555-0120'],
  emails: ['noc@example.net'],
  publicComments: [],
});
const NOC = role('Network Operations Center');
const ABUSE = role('Abuse');

describe.each(BACKENDS)('POC handle reservations on %s', (kind) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await openDemoDatabase(kind);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('hands out per-stem numbers in order, and the counter carries on after them', async () => {
    const reserved = await reservePocHandles(database.db, [NOC, ABUSE, NOC]);
    const handles = await inTransaction(database.db, async (tx) => {
      const context = { ...customer, reservedHandles: reserved };
      const made: string[] = [];
      for (const poc of [NOC, NOC, ABUSE, NOC]) {
        made.push(applied(await createPoc(tx, context, poc)).handles['poc']!);
      }
      return made;
    });
    // Three reserved (NOC1, NOC2, ABUSE1); the fourth NOC was not, and bumps the counter itself.
    expect(handles).toEqual(['NOC1-ARIN', 'NOC2-ARIN', 'ABUSE1-ARIN', 'NOC3-ARIN']);
  });

  it("takes a message's ticket numbers and POC numbers in one statement", async () => {
    const before = await allocateTicketNumbers(database.db, 1);
    const recorder = recordStatements();
    try {
      const { result, sent } = await recorder.during(() =>
        takeMessageNumbers(database.db, 3, [role('Peering'), role('Peering')]),
      );
      // PGlite does not go through pg: only PostgreSQL's statements are counted.
      if (kind === 'postgres') expect(sent).toHaveLength(1);
      const serial = (ticket: string) => Number(ticket.slice(-7));
      expect(result.tickets.map(serial)).toEqual([1, 2, 3].map((i) => serial(before[0]!) + i));
      expect(result.handles.take({ counter: 'poc:PEERI', prefix: 'PEERI', suffix: '-ARIN' })).toBe(
        'PEERI1-ARIN',
      );
      expect(result.handles.take({ counter: 'poc:PEERI', prefix: 'PEERI', suffix: '-ARIN' })).toBe(
        'PEERI2-ARIN',
      );
      expect(result.handles.take({ counter: 'poc:PEERI', prefix: 'PEERI', suffix: '-ARIN' })).toBeUndefined();
    } finally {
      recorder.restore();
    }
  });

  it('falls back to the counter when the reserved handle is already taken', async () => {
    const reserved = await reservePocHandles(database.db, [role('Hostmaster')]);
    // Someone (a seed file, staff) took the number in between.
    await database.db.insert(tables.pocs).values({
      handle: 'HOSTM1-ARIN',
      kind: 'role',
      lastName: 'Hostmaster',
      street: ['1 Main St'],
      city: 'Reston',
      country: 'US',
      phones: [],
      emails: ['h@example.net'],
    });
    const made = await inTransaction(database.db, async (tx) =>
      applied(await createPoc(tx, { ...customer, reservedHandles: reserved }, role('Hostmaster'))),
    );
    expect(made.handles['poc']).toBe('HOSTM2-ARIN');
  });

  it.runIf(kind === 'postgres')(
    'a transaction that created a POC from a reservation leaves the counter row free',
    async () => {
      const reserved = await reservePocHandles(database.db, [NOC]);
      await inTransaction(database.db, async (tx) => {
        applied(await createPoc(tx, { ...customer, reservedHandles: reserved }, NOC));
        // Another message's reservation, on another connection, while this one is still open:
        // with the counter bumped in here, it would wait until this transaction ends.
        const other = await database.db.transaction(async (tx2) => {
          await tx2.execute(sql`SET LOCAL lock_timeout = '2s'`);
          return queryRows<{ last: string }>(
            tx2,
            sql`UPDATE ${tables.handleCounters} SET last = last + 1 WHERE name = 'poc:NOC' RETURNING last`,
          );
        });
        expect(other).toHaveLength(1);
      });
    },
  );
});
