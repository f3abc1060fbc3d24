/**
 * Several workers apply templates at once against one PostgreSQL server. Two customers asking
 * for overlapping space at the same moment must not both get it, and two changes to one POC
 * must both survive.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimpleReassignment, findPoc, modifyPoc } from '../../src/registry/index.ts';
import type { TestDatabase } from '../support/databases.ts';
import { customer, homeAddress, inTransaction, openDemoDatabase, range } from './support.ts';

describe('concurrent transactions on postgres', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openDemoDatabase('postgres');
  });
  afterAll(async () => {
    await database?.close();
  });

  it('gives overlapping space to one of two simultaneous reassignments, and refuses the other', async () => {
    const results = await Promise.all(
      ['198.51.100.0/29', '198.51.100.0/28', '198.51.100.8/29', '198.51.100.0/27'].map((text) =>
        inTransaction(database.db, async (tx) => {
          const outcome = await createSimpleReassignment(tx, customer, {
            range: range(text),
            originAs: [],
            customer: { name: `Race ${text}`, privateResidence: false, address: homeAddress },
            publicComments: [],
          });
          // Hold the transaction open a moment, as a worker doing more work would.
          await new Promise((r) => setTimeout(r, 100));
          return outcome;
        }),
      ),
    );
    const won = results.filter((r) => r.ok);
    const lost = results.filter((r) => !r.ok);
    // /29 + /29 (the two halves of the /28) may both win; anything that overlaps a winner loses.
    expect(won.length).toBeGreaterThanOrEqual(1);
    for (const r of lost) expect(!r.ok && r.error.code).toBe('E_OVERLAP');
    const nets = await database.db.query.nets.findMany({
      where: (n, { eq }) => eq(n.parentHandle, 'NET-198-51-100-0-1'),
    });
    const ranges = nets.map((n) => [n.startAddress, n.endAddress] as const);
    for (let i = 0; i < ranges.length; i++) {
      for (let j = i + 1; j < ranges.length; j++) {
        const [a, b] = [ranges[i]!, ranges[j]!];
        expect(a[0] <= b[1] && b[0] <= a[1], `${nets[i]!.handle} overlaps ${nets[j]!.handle}`).toBe(false);
      }
    }
  });

  it('keeps both of two simultaneous changes to one POC', async () => {
    await Promise.all([
      inTransaction(database.db, async (tx) => {
        const r = await modifyPoc(tx, customer, 'DEMO1-ARIN', { city: 'Reston' });
        await new Promise((resolve) => setTimeout(resolve, 100));
        return r;
      }),
      inTransaction(database.db, async (tx) => {
        const r = await modifyPoc(tx, customer, 'DEMO1-ARIN', { companyName: 'Demo ISP Holdings' });
        await new Promise((resolve) => setTimeout(resolve, 100));
        return r;
      }),
    ]);
    const poc = await findPoc(database.db, 'DEMO1-ARIN');
    expect(poc).toMatchObject({ city: 'Reston', company: 'Demo ISP Holdings' });
  });
});
