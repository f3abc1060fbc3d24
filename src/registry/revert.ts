/**
 * Taking back registry changes staff made (the console's undo), from their audit rows: a created
 * object is removed, a modified one gets its `before` back, a removed one is put back, a POC's
 * link to an account is undone. Only when nothing changed the object since: a later audit row
 * on it, a child net under a net to be removed, or a row that no longer reads as the change left
 * it, refuses the whole undo (E_UNDO_CONFLICT) rather than overwrite a later change. Each step
 * writes its own audit row (`note: undo of audit #N`). Runs in the caller's transaction.
 */
import { and, eq, getTableColumns, gt, notInArray } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { type Transaction, tables } from '../db/index.ts';
import { describeError, errorChain, fail, ok, type Problem, problem, type Result } from '../shared/index.ts';
import { type AuditAction, toAuditJson, writeAudit } from './audit.ts';
import type { OperationContext } from './types.ts';

/** An audit row to take back, as stored. */
export interface AuditedChange {
  readonly id: number;
  readonly action: string;
  readonly objectType: string;
  readonly objectHandle: string;
  readonly before: unknown;
  readonly after: unknown;
}

/** The audit log's columns an AuditedChange is read from (a select's selection). */
export const AUDITED_CHANGE_COLUMNS = {
  id: tables.auditLog.id,
  action: tables.auditLog.action,
  objectType: tables.auditLog.objectType,
  objectHandle: tables.auditLog.objectHandle,
  before: tables.auditLog.before,
  after: tables.auditLog.after,
};

type Json = Record<string, unknown>;

interface ObjectTable {
  readonly table: PgTable;
  readonly handle: PgColumn;
  /** Its POC links, kept in the audit row as `pocs: [{ pocHandle, role }]`. */
  readonly links?: { readonly table: PgTable; readonly owner: PgColumn; readonly ownerKey: string };
}

const OBJECTS: Record<string, ObjectTable> = {
  net: {
    table: tables.nets,
    handle: tables.nets.handle,
    links: { table: tables.netPocs, owner: tables.netPocs.netHandle, ownerKey: 'netHandle' },
  },
  org: {
    table: tables.orgs,
    handle: tables.orgs.handle,
    links: { table: tables.orgPocs, owner: tables.orgPocs.orgHandle, ownerKey: 'orgHandle' },
  },
  customer: { table: tables.customers, handle: tables.customers.handle },
  poc: { table: tables.pocs, handle: tables.pocs.handle },
};

const conflict = (message: string): Problem => problem('E_UNDO_CONFLICT', message);

function asJson(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

/** The table's columns from an audit row's JSON, as drizzle values (bigints, Dates). */
function rowFromJson(table: PgTable, json: Json): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    if (!(key in json)) continue;
    const value = json[key];
    values[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return values;
}

type Link = { pocHandle: string; role: string };

function linksOf(json: Json | undefined): Link[] | undefined {
  const pocs = json?.['pocs'];
  if (!Array.isArray(pocs)) return undefined;
  return pocs.filter((p): p is Link => typeof p?.pocHandle === 'string' && typeof p?.role === 'string');
}

const linkKey = (l: Link) => `${l.role} ${l.pocHandle}`;

/**
 * The object as it stands, in the audit row's JSON form (with its links when it has some),
 * locked: a change to it committing meanwhile (a customer's modify holds the row) is waited for
 * and then seen, here and by the later-change check after it, instead of being overwritten.
 */
async function currentJson(tx: Transaction, kind: ObjectTable, handle: string): Promise<Json | undefined> {
  const [row] = await tx.select().from(kind.table).where(eq(kind.handle, handle)).for('update');
  if (!row) return undefined;
  const json = toAuditJson(row) as Json;
  if (!kind.links) return json;
  const links = (await tx.select().from(kind.links.table).where(eq(kind.links.owner, handle))) as Link[];
  return { ...json, pocs: links.map(({ pocHandle, role }) => ({ pocHandle, role })) };
}

/** Whether the object still reads as the change left it: every column the row recorded, and its links. */
function unchangedSince(table: PgTable, now: Json, then: Json): boolean {
  for (const key of Object.keys(getTableColumns(table))) {
    if (!(key in then)) continue;
    if (JSON.stringify(now[key] ?? null) !== JSON.stringify(then[key] ?? null)) return false;
  }
  const [a, b] = [linksOf(now), linksOf(then)];
  if (!a || !b) return true;
  return a.map(linkKey).sort().join('|') === b.map(linkKey).sort().join('|');
}

async function setLinks(tx: Transaction, kind: ObjectTable, handle: string, links: readonly Link[]) {
  if (!kind.links) return;
  await tx.delete(kind.links.table).where(eq(kind.links.owner, handle));
  if (links.length === 0) return;
  await tx
    .insert(kind.links.table)
    .values(links.map((l) => ({ [kind.links!.ownerKey]: handle, pocHandle: l.pocHandle, role: l.role })));
}

const INVERSE: Record<string, AuditAction> = {
  create: 'remove',
  modify: 'modify',
  remove: 'create',
  link: 'unlink',
  unlink: 'link',
};

/** Refuses when anything but the changes being taken back touched the object afterwards. */
async function laterChange(
  tx: Transaction,
  change: AuditedChange,
  taken: readonly number[],
): Promise<Problem | undefined> {
  const a = tables.auditLog;
  const [later] = await tx
    .select({ id: a.id, action: a.action, actor: a.actor, at: a.at, ticket: a.ticketNumber })
    .from(a)
    .where(
      and(
        eq(a.objectType, change.objectType),
        eq(a.objectHandle, change.objectHandle),
        gt(a.id, change.id),
        notInArray(a.id, [...taken]),
      ),
    )
    .orderBy(a.id)
    .limit(1);
  if (!later) return undefined;
  const when = later.at.toISOString().slice(0, 19).replace('T', ' ');
  return conflict(
    `${change.objectType} ${change.objectHandle} was changed after this action (${later.action} by ${await actorName(tx, later.actor)} at ${when} UTC${later.ticket ? `, ticket ${later.ticket}` : ''}, audit #${later.id})`,
  );
}

/** `account:12` as `account demo-isp`, so staff read whose change stands in the way. */
async function actorName(tx: Transaction, actor: string): Promise<string> {
  const id = /^account:(\d+)$/.exec(actor)?.[1];
  if (id === undefined) return actor;
  const [account] = await tx
    .select({ name: tables.accounts.name })
    .from(tables.accounts)
    .where(eq(tables.accounts.id, Number(id)));
  return account ? `account ${account.name}` : actor;
}

async function revertOne(
  tx: Transaction,
  context: OperationContext,
  change: AuditedChange,
  taken: readonly number[],
): Promise<Result<void, Problem>> {
  const kind = OBJECTS[change.objectType];
  const handle = change.objectHandle;
  // Lock first, then look for later changes: see currentJson.
  const now = kind ? await currentJson(tx, kind, handle) : undefined;
  // An account collects links of many POCs: only the link itself is taken back (a later link of
  // another POC is no later change of this one); the POC's own rows answer for the POC.
  const later = kind ? await laterChange(tx, change, taken) : undefined;
  if (later) return fail(later);
  const note = `undo of audit #${change.id}`;
  const inverse = INVERSE[change.action];

  if (change.objectType === 'account' && (change.action === 'link' || change.action === 'unlink')) {
    const pocHandle = asJson(change.after)?.['pocHandle'] ?? asJson(change.before)?.['pocHandle'];
    const accountId = Number(change.objectHandle);
    if (typeof pocHandle !== 'string' || !Number.isSafeInteger(accountId)) {
      return fail(problem('E_UNDO_UNSUPPORTED', `audit #${change.id} does not say which POC was linked`));
    }
    const link = and(
      eq(tables.accountPocs.accountId, accountId),
      eq(tables.accountPocs.pocHandle, pocHandle),
    );
    if (change.action === 'link') await tx.delete(tables.accountPocs).where(link);
    else await tx.insert(tables.accountPocs).values({ accountId, pocHandle }).onConflictDoNothing();
    await writeAudit(tx, context, {
      action: inverse!,
      objectType: 'account',
      objectHandle: change.objectHandle,
      before: change.after,
      after: change.before,
      note,
    });
    return ok(undefined);
  }

  if (!kind || !inverse || change.action === 'link' || change.action === 'unlink') {
    return fail(
      problem(
        'E_UNDO_UNSUPPORTED',
        `a ${change.action} of a ${change.objectType} (audit #${change.id}) cannot be undone here`,
      ),
    );
  }
  const before = asJson(change.before);
  const after = asJson(change.after);

  if (change.action === 'remove') {
    if (now) return fail(conflict(`${change.objectType} ${handle} exists again`));
    if (!before)
      return fail(
        problem('E_UNDO_UNSUPPORTED', `audit #${change.id} does not hold the removed ${change.objectType}`),
      );
    // Its registration date is its own; its last change is now: it was gone and is back (RDAP
    // `last changed`, WHOIS `Updated:` say so, as after an undone modify).
    const restored = rowFromJson(kind.table, before);
    if ('updatedAt' in getTableColumns(kind.table)) restored['updatedAt'] = new Date();
    await tx.insert(kind.table).values(restored);
    await setLinks(tx, kind, handle, linksOf(before) ?? []);
  } else {
    if (!now) return fail(conflict(`${change.objectType} ${handle} no longer exists`));
    if (after && !unchangedSince(kind.table, now, after)) {
      return fail(conflict(`${change.objectType} ${handle} no longer reads as this action left it`));
    }
    if (change.action === 'create') {
      if (change.objectType === 'net') {
        const [child] = await tx
          .select({ handle: tables.nets.handle })
          .from(tables.nets)
          .where(eq(tables.nets.parentHandle, handle))
          .limit(1);
        if (child) return fail(conflict(`net ${handle} has a net under it since (${child.handle})`));
      }
      if (kind.links) await tx.delete(kind.links.table).where(eq(kind.links.owner, handle));
      await tx.delete(kind.table).where(eq(kind.handle, handle));
    } else {
      if (!before)
        return fail(
          problem(
            'E_UNDO_UNSUPPORTED',
            `audit #${change.id} does not hold the ${change.objectType} as it was`,
          ),
        );
      const { handle: _key, ...columns } = rowFromJson(kind.table, before);
      await tx
        .update(kind.table)
        .set({ ...columns, updatedAt: new Date() })
        .where(eq(kind.handle, handle));
      const links = linksOf(before);
      if (links) await setLinks(tx, kind, handle, links);
    }
  }
  await writeAudit(tx, context, {
    action: inverse,
    objectType: change.objectType as 'net',
    objectHandle: handle,
    before: now ?? null,
    after: change.action === 'create' ? null : (before ?? null),
    note,
  });
  return ok(undefined);
}

/**
 * Takes back the changes, newest first, in a savepoint of the caller's transaction: all of them,
 * or none (the first refusal says why). A removal another row still points at (a net naming a
 * customer, a POC still linked) is refused alike.
 */
export async function revertChanges(
  tx: Transaction,
  context: OperationContext,
  changes: readonly AuditedChange[],
): Promise<Result<void, Problem>> {
  const taken = changes.map((c) => c.id);
  const newestFirst = [...changes].sort((a, b) => b.id - a.id);
  try {
    return await tx.transaction(async (sp) => {
      for (const change of newestFirst) {
        const done = await revertOne(sp, context, change, taken);
        if (!done.ok) throw new RevertRefused(done.error);
      }
      return ok(undefined);
    });
  } catch (error) {
    if (error instanceof RevertRefused) return fail(error.problem);
    // The driver's own error (drizzle wraps it): its code, and its detail naming the row in the way.
    const driver = errorChain(error).find((e) => typeof e.code === 'string');
    if (driver?.code === '23503') {
      const inTheWay = typeof driver.detail === 'string' ? driver.detail : describeError(error);
      return fail(conflict(`a record made since still points at what this action created (${inTheWay})`));
    }
    if (driver?.code === '23505' || driver?.code === '23P01') {
      return fail(conflict('what this action removed has been registered again since'));
    }
    throw error;
  }
}

class RevertRefused extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message);
  }
}
