/**
 * Loading a seed document into the registry, in ONE transaction, idempotently: each object is
 * inserted when missing (`ON CONFLICT DO NOTHING`), updated only when the file says something
 * different, and left alone (no write, no audit row) when it already matches. Loading the same
 * file twice therefore changes nothing.
 */
import { eq } from 'drizzle-orm';
import { type Database, type Transaction, tables } from '../db/index.ts';
import { formatRange, sameRange } from '../ip/index.ts';
import { fail, ok, type Problem, problem, type Result } from '../shared/index.ts';
import { createAccount, ensureApiKey, findAccountByName, updateAccount } from './accounts.ts';
import { toAuditJson, writeAudit } from './audit.ts';
import { findCustomer, findNetByHandle, findOrg, findOverlappingNets, findPoc, netPocs } from './lookups.ts';
import { orgValues, resolveOrgPocs, setOrgPocs } from './orgs.ts';
import { netRange, placeSeededNet, rangeColumns } from './placement.ts';
import { pocValues } from './pocs.ts';
import type { CheckedNet, SeedDocument } from './seed-document.ts';
import type { OperationContext } from './types.ts';

export type SeedCounts = { created: number; modified: number; unchanged: number };
export type SeedSummary = Record<'pocs' | 'orgs' | 'customers' | 'nets' | 'accounts' | 'apiKeys', SeedCounts>;

const SEED_CONTEXT: OperationContext = { actor: { kind: 'system', name: 'seed' } };

class SeedFailure extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message);
  }
}

function refuse(path: string, message: string): never {
  throw new SeedFailure(problem('E_SEED_INVALID', `${path}: ${message}`));
}

/** JSON with object keys sorted: jsonb columns give keys back in their own order. */
function canonical(value: unknown): string {
  return JSON.stringify(toAuditJson(value), (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : inner,
  );
}

/** Same values? (compared as canonical JSON, so bigints, dates and jsonb compare too). */
function same(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return Object.keys(a).every((key) => canonical(a[key]) === canonical(b[key]));
}

function emptyCounts(): SeedSummary {
  const zero = () => ({ created: 0, modified: 0, unchanged: 0 });
  return { pocs: zero(), orgs: zero(), customers: zero(), nets: zero(), accounts: zero(), apiKeys: zero() };
}

/**
 * Upserts one row keyed by handle: inserts it, or updates it when `values` differ from what is
 * stored. Returns what happened.
 */
async function upsert<T extends Record<string, unknown>>(
  tx: Transaction,
  context: OperationContext,
  kind: 'poc' | 'org' | 'customer' | 'net',
  handle: string,
  values: T,
  find: () => Promise<Record<string, unknown> | undefined>,
  insert: () => Promise<unknown[]>,
  update: () => Promise<unknown[]>,
): Promise<keyof SeedCounts> {
  const inserted = await insert();
  if (inserted.length > 0) {
    await writeAudit(tx, context, {
      action: 'create',
      objectType: kind,
      objectHandle: handle,
      after: inserted[0],
    });
    return 'created';
  }
  const before = await find();
  if (before && same(values, before)) return 'unchanged';
  const [after] = await update();
  await writeAudit(tx, context, { action: 'modify', objectType: kind, objectHandle: handle, before, after });
  return 'modified';
}

/** Parents before children, so a sub-net's parent exists when it is loaded. */
function parentsFirst(nets: readonly CheckedNet[]): CheckedNet[] {
  const byHandle = new Map(nets.map((n) => [n.handle, n]));
  const ordered: CheckedNet[] = [];
  const placed = new Set<string>();
  const visit = (net: CheckedNet, trail: Set<string>) => {
    if (placed.has(net.handle)) return;
    if (trail.has(net.handle)) refuse(`${net.path}.parent`, `${net.handle} is its own ancestor`);
    trail.add(net.handle);
    const parent = net.parentHandle ? byHandle.get(net.parentHandle) : undefined;
    if (parent) visit(parent, trail);
    placed.add(net.handle);
    ordered.push(net);
  };
  for (const net of nets) visit(net, new Set());
  return ordered;
}

/** Opens the one transaction, loads the document, and rolls everything back if any of it is refused. */
export async function seedRegistry(
  db: Database,
  doc: SeedDocument,
  context: OperationContext = SEED_CONTEXT,
): Promise<Result<SeedSummary, Problem>> {
  try {
    return ok(await db.transaction(async (tx) => load(tx as unknown as Transaction, doc, context)));
  } catch (error) {
    if (error instanceof SeedFailure) return fail(error.problem);
    throw error;
  }
}

async function load(tx: Transaction, doc: SeedDocument, context: OperationContext): Promise<SeedSummary> {
  const counts = emptyCounts();

  for (const poc of doc.pocs) {
    const values = pocValues(poc.input);
    if (!values.ok) refuse(poc.path, values.error.message);
    const existing = await findPoc(tx, poc.handle);
    if (existing && existing.kind !== values.value.kind) {
      refuse(
        `${poc.path}.type`,
        `${poc.handle} is already a ${existing.kind} POC; a POC's type cannot change`,
      );
    }
    const outcome = await upsert(
      tx,
      context,
      'poc',
      poc.handle,
      values.value,
      async () => existing,
      () =>
        tx
          .insert(tables.pocs)
          .values({ handle: poc.handle, ...values.value })
          .onConflictDoNothing()
          .returning(),
      () =>
        tx
          .update(tables.pocs)
          .set({ ...values.value, updatedAt: new Date() })
          .where(eq(tables.pocs.handle, poc.handle))
          .returning(),
    );
    counts.pocs[outcome]++;
  }

  for (const org of doc.orgs) {
    const values = orgValues(org.input);
    if (!values.ok) refuse(org.path, values.error.message);
    const outcome = await upsert(
      tx,
      context,
      'org',
      org.handle,
      values.value,
      () => findOrg(tx, org.handle),
      () =>
        tx
          .insert(tables.orgs)
          .values({ handle: org.handle, ...values.value })
          .onConflictDoNothing()
          .returning(),
      () =>
        tx
          .update(tables.orgs)
          .set({ ...values.value, updatedAt: new Date() })
          .where(eq(tables.orgs.handle, org.handle))
          .returning(),
    );
    const assignment = await resolveOrgPocs(tx, org.input);
    if (!assignment.ok) refuse(`${org.path}.pocs`, assignment.error.message);
    const links = await setOrgPocs(tx, context, org.handle, assignment.value);
    if (!links.ok) refuse(`${org.path}.pocs`, links.error.message);
    const linksChanged = links.value;
    if (linksChanged && outcome === 'unchanged') {
      await writeAudit(tx, context, {
        action: 'modify',
        objectType: 'org',
        objectHandle: org.handle,
        after: { pocs: assignment.value },
        note: 'POC roles set from seed',
      });
    }
    counts.orgs[linksChanged && outcome === 'unchanged' ? 'modified' : outcome]++;
  }

  for (const customer of doc.customers) {
    if (!(await findOrg(tx, customer.orgHandle))) {
      refuse(`${customer.path}.org`, `org ${customer.orgHandle} is neither in the file nor in the registry`);
    }
    const { path: _path, handle, orgHandle, ...rest } = customer;
    const values = { ...rest, parentOrgHandle: orgHandle };
    const outcome = await upsert(
      tx,
      context,
      'customer',
      handle,
      values,
      () => findCustomer(tx, handle),
      () =>
        tx
          .insert(tables.customers)
          .values({ handle, ...values })
          .onConflictDoNothing()
          .returning(),
      () =>
        tx
          .update(tables.customers)
          .set({ ...values, updatedAt: new Date() })
          .where(eq(tables.customers.handle, handle))
          .returning(),
    );
    counts.customers[outcome]++;
  }

  for (const net of parentsFirst(doc.nets)) {
    counts.nets[await loadNet(tx, context, net)]++;
  }

  for (const account of doc.accounts) {
    const input = { name: account.name, emails: account.emails, pocHandles: account.pocHandles };
    const existing = await findAccountByName(tx, account.name);
    let accountId: number;
    if (existing) {
      const updated = await updateAccount(tx, context, existing.id, input);
      if (!updated.ok) refuse(account.path, updated.error.message);
      counts.accounts[updated.value.changed ? 'modified' : 'unchanged']++;
      accountId = existing.id;
    } else {
      const created = await createAccount(tx, context, input);
      if (!created.ok) refuse(account.path, created.error.message);
      counts.accounts.created++;
      accountId = created.value.id;
    }
    for (const [i, key] of account.apiKeys.entries()) {
      const stored = await ensureApiKey(tx, context, accountId, key);
      if (!stored.ok) refuse(`${account.path}.apiKeys[${i}]`, stored.error.message);
      counts.apiKeys[stored.value]++;
    }
  }
  return counts;
}

/**
 * Where the file puts a net must be where the registry would: under its parent by the registry's
 * own placement rule (`placeSeededNet`), or, a direct allocation, clear of every other one. A net
 * already stored keeps its range and parent (it was placed then; moving it could strand its
 * children outside it), so only a new net is placed.
 */
async function checkPlacement(tx: Transaction, net: CheckedNet): Promise<void> {
  const stored = await findNetByHandle(tx, net.handle);
  if (stored) {
    if (!sameRange(netRange(stored), net.range) || stored.parentHandle !== net.parentHandle) {
      const before = `${formatRange(netRange(stored))} under ${stored.parentHandle ?? 'no parent'}`;
      refuse(
        `${net.path}.range`,
        `${net.handle} is registered as ${before}; a net's range and parent cannot change by seed`,
      );
    }
    return;
  }
  if (net.parentHandle) {
    const parent = await findNetByHandle(tx, net.parentHandle);
    if (!parent)
      refuse(`${net.path}.parent`, `net ${net.parentHandle} is neither in the file nor in the registry`);
    const placed = await placeSeededNet(tx, net.range, parent);
    if (!placed.ok) refuse(`${net.path}.range`, placed.error.message);
    return;
  }
  const other = (await findOverlappingNets(tx, net.range)).find((n) => n.parentHandle === null);
  if (other)
    refuse(`${net.path}.range`, `${formatRange(net.range)} overlaps direct allocation ${other.handle}`);
}

async function loadNet(
  tx: Transaction,
  context: OperationContext,
  net: CheckedNet,
): Promise<keyof SeedCounts> {
  const where = `${net.path}`;
  if (net.orgHandle && !(await findOrg(tx, net.orgHandle))) {
    refuse(`${where}.org`, `org ${net.orgHandle} is neither in the file nor in the registry`);
  }
  if (net.customerHandle && !(await findCustomer(tx, net.customerHandle))) {
    refuse(`${where}.customer`, `customer ${net.customerHandle} is neither in the file nor in the registry`);
  }
  for (const [i, link] of net.pocs.entries()) {
    if (!(await findPoc(tx, link.pocHandle))) {
      refuse(
        `${where}.pocs`,
        `${link.role} POC ${link.pocHandle} (entry ${i + 1}) is neither in the file nor in the registry`,
      );
    }
  }
  await checkPlacement(tx, net);
  const values = {
    name: net.name,
    ...rangeColumns(net.range),
    type: net.type,
    parentHandle: net.parentHandle,
    orgHandle: net.orgHandle,
    customerHandle: net.customerHandle,
    originAs: net.originAs,
    reverseNameservers: net.reverseNameservers,
    publicComments: net.publicComments,
  };
  const outcome = await upsert(
    tx,
    context,
    'net',
    net.handle,
    values,
    () => findNetByHandle(tx, net.handle),
    () =>
      tx
        .insert(tables.nets)
        .values({ handle: net.handle, ...values })
        .onConflictDoNothing()
        .returning(),
    () =>
      tx
        .update(tables.nets)
        .set({ ...values, updatedAt: new Date() })
        .where(eq(tables.nets.handle, net.handle))
        .returning(),
  );
  const current = await netPocs(tx, net.handle);
  const key = (l: { role: string; pocHandle: string }) => `${l.role} ${l.pocHandle}`;
  const samePocs =
    current.length === net.pocs.length && current.every((c) => net.pocs.some((p) => key(p) === key(c)));
  if (!samePocs) {
    await tx.delete(tables.netPocs).where(eq(tables.netPocs.netHandle, net.handle));
    if (net.pocs.length) {
      await tx.insert(tables.netPocs).values(net.pocs.map((p) => ({ netHandle: net.handle, ...p })));
    }
    if (outcome === 'unchanged') {
      await writeAudit(tx, context, {
        action: 'modify',
        objectType: 'net',
        objectHandle: net.handle,
        before: { pocs: current },
        after: { pocs: net.pocs },
      });
      return 'modified';
    }
  }
  return outcome;
}
