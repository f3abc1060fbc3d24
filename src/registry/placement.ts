/**
 * Where a new reassignment or reallocation goes, and which existing net a Net-Mod or
 * Reassign-Simple M/R template means. Shared by every net-creating operation.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { type Executor, type Transaction, tables } from '../db/index.ts';
import { formatCidr, formatRange, type IpRange, rangeToCidrs } from '../ip/index.ts';
import { fail, ok, type Problem, problem, type Result } from '../shared/errors.ts';
import { writeAudit } from './audit.ts';
import { generateNetHandle } from './handles.ts';
import { lockRow } from './locks.ts';
import { findContainingNets, findNetByHandle, findNetsByRange, findOverlappingNets } from './lookups.ts';
import { checkPrefixSize } from './rules.ts';
import type { Net, NetPocRole, NetType, OperationContext, OperationOptions } from './types.ts';

export const NET_TYPE_WORDS: Record<NetType, string> = {
  direct_allocation: 'a direct allocation',
  reallocation: 'a reallocation',
  detailed_reassignment: 'a detailed reassignment',
  simple_reassignment: 'a simple reassignment',
};

/** Only direct allocations and reallocations may be divided further. */
export function canHoldSubdelegations(net: Net): boolean {
  return net.type === 'direct_allocation' || net.type === 'reallocation';
}

export function netRange(net: Net): IpRange {
  return { version: net.version, start: net.startAddress, end: net.endAddress };
}

/** A range as the nets table stores it: bounds as numbers, and the covering CIDR list for display. */
export function rangeColumns(range: IpRange) {
  return {
    version: range.version,
    startAddress: range.start,
    endAddress: range.end,
    cidrs: rangeToCidrs(range).map(formatCidr),
  };
}

export function describeNet(net: Net): string {
  return `${net.handle} (${formatRange(netRange(net))})`;
}

/**
 * The parent a new subdelegation of `range` goes under: the most specific net containing it,
 * which must be a direct allocation or a reallocation, and whose children must not overlap it.
 */
export async function placeNewNet(
  ex: Executor,
  range: IpRange,
  options: OperationOptions,
): Promise<Result<Net, Problem>> {
  const size = checkPrefixSize(range, options);
  if (!size.ok) return size;
  const text = formatRange(range);
  const parent = (await findContainingNets(ex, range))[0];
  if (!parent) {
    const touching = await findOverlappingNets(ex, range);
    const hint = touching.length
      ? `; it overlaps ${touching.slice(0, 3).map(describeNet).join(', ')} but extends beyond it`
      : '';
    return fail(
      problem('E_NOT_WITHIN_PARENT', `${text} is not inside any network registered with us${hint}`),
    );
  }
  if (!canHoldSubdelegations(parent)) {
    return fail(
      problem(
        'E_OVERLAP',
        `${text} overlaps ${describeNet(parent)}, ${NET_TYPE_WORDS[parent.type]}, which cannot be divided further`,
      ),
    );
  }
  // Shared with every other new child of this parent, so they are created in parallel; a removal
  // of the parent waits for them. Two overlapping children created at the same moment can both
  // pass the check below; the exclusion constraint `nets_sibling_no_overlap` then refuses the
  // second insert (mapped to E_OVERLAP by `atomically`). The check stays first: it names the sibling.
  if (!(await lockRow(ex, 'net', parent.handle, 'key share'))) {
    return fail(
      problem(
        'E_NOT_WITHIN_PARENT',
        `${text} is not inside any network registered with us: ${parent.handle} was just removed`,
      ),
    );
  }
  const sibling = await overlappingChild(ex, parent.handle, range);
  if (sibling) {
    return fail(
      problem(
        'E_OVERLAP',
        `${text} overlaps ${describeNet(sibling)}, ${NET_TYPE_WORDS[sibling.type]} already registered under ${parent.handle}`,
      ),
    );
  }
  return ok(parent);
}

/**
 * The first child of `parentHandle` that overlaps `range`, asked of the database rather than
 * found among all children: an allocation with thousands of reassignments made every new one
 * read and decode all its siblings (the worker's main CPU cost in the benchmark). The condition
 * is the one of the exclusion constraint, so its GiST index answers it.
 */
async function overlappingChild(
  ex: Executor,
  parentHandle: string,
  range: IpRange,
): Promise<Net | undefined> {
  const { nets } = tables;
  const [row] = await ex
    .select()
    .from(nets)
    .where(
      and(
        eq(nets.parentHandle, parentHandle),
        sql`numrange(${nets.startAddress}, ${nets.endAddress}, '[]') && numrange(${range.start.toString()}::numeric, ${range.end.toString()}::numeric, '[]')`,
      ),
    )
    .orderBy(asc(nets.startAddress))
    .limit(1);
  return row;
}

export interface NewNet {
  readonly range: IpRange;
  readonly type: NetType;
  readonly name: string;
  readonly parent: Net | null;
  readonly orgHandle: string | null;
  readonly customerHandle: string | null;
  readonly originAs: readonly number[];
  readonly reverseNameservers: readonly string[];
  readonly publicComments: readonly string[];
  readonly pocs?: ReadonlyArray<{ readonly role: NetPocRole; readonly pocHandle: string }>;
  /** A handle from a seed file; generated when absent. */
  readonly handle?: string;
}

export async function insertNet(tx: Transaction, context: OperationContext, net: NewNet): Promise<Net> {
  const handle = net.handle ?? (await generateNetHandle(tx, net.range));
  const [row] = await tx
    .insert(tables.nets)
    .values({
      handle,
      name: net.name,
      ...rangeColumns(net.range),
      type: net.type,
      parentHandle: net.parent?.handle ?? null,
      orgHandle: net.orgHandle,
      customerHandle: net.customerHandle,
      originAs: [...net.originAs],
      reverseNameservers: [...net.reverseNameservers],
      publicComments: [...net.publicComments],
    })
    .returning();
  const pocs = net.pocs ?? [];
  if (pocs.length > 0) {
    await tx
      .insert(tables.netPocs)
      .values(pocs.map((p) => ({ netHandle: handle, pocHandle: p.pocHandle, role: p.role })));
  }
  await writeAudit(tx, context, {
    action: 'create',
    objectType: 'net',
    objectHandle: handle,
    after: { ...row, pocs },
  });
  return row!;
}

/**
 * The one net registered for exactly `range`, for a modify or remove. `form` says which
 * template is asking: Reassign-Simple may touch only simple reassignments, Net-Mod only the rest.
 */
export async function netForTemplate(
  ex: Executor,
  range: IpRange,
  form: 'reassign-simple' | 'net-mod',
): Promise<Result<Net, Problem>> {
  const text = formatRange(range);
  const found = await findNetsByRange(ex, range);
  if (found.length === 0) {
    const around = (await findContainingNets(ex, range))[0];
    const hint = around ? `; it lies inside ${describeNet(around)}` : '';
    return fail(problem('E_OBJECT_NOT_FOUND', `no network is registered for exactly ${text}${hint}`));
  }
  if (found.length > 1) {
    return fail(
      problem(
        'E_AMBIGUOUS_RANGE',
        `multiple networks found for the given IP range ${text}: ${found.map((n) => n.handle).join(', ')}`,
      ),
    );
  }
  await lockRow(ex, 'net', found[0]!.handle);
  const net = (await findNetByHandle(ex, found[0]!.handle)) ?? found[0]!;
  if (form === 'net-mod' && net.type === 'simple_reassignment') {
    return fail(
      problem(
        'E_WRONG_FORM',
        `${describeNet(net)} is a simple reassignment; use the Reassign-Simple template for it`,
      ),
    );
  }
  if (form === 'reassign-simple' && net.type !== 'simple_reassignment') {
    return fail(
      problem(
        'E_WRONG_FORM',
        `${describeNet(net)} is ${NET_TYPE_WORDS[net.type]}, not a simple reassignment; use the Net-Mod template for it`,
      ),
    );
  }
  return ok(net);
}

export async function deleteNet(
  tx: Transaction,
  context: OperationContext,
  net: Net,
  note?: string,
): Promise<void> {
  const pocs = await tx.select().from(tables.netPocs).where(eq(tables.netPocs.netHandle, net.handle));
  await tx.delete(tables.netPocs).where(eq(tables.netPocs.netHandle, net.handle));
  await tx.delete(tables.nets).where(eq(tables.nets.handle, net.handle));
  await writeAudit(tx, context, {
    action: 'remove',
    objectType: 'net',
    objectHandle: net.handle,
    before: { ...net, pocs },
    ...(note ? { note } : {}),
  });
}
