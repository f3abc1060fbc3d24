/**
 * Where a new reassignment or reallocation goes, and which existing net a Net-Mod or
 * Reassign-Simple M/R template means. Shared by every net-creating operation.
 */
import { eq, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import {
  decodePrefixed,
  type Executor,
  prefixedSelection,
  preparedSql,
  type Transaction,
  tables,
} from '../db/index.ts';
import { formatCidr, formatRange, type IpRange, rangeToCidrs } from '../ip/index.ts';
import { fail, ok, type Problem, problem, type Result } from '../shared/index.ts';
import { writeAudit } from './audit.ts';
import { netNumbering, numberedInsert } from './handles.ts';
import { holderFlags } from './holders.ts';
import {
  findContainingNets,
  findNetsByRange,
  findOverlappingNets,
  mostSpecificContaining,
  RANGE_PLACEHOLDERS,
  type RangeOperands,
  rangeInterval,
  rangeValues,
} from './lookups.ts';
import { checkNewPocLinks } from './poc-links.ts';
import { checkPrefixSize } from './rules.ts';
import type {
  DelegatingParent,
  Net,
  NetPocRole,
  NetType,
  OperationContext,
  OperationOptions,
} from './types.ts';

export const NET_TYPE_WORDS: Record<NetType, string> = {
  direct_allocation: 'a direct allocation',
  reallocation: 'a reallocation',
  detailed_reassignment: 'a detailed reassignment',
  simple_reassignment: 'a simple reassignment',
};

/** Only direct allocations and reallocations may be divided further. */
const DIVISIBLE: NetType[] = ['direct_allocation', 'reallocation'];

export function canHoldSubdelegations(net: Net): boolean {
  return DIVISIBLE.includes(net.type);
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
 * One statement (see `parentForNewNet`); a second one only to explain a range outside every net.
 */
export async function placeNewNet(
  ex: Executor,
  range: IpRange,
  options: OperationOptions,
): Promise<Result<Net, Problem>> {
  return (await placeNewNetFound(ex, range, options)).verdict;
}

/**
 * `placeNewNet`, with what its statement found beside the verdict: a refusal may be a resend
 * of the net found (registry/resent-subdelegation.ts), which only that row can tell.
 */
export async function placeNewNetFound(
  ex: Executor,
  range: IpRange,
  options: OperationOptions,
): Promise<{ readonly verdict: Result<Net, Problem>; readonly found?: ParentForNewNet }> {
  const size = checkPrefixSize(range, options);
  if (!size.ok) return { verdict: size };
  const found = await parentForNewNet(ex, range, options.delegation?.accountId ?? null);
  if (!found) return { verdict: await outsideEveryNet(ex, range) };
  return { verdict: placementVerdict(range, found, options), found };
}

/** E_NOT_WITHIN_PARENT for a range no net contains, naming the nets it straddles (one more look-up). */
export async function outsideEveryNet(ex: Executor, range: IpRange): Promise<Result<never, Problem>> {
  const touching = await findOverlappingNets(ex, range);
  const hint = touching.length
    ? `; it overlaps ${touching.slice(0, 3).map(describeNet).join(', ')} but extends beyond it`
    : '';
  return fail(
    problem(
      'E_NOT_WITHIN_PARENT',
      `${formatRange(range)} is not inside any network registered with us${hint}`,
    ),
  );
}

/**
 * What the placement statement found, judged: the parent, or why not. The order is the answer's:
 * a parent that cannot be divided, then the requester's authority over it (before anything about
 * its children: they are not the requester's to know about), then a parent removed meanwhile,
 * then an overlapping sibling.
 */
export function placementVerdict(
  range: IpRange,
  found: ParentForNewNet,
  options: OperationOptions,
): Result<Net, Problem> {
  const text = formatRange(range);
  const { parent, locked, sibling } = found;
  if (!canHoldSubdelegations(parent)) {
    return fail(
      problem(
        'E_OVERLAP',
        `${text} overlaps ${describeNet(parent)}, ${NET_TYPE_WORDS[parent.type]}, which cannot be divided further`,
      ),
    );
  }
  if (options.delegation) {
    const allowed = options.delegation.verdict({ ...parent, ...found.held });
    if (!allowed.ok) return allowed;
  }
  if (!locked) {
    return fail(
      problem(
        'E_NOT_WITHIN_PARENT',
        `${text} is not inside any network registered with us: ${parent.handle} was just removed`,
      ),
    );
  }
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

export interface ParentForNewNet {
  /** The most specific net containing the range, as the statement's snapshot saw it. */
  readonly parent: Net;
  /** What the requesting account holds on it (all false without an account). */
  readonly held: Pick<DelegatingParent, 'orgAdmin' | 'orgTech' | 'netTech'>;
  /** Whether the parent is still there with its key-share lock held (divisible parents only). */
  readonly locked: boolean;
  /** The first child of the parent overlapping the range, if any. */
  readonly sibling: Net | undefined;
}

/**
 * Finds the parent, locks it and asks for an overlapping child, in one statement:
 *
 * - the parent: the most specific net containing the range (`mostSpecificContaining`, the
 *   same choice as `findParentNet`), read from the statement's snapshot;
 * - `locked`: that very row `FOR KEY SHARE` if it may be divided, shared with every other new
 *   child of this parent, so they are created in parallel, while a removal of the parent waits
 *   for them (and they for it). It is a lateral subquery on purpose: a lock on the ordered scan
 *   itself would, after waiting for a removal, quietly skip to the next containing net (the
 *   grandparent); here the snapshot's parent stays the answer, and an empty `locked` says it
 *   was just removed;
 * - `sibling`: the first child overlapping the range, asked of the database rather than found
 *   among all children (an allocation with thousands of reassignments made every new one read
 *   and decode all its siblings). The condition is that of the exclusion constraint
 *   `nets_sibling_no_overlap`, so its GiST index answers it. Two overlapping children created
 *   at the same moment can both pass this check; the constraint then refuses the second insert
 *   (mapped to E_OVERLAP by `atomically`). The check stays: it names the sibling;
 * - what the requesting account holds on the parent (`holderFlags`), for the delegation check:
 *   the authority is read in the statement that locks the parent it is owed to.
 *
 * Its columns: the parent as `p_*`, `locked`, the child as `s_*`, and `org_admin`, `org_tech`,
 * `net_tech`. One text, sent alone (`parentForNewNet`) and as the first CTE of a simple
 * reassignment's statement (customer-and-net.ts); `placementOf` reads either's row.
 */
export function placementSelect(
  ex: Executor,
  range: RangeOperands = RANGE_PLACEHOLDERS,
  account: SQLWrapper = sql.placeholder('account'),
): SQL {
  const { nets } = tables;
  const flags = holderFlags(account, sql`parent.org_handle`, sql`parent.handle`);
  const divisible = sql.raw(DIVISIBLE.map((type) => `'${type}'`).join(', '));
  return sql`SELECT ${prefixedSelection(nets, 'parent', 'p_')}, locked.handle AS locked,
      ${prefixedSelection(nets, 'child', 's_')},
      ${flags.orgAdmin} AS org_admin, ${flags.orgTech} AS org_tech, ${flags.netTech} AS net_tech
    FROM ${nets} AS parent
    LEFT JOIN LATERAL (
      SELECT lock_target.handle FROM ${nets} AS lock_target
      WHERE lock_target.handle = parent.handle AND lock_target.type IN (${divisible})
      FOR KEY SHARE
    ) AS locked ON true
    LEFT JOIN ${nets} AS child ON child.parent_handle = parent.handle
      AND numrange(child.start_address, child.end_address, '[]') && ${rangeInterval(range)}
    WHERE parent.handle = (${mostSpecificContaining(ex, range)})
    ORDER BY child.start_address
    LIMIT 1`;
}

/** The values of `placementSelect`'s placeholders. */
export function placementValues(range: IpRange, account: number | null): Record<string, unknown> {
  return { ...rangeValues(range), account };
}

/** A row of `placementSelect` (or of a statement selecting its columns), read back. */
export function placementOf(row: Record<string, unknown> | undefined): ParentForNewNet | undefined {
  const parent = row && decodePrefixed(tables.nets, row, 'p_');
  if (!row || !parent) return undefined;
  return {
    parent,
    held: {
      orgAdmin: row['org_admin'] === true,
      orgTech: row['org_tech'] === true,
      netTech: row['net_tech'] === true,
    },
    locked: row['locked'] !== null,
    sibling: decodePrefixed(tables.nets, row, 's_'),
  };
}

const parentForNewNetStatement = preparedSql<Record<string, unknown>, Record<string, unknown>>(
  'registry_parent_for_new_net',
  placementSelect,
);

async function parentForNewNet(
  ex: Executor,
  range: IpRange,
  account: number | null,
): Promise<ParentForNewNet | undefined> {
  const [row] = await parentForNewNetStatement(ex, placementValues(range, account));
  return placementOf(row);
}

/**
 * A seed file's net under the parent it names, judged by the same rule and statement as a
 * template's new net (no account, no prefix-size rule: a seed states what exists): the range must
 * go where `placeNewNet` would put it, under exactly that parent. A range no net holds is outside
 * the parent; one the rule puts elsewhere (a child of the parent, or another net) is not the
 * parent's to hold directly.
 */
export async function placeSeededNet(
  ex: Executor,
  range: IpRange,
  parent: Net,
): Promise<Result<Net, Problem>> {
  const text = formatRange(range);
  const found = await parentForNewNet(ex, range, null);
  if (!found) {
    return fail(problem('E_NOT_WITHIN_PARENT', `${text} is not inside its parent ${describeNet(parent)}`));
  }
  if (found.parent.handle !== parent.handle) {
    return fail(
      problem(
        'E_NOT_WITHIN_PARENT',
        `${text} lies in ${describeNet(found.parent)}, not directly in its parent ${describeNet(parent)}`,
      ),
    );
  }
  return placementVerdict(range, found, {});
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
  /** POCs the same request just created, which it may name (poc-links.ts). */
  readonly pocsCreatedHere?: readonly string[];
}

const insertNumberedNet = numberedInsert('registry_insert_numbered_net', tables.nets, [
  'name',
  'version',
  'startAddress',
  'endAddress',
  'cidrs',
  'type',
  'parentHandle',
  'orgHandle',
  'customerHandle',
  'originAs',
  'reverseNameservers',
  'publicComments',
]);

/** The new net's columns but its handle and customer, as `insertNumberedNet` takes them. */
export function newNetColumns(net: NewNet) {
  return {
    name: net.name,
    ...rangeColumns(net.range),
    type: net.type,
    parentHandle: net.parent?.handle ?? null,
    orgHandle: net.orgHandle,
    originAs: [...net.originAs],
    reverseNameservers: [...net.reverseNameservers],
    publicComments: [...net.publicComments],
  };
}

/**
 * Registers a net with its POCs, refusing a POC the requester may not name on it (poc-links.ts):
 * every form that creates a net with POCs writes them here.
 */
export async function insertNet(
  tx: Transaction,
  context: OperationContext,
  net: NewNet,
): Promise<Result<Net, Problem>> {
  const pocs = net.pocs ?? [];
  const allowed = await checkNewPocLinks(tx, context, [], pocs, {
    holderOrg: net.orgHandle,
    createdHere: net.pocsCreatedHere ?? [],
  });
  if (!allowed.ok) return allowed;
  const values = { ...newNetColumns(net), customerHandle: net.customerHandle };
  const row = await insertNumberedNet(tx, values, netNumbering(net.range));
  const handle = row.handle;
  if (pocs.length > 0) {
    await tx
      .insert(tables.netPocs)
      .values(pocs.map((p) => ({ netHandle: handle, pocHandle: p.pocHandle, role: p.role })));
  }
  await auditNewNet(tx, context, row, pocs);
  return ok(row);
}

export async function auditNewNet(
  tx: Transaction,
  context: OperationContext,
  row: Net,
  pocs: NonNullable<NewNet['pocs']>,
): Promise<void> {
  await writeAudit(tx, context, {
    action: 'create',
    objectType: 'net',
    objectHandle: row.handle,
    after: { ...row, pocs },
  });
}

/**
 * The one net registered for exactly `range`, for a modify or remove, locked `FOR UPDATE` (one
 * change at a time) in the statement that finds it: after waiting for another change, READ
 * COMMITTED answers the row as that change left it, and a net removed meanwhile is not found.
 * `form` says which template is asking: Reassign-Simple may touch only simple reassignments,
 * Net-Mod only the rest.
 */
export async function netForTemplate(
  ex: Executor,
  range: IpRange,
  form: 'reassign-simple' | 'net-mod',
): Promise<Result<Net, Problem>> {
  const text = formatRange(range);
  const found = await findNetsByRange(ex, range, { lock: 'update' });
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
  const net = found[0]!;
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
