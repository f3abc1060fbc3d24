/**
 * A simple reassignment's two new objects, the customer and the net reassigned to it, inserted
 * by ONE statement. Every statement is a round trip in the worker's transaction, and simple
 * reassignments are most of what billing systems send: this was two statements each.
 *
 * The statement: the net's counter bump, the customer insert and the net insert are
 * data-modifying CTEs; the net is inserted `SELECT ... FROM new_customer`, so no customer means
 * no net. Both rows come back typed (src/db/columns.ts). A handle already taken (by a seed file)
 * makes its insert do nothing:
 * - the customer's: nothing was written (the net needs the customer), and the statement is sent
 *   again with the next numbers;
 * - the net's alone: the customer stays, and the net is inserted the usual way (`insertNet`,
 *   which tries the next number).
 */
import { sql } from 'drizzle-orm';
import {
  columnNames,
  columnPlaceholders,
  decodePrefixed,
  type Executor,
  prefixedSelection,
  preparedSql,
  type Transaction,
  tables,
} from '../db/index.ts';
import { writeAudit } from './audit.ts';
import { counterBump, NEW_CUSTOMER_HANDLE, NUMBERING_PLACEHOLDERS, netNumbering } from './handles.ts';
import { auditNewNet, insertNet, type NewNet, newNetColumns } from './placement.ts';
import type { Customer, Net, OperationContext } from './types.ts';

const CUSTOMER_COLUMNS = [
  'parentOrgHandle',
  'name',
  'street',
  'city',
  'state',
  'postalCode',
  'country',
  'privateResidence',
] as const;

const NET_COLUMNS = [
  'name',
  'version',
  'startAddress',
  'endAddress',
  'cidrs',
  'type',
  'parentHandle',
  'orgHandle',
  'originAs',
  'reverseNameservers',
  'publicComments',
] as const;

export type NewCustomer = { [K in (typeof CUSTOMER_COLUMNS)[number]]: Customer[K] };

/** The customer's and the net's values: placeholders named `c_<key>` and `n_<key>`. */
function prefixed<T extends Record<string, unknown>>(prefix: string, values: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [prefix + key, value]));
}

const insertCustomerAndNetStatement = preparedSql<Record<string, unknown>, Record<string, unknown>>(
  'registry_insert_customer_and_net',
  (ex: Executor) => {
    const { customers, nets } = tables;
    const customerValues = columnPlaceholders(customers, CUSTOMER_COLUMNS, 'c_');
    const netValues = columnPlaceholders(nets, NET_COLUMNS, 'n_');
    return sql`WITH handle_counter AS ${counterBump(ex, NUMBERING_PLACEHOLDERS)},
      new_customer AS (
        INSERT INTO ${customers} (${sql.identifier(customers.handle.name)}, ${columnNames(customers, CUSTOMER_COLUMNS)})
        VALUES (${NEW_CUSTOMER_HANDLE}, ${sql.join(customerValues, sql`, `)})
        ON CONFLICT (${sql.identifier(customers.handle.name)}) DO NOTHING
        RETURNING *
      ),
      new_net AS (
        INSERT INTO ${nets} (${sql.identifier(nets.handle.name)}, ${sql.identifier(nets.customerHandle.name)}, ${columnNames(nets, NET_COLUMNS)})
        SELECT (SELECT handle FROM handle_counter), new_customer.handle, ${sql.join(netValues, sql`, `)}
        FROM new_customer
        ON CONFLICT (${sql.identifier(nets.handle.name)}) DO NOTHING
        RETURNING *
      )
      SELECT ${prefixedSelection(customers, 'new_customer', 'c_')}, ${prefixedSelection(nets, 'new_net', 'n_')}
      FROM new_customer LEFT JOIN new_net ON true`;
  },
);

/**
 * Inserts the customer and the net reassigned to it (`net.customerHandle` is the new customer's),
 * with their audit rows. `net` is the net as `insertNet` takes it, without POCs (a simple
 * reassignment has none).
 */
export async function insertCustomerAndNet(
  tx: Transaction,
  context: OperationContext,
  customer: NewCustomer,
  net: Omit<NewNet, 'customerHandle' | 'pocs'>,
): Promise<{ customer: Customer; net: Net }> {
  const numbering = netNumbering(net.range);
  const values = {
    ...numbering,
    ...prefixed('c_', customer),
    ...prefixed('n_', newNetColumns({ ...net, customerHandle: null })),
  };
  for (;;) {
    const [row] = await insertCustomerAndNetStatement(tx, values);
    const inserted = row && decodePrefixed(tables.customers, row, 'c_');
    if (!row || !inserted) continue;
    await writeAudit(tx, context, {
      action: 'create',
      objectType: 'customer',
      objectHandle: inserted.handle,
      after: inserted,
    });
    const newNet = decodePrefixed(tables.nets, row, 'n_');
    if (newNet) {
      await auditNewNet(tx, context, newNet, []);
      return { customer: inserted, net: newNet };
    }
    return {
      customer: inserted,
      net: await insertNet(tx, context, { ...net, customerHandle: inserted.handle }),
    };
  }
}
