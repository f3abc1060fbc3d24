/**
 * Several simple reassignments of one message placed and written in ONE statement: the
 * statement of customer-and-net.ts once per request, as rows of one JSON parameter. A billing
 * system's message is mostly simple reassignments, and each was a round trip of its own in the
 * message's transaction (PostgreSQL's per-statement work, and the worker's).
 *
 * Only for requests that one statement decides exactly as they would be decided one after
 * another (`placeableTogether`): their ranges overlap none of the others' (so none is another's
 * parent or sibling, and the snapshot every row reads holds what the earlier rows would have
 * added: nothing in their way), and no two share a net handle counter (each counter row is
 * bumped once). The caller sends nothing else between them that changes nets. Each request's
 * answer is what `placeCustomerAndNet` answers for it, and the caller judges it the same way;
 * a request whose handle was taken (nothing written for it) is sent again alone. One known
 * difference: a customer number taken already (a handle a seed imported) sends its request
 * again after the others took theirs, so its new number comes after theirs where, one after
 * another, it would come before (customer numbers are unique and may have gaps, never an
 * order anyone may rely on; the nets' numbers are the same either way). A statement
 * that fails undoes the whole transaction, which its caller runs again the per-template way.
 */
import { getTableColumns, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import {
  columnNames,
  type Executor,
  prefixedSelection,
  preparedSql,
  type Transaction,
  tables,
} from '../db/index.ts';
import { overlaps } from '../ip/index.ts';
import {
  CUSTOMER_COLUMNS,
  NET_COLUMNS,
  type PlacedReassignment,
  placedFrom,
  type ReassignmentWrite,
} from './customer-and-net.ts';
import { netNumbering } from './handles.ts';
import { newNetColumns, placementSelect } from './placement.ts';

/** Whether `requests` may go in one statement (see the file comment); two at least, or no gain. */
export function placeableTogether(requests: readonly ReassignmentWrite[]): boolean {
  if (requests.length < 2) return false;
  if (requests.some((r) => r.dryRun)) return false;
  const counters = new Set(requests.map((r) => netNumbering(r.range).counter));
  if (counters.size < requests.length) return false;
  return requests.every((a, i) => requests.every((b, j) => j <= i || !overlaps(a.range, b.range)));
}

/** The request's row of the statement's input (`json_to_recordset`). */
interface InputRow {
  readonly ord: number;
  readonly version: number;
  readonly start_address: string;
  readonly end_address: string;
  readonly account: number | null;
  readonly check: boolean;
  readonly grant_org_admin: boolean;
  readonly grant_org_tech: boolean;
  readonly grant_net_tech: boolean;
  readonly write: boolean;
  readonly counter: string;
  readonly prefix: string;
  readonly suffix: string;
  /** The customer's columns by name, as `json_populate_record(NULL::customers, ...)` reads them. */
  readonly customer: Record<string, unknown>;
  readonly net: Record<string, unknown>;
}

/** `values` keyed by the table's column names, each encoded by its column (as a parameter would be). */
function byColumnName(
  columns: Record<string, PgColumn>,
  keys: readonly string[],
  values: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const key of keys) {
    const column = columns[key]!;
    const value = values[key];
    row[column.name] = value === null || value === undefined ? null : column.mapToDriverValue(value);
  }
  return row;
}

function inputRow(ord: number, request: ReassignmentWrite): InputRow {
  const { range, delegation } = request;
  const grants = delegation?.grants ?? { orgAdmin: false, orgTech: false, netTech: false };
  const numbering = netNumbering(range);
  const net = newNetColumns({ ...request.net, range, parent: null, customerHandle: null });
  return {
    ord,
    version: range.version,
    start_address: range.start.toString(),
    end_address: range.end.toString(),
    account: delegation?.accountId ?? null,
    check: delegation !== undefined,
    grant_org_admin: grants.orgAdmin,
    grant_org_tech: grants.orgTech,
    grant_net_tech: grants.netTech,
    write: request.write,
    counter: numbering.counter,
    prefix: numbering.prefix,
    suffix: numbering.suffix,
    customer: byColumnName(
      getTableColumns(tables.customers) as Record<string, PgColumn>,
      CUSTOMER_COLUMNS,
      request.customer,
    ),
    net: byColumnName(getTableColumns(tables.nets) as Record<string, PgColumn>, NET_COLUMNS, net),
  };
}

const placeTogether = preparedSql<{ rows: string }, Record<string, unknown>>(
  'registry_place_customers_and_nets',
  (ex: Executor) => {
    const { nets, customers } = tables;
    const customerColumns = getTableColumns(customers) as Record<string, PgColumn>;
    const netColumns = getTableColumns(nets) as Record<string, PgColumn>;
    const from = (relation: string, columns: Record<string, PgColumn>, keys: readonly string[]) =>
      sql.join(
        keys.map((key) => sql`${sql.identifier(relation)}.${sql.identifier(columns[key]!.name)}`),
        sql`, `,
      );
    const range = {
      version: sql`input.version`,
      start: sql`input.start_address`,
      end: sql`input.end_address`,
    };
    // The parent of each row, as placementSelect reads it (a row with none keeps its nulls);
    // `go`, `numbered` and the inserts as customer-and-net.ts's statement has them, once per row.
    return sql`WITH input AS (
        SELECT * FROM json_to_recordset(${sql.placeholder('rows')}::json) AS i(ord integer,
          version smallint, start_address numeric, end_address numeric, account integer,
          "check" boolean, grant_org_admin boolean, grant_org_tech boolean, grant_net_tech boolean,
          write boolean, counter text, prefix text, suffix text, customer json, net json)
      ),
      placement AS (
        SELECT input.ord, found.* FROM input
        LEFT JOIN LATERAL (${placementSelect(ex, range, sql`input.account`)}) AS found ON true
      ),
      go AS (
        SELECT placement.ord, placement.p_handle, placement.p_org_handle, input.counter,
          input.prefix, input.suffix, input.customer, input.net
        FROM placement JOIN input ON input.ord = placement.ord
        WHERE placement.locked IS NOT NULL AND placement.s_handle IS NULL
          AND placement.p_org_handle IS NOT NULL AND input.write
          AND (NOT input."check" OR (input.grant_org_admin AND placement.org_admin)
               OR (input.grant_org_tech AND placement.org_tech) OR (input.grant_net_tech AND placement.net_tech))
      ),
      numbered AS (
        SELECT taken.*, 'C' || lpad(taken.n::text, greatest(8, length(taken.n::text)), '0') AS c_handle
        FROM (SELECT ordered.*, nextval('customer_handle_seq') AS n
              FROM (SELECT * FROM go ORDER BY go.ord) AS ordered) AS taken
      ),
      handle_counter AS (
        INSERT INTO ${tables.handleCounters} (name, last) SELECT numbered.counter, 1 FROM numbered
        ON CONFLICT (name) DO UPDATE SET last = ${tables.handleCounters}.last + 1
        RETURNING name, last
      ),
      new_customer AS (
        INSERT INTO ${customers} (handle, parent_org_handle, ${columnNames(customers, CUSTOMER_COLUMNS)})
        SELECT numbered.c_handle, numbered.p_org_handle, ${from('c', customerColumns, CUSTOMER_COLUMNS)}
        FROM numbered CROSS JOIN LATERAL json_populate_record(NULL::${customers}, numbered.customer) AS c
        ON CONFLICT (handle) DO NOTHING
        RETURNING *
      ),
      new_net AS (
        INSERT INTO ${nets} (handle, customer_handle, parent_handle, ${columnNames(nets, NET_COLUMNS)})
        SELECT numbered.prefix || handle_counter.last::text || numbered.suffix, new_customer.handle,
          numbered.p_handle, ${from('n', netColumns, NET_COLUMNS)}
        FROM numbered
          JOIN new_customer ON new_customer.handle = numbered.c_handle
          JOIN handle_counter ON handle_counter.name = numbered.counter
          CROSS JOIN LATERAL json_populate_record(NULL::${nets}, numbered.net) AS n
        ON CONFLICT (handle) DO NOTHING
        RETURNING *
      )
      SELECT placement.*, ${prefixedSelection(customers, 'new_customer', 'c_')}, ${prefixedSelection(nets, 'new_net', 'n_')}
      FROM placement
        LEFT JOIN numbered ON numbered.ord = placement.ord
        LEFT JOIN new_customer ON new_customer.handle = numbered.c_handle
        LEFT JOIN new_net ON new_net.customer_handle = new_customer.handle
      ORDER BY placement.ord`;
  },
);

/**
 * Places and writes `requests` (which `placeableTogether` allows) in one statement; answers
 * for each, in order, what `placeCustomerAndNet` would have.
 */
export async function placeCustomersAndNets(
  tx: Transaction,
  requests: readonly ReassignmentWrite[],
): Promise<PlacedReassignment[]> {
  const rows = await placeTogether(tx, {
    rows: JSON.stringify(requests.map((request, ord) => inputRow(ord, request))),
  });
  const byOrd = new Map(rows.map((row) => [Number(row['ord']), row]));
  return requests.map((_, ord) => placedFrom(byOrd.get(ord)));
}
