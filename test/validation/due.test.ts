/**
 * "Is this POC due?" has one SQL condition (src/validation/due.ts), which the round mails by and
 * the console counts by; rules.ts `isDue` states the rule on values. Here both answer the same
 * cases, one POC per case, on PGlite and PostgreSQL.
 */
import { asc, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { dueCondition } from '../../src/validation/due.ts';
import { addDays, isDue } from '../../src/validation/rules.ts';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.ts';

const AS_OF = new Date('2028-03-01T00:00:00Z');
const ago = (days: number) => addDays(AS_OF, -days);

interface DueCase {
  readonly handle: string;
  readonly createdAt: Date;
  readonly validatedAt?: Date;
  readonly emails: readonly string[];
  readonly state?: 'valid' | 'pending' | 'invalid';
  /** Validation mails sent to it, by days before AS_OF. */
  readonly asked?: readonly number[];
}

const CASES: readonly DueCase[] = [
  { handle: 'NEW1-ARIN', createdAt: ago(10), emails: ['a@x.example'] },
  { handle: 'YEAR1-ARIN', createdAt: ago(365), emails: ['a@x.example'] },
  { handle: 'YEARLESS1-ARIN', createdAt: ago(364), emails: ['a@x.example'] },
  { handle: 'OLD1-ARIN', createdAt: ago(900), emails: ['a@x.example', 'A@X.example'] },
  { handle: 'NOMAIL1-ARIN', createdAt: ago(900), emails: [] },
  { handle: 'VALID1-ARIN', createdAt: ago(900), validatedAt: ago(100), emails: ['a@x.example'] },
  { handle: 'VALIDOLD1-ARIN', createdAt: ago(900), validatedAt: ago(400), emails: ['a@x.example'] },
  { handle: 'ASKED1-ARIN', createdAt: ago(900), emails: ['a@x.example'], state: 'pending', asked: [30] },
  { handle: 'ASKEDYEAR1-ARIN', createdAt: ago(900), emails: ['a@x.example'], state: 'invalid', asked: [365] },
  {
    handle: 'ASKEDLONG1-ARIN',
    createdAt: ago(900),
    emails: ['a@x.example'],
    state: 'invalid',
    asked: [500, 200],
  },
  // Pending still, its answer period long over (no round ran since): the next round makes it
  // invalid, then asks again.
  { handle: 'STALE1-ARIN', createdAt: ago(900), emails: ['a@x.example'], state: 'pending', asked: [400] },
];

describe.each(BACKENDS)('whether a POC is due: the SQL condition and the rule on values (%s)', (backend) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase(backend);
    for (const c of CASES) {
      await database.db.insert(tables.pocs).values({
        handle: c.handle,
        kind: 'person',
        lastName: c.handle,
        emails: [...c.emails],
        createdAt: c.createdAt,
        validatedAt: c.validatedAt ?? null,
        validationState: c.state ?? 'valid',
      });
      for (const [i, days] of (c.asked ?? []).entries()) {
        await database.db.insert(tables.pocValidations).values({
          round: `r${i}`,
          pocHandle: c.handle,
          messageId: `<${c.handle}.${i}@test>`,
          tokenDigest: `${c.handle}.${i}`,
          recipients: [...c.emails],
          sentAt: ago(days),
          deadline: ago(days - 60),
          state: days > 60 ? 'expired' : 'pending',
        });
      }
    }
  }, 120_000);
  afterAll(async () => {
    await database?.close();
  });

  it('answer the same for every case', async () => {
    const rows = await database.db
      .select({ handle: tables.pocs.handle, due: sql<boolean>`(${dueCondition(AS_OF)})` })
      .from(tables.pocs)
      .orderBy(asc(tables.pocs.handle));
    const bySql = new Map(rows.map((r) => [r.handle, r.due]));
    const byRule = new Map(
      CASES.map((c) => {
        const asked = (c.asked ?? []).map(ago).sort((a, b) => b.getTime() - a.getTime());
        const facts = {
          validatedAt: c.validatedAt ?? null,
          createdAt: c.createdAt,
          lastAskedAt: asked[0] ?? null,
          reachable: new Set(c.emails.map((e) => e.toLowerCase())).size,
        };
        return [c.handle, isDue(facts, AS_OF)] as const;
      }),
    );
    expect(bySql).toEqual(byRule);
    // The cases are not all one answer.
    expect(new Set(bySql.values())).toEqual(new Set([true, false]));
    expect(bySql.get('STALE1-ARIN')).toBe(true);
  });
});
