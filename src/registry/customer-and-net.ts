/**
 * A simple reassignment in ONE statement: where the net goes, whether the requester may put it
 * there, and, only when every check passes, the customer and the net. Simple reassignments are
 * most of what billing systems send, and every statement is a round trip in the worker's
 * transaction: this was four (the requester's authority, the placement, the customer, the net).
 *
 * The statement's CTEs:
 * - `placement`: the parent (the most specific net containing the range), its key-share lock,
 *   its first child overlapping the range, and the requester's links to it (`holderFlags`), as
 *   `parentForNewNet` reads them (src/registry/placement.ts says why each is read so);
 * - `go`: that row, only if the parent is locked (so it exists and may be divided), no child
 *   overlaps, it has a holding org, the caller may write (no staff review pending) and the
 *   requester's links grant the delegation (src/auth's rule as data, `DelegationGrants`);
 * - the net's counter bump, the customer and the net, each `SELECT ... FROM` what precedes it:
 *   nothing of them runs without `go`.
 * The answer is the placement row with the new customer and net, if written. Whatever was
 * refused is explained from the same row, by the same function as any placement
 * (`placementVerdict`); a handle already taken (by a seed file) makes its insert do nothing:
 * a customer's, and the statement is sent again; a net's alone, and the customer stays and the
 * net goes in the usual way (`insertNet`).
 */
import { type SQL, sql } from 'drizzle-orm';
import {
  columnNames,
  columnPlaceholders,
  decodePrefixed,
  type Executor,
  prefixedSelection,
  prefixedValues,
  preparedSql,
  type Transaction,
  tables,
} from '../db/index.ts';
import type { IpRange } from '../ip/index.ts';
import { ok, type Problem, type Result } from '../shared/index.ts';
import { writeAudit } from './audit.ts';
import {
  counterBump,
  DRY_RUN_CUSTOMER_HANDLE,
  NEW_CUSTOMER_HANDLE,
  NUMBERING_PLACEHOLDERS,
  netNumbering,
} from './handles.ts';
import {
  auditNewNet,
  insertNet,
  type NewNet,
  newNetColumns,
  type ParentForNewNet,
  placementOf,
  placementSelect,
  placementValues,
} from './placement.ts';
import type { Customer, DelegationAuthority, DryRunNumbers, Net, OperationContext } from './types.ts';

export const CUSTOMER_COLUMNS = [
  'name',
  'street',
  'city',
  'state',
  'postalCode',
  'country',
  'privateResidence',
] as const;

export const NET_COLUMNS = [
  'name',
  'version',
  'startAddress',
  'endAddress',
  'cidrs',
  'type',
  'orgHandle',
  'originAs',
  'reverseNameservers',
  'publicComments',
] as const;

/** The customer's columns; its upstream org is the parent's holder, found by the statement. */
type NewCustomer = { [K in (typeof CUSTOMER_COLUMNS)[number]]: Customer[K] };

function statement(ex: Executor, customerHandle: SQL): SQL {
  const { nets, customers } = tables;
  const id = sql.identifier;
  const grant = (flag: string) => sql`(${sql.placeholder(`grant_${flag}`)}::boolean AND ${sql.raw(flag)})`;
  return sql`WITH placement AS (${placementSelect(ex)}),
    go AS (
      SELECT p_handle, p_org_handle FROM placement
      WHERE locked IS NOT NULL AND s_handle IS NULL AND p_org_handle IS NOT NULL
        AND ${sql.placeholder('write')}::boolean
        AND (NOT ${sql.placeholder('check')}::boolean
             OR ${grant('org_admin')} OR ${grant('org_tech')} OR ${grant('net_tech')})
    ),
    handle_counter AS ${counterBump(ex, NUMBERING_PLACEHOLDERS, sql`go`)},
    new_customer AS (
      INSERT INTO ${customers} (${id(customers.handle.name)}, ${id(customers.parentOrgHandle.name)}, ${columnNames(customers, CUSTOMER_COLUMNS)})
      SELECT ${customerHandle}, go.p_org_handle, ${sql.join(columnPlaceholders(customers, CUSTOMER_COLUMNS, 'c_'), sql`, `)}
      FROM go
      ON CONFLICT (${id(customers.handle.name)}) DO NOTHING
      RETURNING *
    ),
    new_net AS (
      INSERT INTO ${nets} (${id(nets.handle.name)}, ${id(nets.customerHandle.name)}, ${id(nets.parentHandle.name)}, ${columnNames(nets, NET_COLUMNS)})
      SELECT (SELECT handle FROM handle_counter), new_customer.handle, go.p_handle,
        ${sql.join(columnPlaceholders(nets, NET_COLUMNS, 'n_'), sql`, `)}
      FROM new_customer, go
      ON CONFLICT (${id(nets.handle.name)}) DO NOTHING
      RETURNING *
    )
    SELECT placement.*, ${prefixedSelection(customers, 'new_customer', 'c_')}, ${prefixedSelection(nets, 'new_net', 'n_')}
    FROM placement LEFT JOIN new_customer ON true LEFT JOIN new_net ON true`;
}

const placeAndInsert = preparedSql<Record<string, unknown>, Record<string, unknown>>(
  'registry_place_customer_and_net',
  (ex) => statement(ex, NEW_CUSTOMER_HANDLE),
);

/** The same for a dry run: the customer's number read from the sequence, not taken (handles.ts). */
const placeAndInsertDry = preparedSql<Record<string, unknown>, Record<string, unknown>>(
  'registry_place_customer_and_net_dry',
  (ex) => statement(ex, DRY_RUN_CUSTOMER_HANDLE),
);

/** What the statement found and did. */
export interface PlacedReassignment {
  /** Where the net goes, as `placementVerdict` judges it; undefined: no net contains the range. */
  readonly found: ParentForNewNet | undefined;
  /** The new customer, when every check passed and its handle was free. */
  readonly customer: Customer | undefined;
  /** The new net under it, when its handle was free too. */
  readonly net: Net | undefined;
}

export interface ReassignmentWrite {
  readonly range: IpRange;
  readonly customer: NewCustomer;
  /** The net as `insertNet` takes it, but for what the statement decides (parent, customer). */
  readonly net: Omit<NewNet, 'range' | 'parent' | 'customerHandle' | 'pocs'>;
  /** False: place (and lock) only, write nothing (the request waits for staff review). */
  readonly write: boolean;
  readonly delegation: DelegationAuthority | undefined;
  /** A dry run (OperationOptions.dryRun): nothing may be taken outside the transaction. */
  readonly dryRun?: DryRunNumbers | undefined;
}

/** Sends the statement once (the caller decides what a refusal or a taken handle means). */
export async function placeCustomerAndNet(
  tx: Transaction,
  request: ReassignmentWrite,
): Promise<PlacedReassignment> {
  const { range, delegation } = request;
  const grants = delegation?.grants ?? { orgAdmin: false, orgTech: false, netTech: false };
  const values = {
    ...placementValues(range, delegation?.accountId ?? null),
    ...netNumbering(range),
    check: delegation !== undefined,
    grant_org_admin: grants.orgAdmin,
    grant_org_tech: grants.orgTech,
    grant_net_tech: grants.netTech,
    write: request.write,
    ...prefixedValues('c_', request.customer),
    ...prefixedValues('n_', newNetColumns({ ...request.net, range, parent: null, customerHandle: null })),
  };
  const [row] = request.dryRun
    ? await placeAndInsertDry(tx, { ...values, dry_customer: request.dryRun.nextCustomer() })
    : await placeAndInsert(tx, values);
  return placedFrom(row);
}

/** What a placement statement's row answers: the parent found, and the customer and net it wrote. */
export function placedFrom(row: Record<string, unknown> | undefined): PlacedReassignment {
  const found = placementOf(row);
  if (!row || !found) return { found: undefined, customer: undefined, net: undefined };
  return {
    found,
    customer: decodePrefixed(tables.customers, row, 'c_'),
    net: decodePrefixed(tables.nets, row, 'n_'),
  };
}

/** Audits the new customer and net, inserting the net the usual way if its handle was taken. */
export async function completeReassignment(
  tx: Transaction,
  context: OperationContext,
  request: ReassignmentWrite,
  parent: Net,
  customer: Customer,
  net: Net | undefined,
): Promise<Result<Net, Problem>> {
  await writeAudit(tx, context, {
    action: 'create',
    objectType: 'customer',
    objectHandle: customer.handle,
    after: customer,
  });
  if (net) {
    await auditNewNet(tx, context, net, []);
    return ok(net);
  }
  return insertNet(tx, context, {
    ...request.net,
    range: request.range,
    parent,
    customerHandle: customer.handle,
  });
}
