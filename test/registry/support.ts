/**
 * What registry tests share: a migrated database per backend with the demo registry loaded, and
 * shorthands for running an operation in its own committed transaction.
 */
import type { BackendKind, Database, Transaction } from '../../src/db/index.ts';
import { type IpRange, parseRange } from '../../src/ip/index.ts';
import { DEMO_SEED, type OperationContext, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';

export const customer: OperationContext = {
  actor: { kind: 'account', accountId: 1 },
  ticketNumber: '20250101-X0000001',
};
export const staff: OperationContext = { actor: { kind: 'staff', email: 'alice@registry.example' } };

export async function openDemoDatabase(kind: BackendKind): Promise<TestDatabase> {
  const handle = await openTestDatabase(kind);
  const doc = validateSeed(DEMO_SEED);
  if (!doc.ok) throw new Error(doc.error.map((p) => p.message).join('\n'));
  const seeded = await seedRegistry(handle.db, doc.value);
  if (!seeded.ok) throw new Error(seeded.error.message);
  return handle;
}

/** Runs `work` in a transaction of its own and commits it (operations roll back their own failures). */
export function inTransaction<T>(db: Database, work: (tx: Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => work(tx as unknown as Transaction));
}

export function range(text: string): IpRange {
  const parsed = parseRange(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

export const homeAddress = {
  street: ['12 Elm Street'],
  city: 'Springfield',
  state: 'VA',
  postalCode: '22150',
  country: 'US',
};

/** The applied outcome, or a test failure that shows the problem. */
export function applied(
  result: import('../../src/shared/errors.ts').Result<import('../../src/registry/index.ts').Outcome>,
): { handles: Readonly<Record<string, string>>; summary: readonly string[] } {
  if (!result.ok) throw new Error(`expected success, got ${result.error.code}: ${result.error.message}`);
  if (result.value.status !== 'applied')
    throw new Error(`expected applied, got pending review: ${result.value.reason}`);
  return result.value;
}
