/**
 * Reading the registry: by handle, by range, the relations between objects, and the simple
 * searches the staff console offers. All take an Executor (a connection or a transaction).
 */
import { and, asc, eq, inArray, like, or, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import { alias, type PgColumn } from 'drizzle-orm/pg-core';
import { type Executor, queryRows, tables } from '../db/index.ts';
import { type IpRange, parseRange } from '../ip/index.ts';
import { normalizeHandle } from './rules.ts';
import type { Customer, Net, NetPocRole, Org, OrgPocRole, Poc } from './types.ts';

const { nets, orgs, pocs, customers, orgPocs: orgPocsTable, netPocs: netPocsTable } = tables;

/**
 * For a change to an object: `lock: 'update'` locks its row in the statement that reads it (one
 * round trip, not a lock and a read). After waiting for another change, READ COMMITTED answers
 * the row as that change left it; an object removed meanwhile is not found.
 */
export interface LockOption {
  readonly lock?: 'update';
}

/** The nets table or an alias of it: what the span conditions below read. */
interface NetSpan {
  readonly version: PgColumn;
  readonly startAddress: PgColumn;
  readonly endAddress: PgColumn;
}

/**
 * A range as statement operands: its values, or placeholders in a statement built once
 * (src/db/prepared.ts; filled from `rangeValues`).
 */
export interface RangeOperands {
  readonly version: number | SQLWrapper;
  readonly start: string | SQLWrapper;
  readonly end: string | SQLWrapper;
}

/** What `RANGE_PLACEHOLDERS` are filled with. */
export interface RangeValues {
  readonly version: number;
  readonly start: string;
  readonly end: string;
}

export function rangeValues(range: IpRange): RangeValues {
  return { version: range.version, start: range.start.toString(), end: range.end.toString() };
}

export const RANGE_PLACEHOLDERS: RangeOperands = {
  version: sql.placeholder('version'),
  start: sql.placeholder('start'),
  end: sql.placeholder('end'),
};

/** A range as the numeric interval the GiST index `nets_span_idx` is built on. */
export function rangeInterval(range: RangeOperands): SQL {
  return sql`numrange(${range.start}::numeric, ${range.end}::numeric, '[]')`;
}

function span(t: NetSpan): SQL {
  return sql`numrange(${t.startAddress}, ${t.endAddress}, '[]')`;
}

/**
 * The net holds the whole range. Written as interval containment so that `nets_span_idx`
 * answers it: `start <= x AND end >= y` on a b-tree reads every net that starts lower.
 */
export function spanContains(t: NetSpan, range: RangeOperands): SQL {
  return sql`${t.version} = ${range.version} and ${span(t)} @> ${rangeInterval(range)}`;
}

/** The net shares at least one address with the range (by `nets_span_idx`, as above). */
export function spanOverlaps(t: NetSpan, range: RangeOperands): SQL {
  return sql`${t.version} = ${range.version} and ${span(t)} && ${rangeInterval(range)}`;
}

export async function findNetByHandle(ex: Executor, handle: string): Promise<Net | undefined> {
  const rows = await ex
    .select()
    .from(nets)
    .where(eq(nets.handle, normalizeHandle(handle)));
  return rows[0];
}

/**
 * Nets registered for exactly this range (usually one; more means the range is ambiguous).
 * `lock: 'update'` locks them in the same statement, in the order answered, for a change.
 */
export async function findNetsByRange(
  ex: Executor,
  range: IpRange,
  options: LockOption = {},
): Promise<Net[]> {
  const query = ex
    .select()
    .from(nets)
    .where(
      and(
        eq(nets.version, range.version),
        eq(nets.startAddress, range.start),
        eq(nets.endAddress, range.end),
      ),
    )
    .orderBy(asc(nets.createdAt), asc(nets.handle));
  return options.lock ? query.for(options.lock) : query;
}

/**
 * Every net that contains the range (itself included), the most specific first: what WHOIS and
 * RDAP answer for an address (the net and its parents) and the hint of a template naming a range
 * nobody registered ("it lies inside ..."). Nets nest or stay apart, so they form a chain: the
 * direct allocation holding the range (`nets_top_span_idx`), then at each level the one child
 * holding it, found by the sibling exclusion's GiST index with its parent given: a few pages a
 * level however many nets the registry holds (test/registry/parent-net-plan.test.ts, 100,000).
 */
export async function findContainingNets(ex: Executor, range: IpRange): Promise<Net[]> {
  const { version, start, end } = rangeValues(range);
  const wanted = rangeInterval({ version, start, end });
  const chain = await queryRows<{ handle: string; depth: number }>(
    ex,
    sql`with recursive chain(handle, depth) as (
          select ${nets.handle}, 0 from ${nets}
            where ${nets.parentHandle} is null and ${nets.version} = ${version}
              and numrange(${nets.startAddress}, ${nets.endAddress}, '[]') @> ${wanted}
          union all
          select child.handle, chain.depth + 1 from chain
            join ${nets} as child on child.parent_handle = chain.handle
              and numrange(child.start_address, child.end_address, '[]') @> ${wanted}
        )
        select handle, depth from chain`,
  );
  if (chain.length === 0) return [];
  const depth = new Map(chain.map((c) => [c.handle, Number(c.depth)]));
  const rows = await ex
    .select()
    .from(nets)
    .where(inArray(nets.handle, [...depth.keys()]));
  // The smallest first; of same-range twins (a whole block reallocated) the inner, deeper one.
  return rows.sort((a, b) => {
    const size = a.endAddress - a.startAddress - (b.endAddress - b.startAddress);
    if (size !== 0n) return size < 0n ? -1 : 1;
    return (depth.get(b.handle) ?? 0) - (depth.get(a.handle) ?? 0) || (a.handle < b.handle ? -1 : 1);
  });
}

/**
 * The smallest net that contains the range: a reassignment sits in the most specific net that
 * holds it. Of two nets with the same range (a whole block reallocated), the inner one wins.
 * The same choice as `placeNewNet` makes, by the same query (`mostSpecificContaining`).
 */
export async function findParentNet(ex: Executor, range: IpRange): Promise<Net | undefined> {
  const [row] = await ex
    .select()
    .from(nets)
    .where(sql`${nets.handle} = (${mostSpecificContaining(ex, rangeValues(range))})`);
  return row;
}

/**
 * A subquery answering the handle of the most specific net containing `range`: the smallest,
 * and of nets with the same range the inner one (the one without a same-range child; the
 * handle decides between unrelated twins, which only a seed file can make).
 */
export function mostSpecificContaining(ex: Executor, range: RangeOperands): SQLWrapper {
  const containing = alias(nets, 'containing');
  const sameRange = 'same_range_child';
  const sameRangeChild = alias(nets, sameRange);
  return ex
    .select({ handle: containing.handle })
    .from(containing)
    .where(spanContains(containing, range))
    .orderBy(
      sql`${containing.endAddress} - ${containing.startAddress}`,
      // Of the parent's children, at most one holds the parent's first address (siblings never
      // overlap): the sibling exclusion's GiST finds it in one probe, where "parent = x and
      // start = y" alone may visit every child of the parent.
      sql`exists (select 1 from ${nets} as ${sql.identifier(sameRange)}
            where ${sameRangeChild.parentHandle} = ${containing.handle}
            and numrange(${sameRangeChild.startAddress}, ${sameRangeChild.endAddress}, '[]')
              && numrange(${containing.startAddress}, ${containing.startAddress}, '[]')
            and ${sameRangeChild.startAddress} = ${containing.startAddress}
            and ${sameRangeChild.endAddress} = ${containing.endAddress})`,
      asc(containing.handle),
    )
    .limit(1);
}

/** Nets whose range overlaps the given one, in address order. */
export async function findOverlappingNets(ex: Executor, range: IpRange): Promise<Net[]> {
  return ex
    .select()
    .from(nets)
    .where(spanOverlaps(nets, rangeValues(range)))
    .orderBy(asc(nets.startAddress), asc(nets.endAddress));
}

export async function childrenOfNet(ex: Executor, netHandle: string): Promise<Net[]> {
  return ex
    .select()
    .from(nets)
    .where(eq(nets.parentHandle, normalizeHandle(netHandle)))
    .orderBy(asc(nets.startAddress));
}

export async function findOrg(
  ex: Executor,
  handle: string,
  options: LockOption = {},
): Promise<Org | undefined> {
  const query = ex
    .select()
    .from(orgs)
    .where(eq(orgs.handle, normalizeHandle(handle)));
  return (options.lock ? await query.for(options.lock) : await query)[0];
}

export async function findPoc(
  ex: Executor,
  handle: string,
  options: LockOption = {},
): Promise<Poc | undefined> {
  const query = ex
    .select()
    .from(pocs)
    .where(eq(pocs.handle, normalizeHandle(handle)));
  return (options.lock ? await query.for(options.lock) : await query)[0];
}

export async function findCustomer(
  ex: Executor,
  handle: string,
  options: LockOption = {},
): Promise<Customer | undefined> {
  const query = ex
    .select()
    .from(customers)
    .where(eq(customers.handle, normalizeHandle(handle)));
  return (options.lock ? await query.for(options.lock) : await query)[0];
}

export async function netsOfOrg(ex: Executor, orgHandle: string): Promise<Net[]> {
  return ex
    .select()
    .from(nets)
    .where(eq(nets.orgHandle, normalizeHandle(orgHandle)))
    .orderBy(asc(nets.version), asc(nets.startAddress));
}

/** The simple reassignments an org made (its customers' nets hang below its own nets). */
export async function customersOfOrg(ex: Executor, orgHandle: string): Promise<Customer[]> {
  return ex
    .select()
    .from(customers)
    .where(eq(customers.parentOrgHandle, normalizeHandle(orgHandle)))
    .orderBy(asc(customers.handle));
}

export async function orgsOfPoc(
  ex: Executor,
  pocHandle: string,
): Promise<{ orgHandle: string; role: OrgPocRole }[]> {
  return ex
    .select({ orgHandle: orgPocsTable.orgHandle, role: orgPocsTable.role })
    .from(orgPocsTable)
    .where(eq(orgPocsTable.pocHandle, normalizeHandle(pocHandle)))
    .orderBy(asc(orgPocsTable.orgHandle), asc(orgPocsTable.role));
}

export async function netsOfPoc(
  ex: Executor,
  pocHandle: string,
): Promise<{ netHandle: string; role: NetPocRole }[]> {
  return ex
    .select({ netHandle: netPocsTable.netHandle, role: netPocsTable.role })
    .from(netPocsTable)
    .where(eq(netPocsTable.pocHandle, normalizeHandle(pocHandle)))
    .orderBy(asc(netPocsTable.netHandle), asc(netPocsTable.role));
}

export async function orgPocs(
  ex: Executor,
  orgHandle: string,
): Promise<{ pocHandle: string; role: OrgPocRole }[]> {
  return ex
    .select({ pocHandle: orgPocsTable.pocHandle, role: orgPocsTable.role })
    .from(orgPocsTable)
    .where(eq(orgPocsTable.orgHandle, normalizeHandle(orgHandle)))
    .orderBy(asc(orgPocsTable.role), asc(orgPocsTable.pocHandle));
}

export async function netPocs(
  ex: Executor,
  netHandle: string,
): Promise<{ pocHandle: string; role: NetPocRole }[]> {
  return ex
    .select({ pocHandle: netPocsTable.pocHandle, role: netPocsTable.role })
    .from(netPocsTable)
    .where(eq(netPocsTable.netHandle, normalizeHandle(netHandle)))
    .orderBy(asc(netPocsTable.role), asc(netPocsTable.pocHandle));
}

/* ---------- searches for the console ---------- */

const SEARCH_LIMIT = 50;

/** `50%_off` must match literally in a LIKE pattern. */
function likePrefix(text: string): string {
  return `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Nets by address or range (every net overlapping it, the most specific last), or by handle or
 * network name prefix.
 */
export async function searchNets(ex: Executor, query: string, limit = SEARCH_LIMIT): Promise<Net[]> {
  const text = query.trim();
  if (!text) return [];
  const range = parseRange(text);
  if (range.ok) return (await findOverlappingNets(ex, range.value)).slice(0, limit);
  const upper = text.toUpperCase();
  return ex
    .select()
    .from(nets)
    .where(or(like(nets.handle, likePrefix(upper)), like(nets.name, likePrefix(upper))))
    .orderBy(asc(nets.handle))
    .limit(limit);
}

/** POCs by handle (prefix), last or role name (prefix, any case) or e-mail address (exact). */
export async function searchPocs(ex: Executor, query: string, limit = SEARCH_LIMIT): Promise<Poc[]> {
  const text = query.trim();
  if (!text) return [];
  let where: SQL | undefined;
  if (text.includes('@')) {
    where = sql`${pocs.emails} @> ARRAY[${text.toLowerCase()}]::text[]`;
  } else {
    where = or(
      like(pocs.handle, likePrefix(text.toUpperCase())),
      like(sql`lower(${pocs.lastName})`, likePrefix(text.toLowerCase())),
    );
  }
  return ex.select().from(pocs).where(where).orderBy(asc(pocs.handle)).limit(limit);
}

/** Orgs by Org ID (prefix) or name (prefix, any case); with an e-mail address, the orgs of POCs having it. */
export async function searchOrgs(ex: Executor, query: string, limit = SEARCH_LIMIT): Promise<Org[]> {
  const text = query.trim();
  if (!text) return [];
  if (text.includes('@')) {
    const pocHandles = (await searchPocs(ex, text, limit)).map((p) => p.handle);
    if (pocHandles.length === 0) return [];
    const links = await ex
      .selectDistinct({ orgHandle: orgPocsTable.orgHandle })
      .from(orgPocsTable)
      .where(inArray(orgPocsTable.pocHandle, pocHandles));
    if (links.length === 0) return [];
    return ex
      .select()
      .from(orgs)
      .where(
        inArray(
          orgs.handle,
          links.map((l) => l.orgHandle),
        ),
      )
      .orderBy(asc(orgs.handle))
      .limit(limit);
  }
  return ex
    .select()
    .from(orgs)
    .where(
      or(
        like(orgs.handle, likePrefix(text.toUpperCase())),
        like(sql`lower(${orgs.name})`, likePrefix(text.toLowerCase())),
      ),
    )
    .orderBy(asc(orgs.handle))
    .limit(limit);
}

/** Customers by handle (prefix) or name (prefix, any case). */
export async function searchCustomers(
  ex: Executor,
  query: string,
  limit = SEARCH_LIMIT,
): Promise<Customer[]> {
  const text = query.trim();
  if (!text) return [];
  return ex
    .select()
    .from(customers)
    .where(
      or(
        like(customers.handle, likePrefix(text.toUpperCase())),
        like(sql`lower(${customers.name})`, likePrefix(text.toLowerCase())),
      ),
    )
    .orderBy(asc(customers.handle))
    .limit(limit);
}
