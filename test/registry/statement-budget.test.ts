/**
 * How many SQL statements the hot paths send. Every statement is a round trip in the worker's
 * transaction (~150 µs of system calls plus query building), so their number is what a
 * template costs; these ceilings keep a lookup-then-lock or a query per level from creeping
 * back in unnoticed. Counted on PostgreSQL, where every statement goes through
 * `pg.Client.prototype.query` in this process (a one-statement path is pinned at exactly one, which
 * also proves the counting works). Lower is welcome: then lower the ceiling.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  identifyRequester,
  mayManageNet,
  mayManageOrg,
  mayReassignFrom,
  type Requester,
  type SenderVerdict,
} from '../../src/auth/index.ts';
import type { Transaction } from '../../src/db/index.ts';
import {
  createSimpleReassignment,
  DEMO_API_KEY,
  DEMO_SENDER,
  findParentNet,
  modifyPoc,
  type Outcome,
} from '../../src/registry/index.ts';
import type { Problem, Result } from '../../src/shared/errors.ts';
import type { TestDatabase } from '../support/databases.ts';
import { recordStatements, type StatementRecorder } from '../support/statement-recorder.ts';
import { customer, homeAddress, inTransaction, openDemoDatabase, range } from './support.ts';

const ALIGNED: SenderVerdict = {
  dkim: { result: 'pass', domains: ['demo-isp.example'] },
  spf: { result: 'pass' },
  aligned: true,
  fromAddress: DEMO_SENDER,
  temporary: false,
  summary: 'dkim=pass (demo-isp.example)',
};

describe('statements per operation on postgres', () => {
  let database: TestDatabase;
  let recorder: StatementRecorder;

  beforeAll(async () => {
    database = await openDemoDatabase('postgres');
    recorder = recordStatements();
  });
  afterAll(async () => {
    recorder?.restore();
    await database?.close();
  });

  /** Runs `work` in a transaction and answers its result and the statements it sent (not BEGIN/COMMIT). */
  async function counted<T>(work: (tx: Transaction) => Promise<T>): Promise<{ result: T; sent: string[] }> {
    return inTransaction(database.db, (tx) => recorder.during(() => work(tx)));
  }

  /** The statement texts, one line each, for a failure message that shows what was sent. */
  const listing = (sent: readonly string[]) =>
    sent.map((s) => s.replace(/\s+/g, ' ').slice(0, 120)).join('\n');

  async function demoRequester(): Promise<Requester> {
    const { result } = await counted((tx) =>
      identifyRequester(tx, { apiKeys: [DEMO_API_KEY], senderVerdict: ALIGNED, mode: 'dkim' }),
    );
    if (!result.ok) throw new Error(result.error.message);
    return result.value;
  }

  it('identifies a requester by API key, or by a verified sender address, in one statement', async () => {
    const byKey = await counted((tx) =>
      identifyRequester(tx, { apiKeys: [DEMO_API_KEY], senderVerdict: ALIGNED, mode: 'dkim' }),
    );
    expect(byKey.result.ok && byKey.result.value.via).toBe('api-key');
    expect(byKey.sent.length, listing(byKey.sent)).toBe(1);
    const bySender = await counted((tx) =>
      identifyRequester(tx, { apiKeys: [], fromAddress: DEMO_SENDER, senderVerdict: ALIGNED, mode: 'dkim' }),
    );
    expect(bySender.result.ok && bySender.result.value.via).toBe('sender');
    expect(bySender.sent.length, listing(bySender.sent)).toBe(1);
  });

  it('checks authority over a net, its parent chain or an org in one statement', async () => {
    const requester = await demoRequester();
    const expectAllowed = (result: Result<void, Problem>) =>
      expect(result).toEqual({ ok: true, value: undefined });
    const reassign = await counted((tx) => mayReassignFrom(tx, requester, 'NET6-2001-DB8-1'));
    expectAllowed(reassign.result);
    expect(reassign.sent.length, listing(reassign.sent)).toBe(1);
    const org = await counted((tx) => mayManageOrg(tx, requester, 'DEMOISP-1'));
    expectAllowed(org.result);
    expect(org.sent.length, listing(org.sent)).toBe(1);

    // A customer's net, managed through its parent: the walk up the chain is the same one statement.
    const made = await inTransaction(database.db, (tx) =>
      createSimpleReassignment(tx, customer, {
        range: range('2001:db8:200::/56'),
        originAs: [],
        customer: { name: 'Chain Walk', privateResidence: false, address: homeAddress },
        publicComments: [],
      }),
    );
    const net = made.ok && made.value.status === 'applied' ? made.value.handles['net'] : undefined;
    expect(net).toBeDefined();
    const manage = await counted((tx) => mayManageNet(tx, requester, net!));
    expectAllowed(manage.result);
    expect(manage.sent.length, listing(manage.sent)).toBe(1);
    const refused = await counted((tx) =>
      mayManageNet(tx, { ...requester, accountId: requester.accountId + 1000 }, net!),
    );
    expect(!refused.result.ok && refused.result.error.code).toBe('E_NOT_AUTHORIZED');
    expect(refused.sent.length, listing(refused.sent)).toBe(1);
  });

  it('creates a simple reassignment of a fresh IPv6 /56 in six statements, savepoint included', async () => {
    const { result, sent } = await counted(
      (tx): Promise<Result<Outcome>> =>
        createSimpleReassignment(tx, customer, {
          range: range('2001:db8:100::/56'),
          originAs: [64500],
          customer: { name: 'Budget Customer', privateResidence: false, address: homeAddress },
          publicComments: [],
        }),
    );
    expect(result.ok && result.value.status).toBe('applied');
    // savepoint; parent + key-share lock + overlapping child; customer with its new handle; audit;
    // net with its new handle; audit (the savepoint is not released: it ends with the transaction).
    expect(sent.length, listing(sent)).toBeLessThanOrEqual(6);
    const parent = await counted((tx) => findParentNet(tx, range('2001:db8:180::/56')));
    expect(parent.result?.handle).toBe('NET6-2001-DB8-1');
    expect(parent.sent.length, listing(parent.sent)).toBe(1);
  });

  it('modifies a POC reading and locking it in one statement', async () => {
    const { result, sent } = await counted((tx) => modifyPoc(tx, customer, 'DEMO1-ARIN', { city: 'Reston' }));
    expect(result.ok).toBe(true);
    // savepoint; POC FOR UPDATE; update; audit.
    expect(sent.length, listing(sent)).toBeLessThanOrEqual(4);
  });
});
