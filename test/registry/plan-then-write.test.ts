/**
 * Without a savepoint (OperationOptions.withoutSavepoint, as a message's transaction runs it), a
 * simple reassignment that is refused has written nothing: every refusal, authority over the
 * parent included, comes before its one write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimpleReassignment } from '../../src/registry/index.ts';
import { fail, problem } from '../../src/shared/errors.ts';
import { customersNamed as customersNamedIn } from '../pipeline/support/outcomes.ts';
import { BACKENDS, type TestDatabase } from '../support/databases.ts';
import { recordStatements } from '../support/statement-recorder.ts';
import { customer, homeAddress, inTransaction, openDemoDatabase, range } from './support.ts';

const customerNamed = (name: string) => ({ name, privateResidence: false, address: homeAddress });

describe.each(BACKENDS)('a simple reassignment without a savepoint, on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openDemoDatabase(kind);
  });
  afterAll(async () => {
    await database?.close();
  });

  const customersNamed = (name: string) => customersNamedIn(database.db, name);

  it('is refused before anything is written, and sends no savepoint', async () => {
    const recorder = recordStatements();
    try {
      const { result, sent } = await recorder.during(() =>
        inTransaction(database.db, async (tx) => {
          const first = await createSimpleReassignment(
            tx,
            customer,
            {
              range: range('198.51.100.0/29'),
              originAs: [],
              customer: customerNamed('First'),
              publicComments: [],
            },
            { withoutSavepoint: true },
          );
          // The same range again: the placement finds the sibling and refuses.
          const second = await createSimpleReassignment(
            tx,
            customer,
            {
              range: range('198.51.100.0/29'),
              originAs: [],
              customer: customerNamed('Second'),
              publicComments: [],
            },
            { withoutSavepoint: true },
          );
          return { first, second };
        }),
      );
      expect(result.first.ok && result.first.value.status).toBe('applied');
      expect(!result.second.ok && result.second.error.code).toBe('E_OVERLAP');
      expect(await customersNamed('First')).toBe(1);
      expect(await customersNamed('Second')).toBe(0);
      // PGlite does not go through pg: only PostgreSQL's statements are seen.
      if (kind === 'postgres') expect(sent.filter((s) => /^savepoint/i.test(s))).toEqual([]);
    } finally {
      recorder.restore();
    }
  });

  it('refuses a requester without authority over the parent before writing anything', async () => {
    const result = await inTransaction(database.db, (tx) =>
      createSimpleReassignment(
        tx,
        customer,
        {
          range: range('198.51.100.8/29'),
          originAs: [],
          customer: customerNamed('Third'),
          publicComments: [],
        },
        {
          withoutSavepoint: true,
          delegation: {
            accountId: -1,
            grants: { orgAdmin: false, orgTech: false, netTech: false },
            verdict: () => fail(problem('E_NOT_AUTHORIZED', 'not yours')),
          },
        },
      ),
    );
    expect(!result.ok && result.error.code).toBe('E_NOT_AUTHORIZED');
    expect(await customersNamed('Third')).toBe(0);
  });
});
