/**
 * Generated handles. Each kind has a counter row in `handle_counters`, bumped in the caller's
 * transaction (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`), so two transactions never get
 * the same number; a number already taken (e.g. a handle loaded from a seed file) is skipped.
 * Customers number from a sequence instead (see `NEW_CUSTOMER_HANDLE`).
 *
 * Every statement is a round trip, and a simple reassignment creates two numbered objects; so
 * the number is taken in the statement that inserts the object (`numberedInsert`): the
 * handle is put together in SQL, from the text around the number (`prefix || n || suffix`), and
 * a taken handle makes the insert do nothing (`ON CONFLICT (handle) DO NOTHING`), which is
 * answered by trying the next number.
 *
 * A counter row bumped inside a message's transaction stays locked until that message commits,
 * and POC stems are shared by every ISP (`NOC`, `ABUSE`): messages creating role POCs took
 * turns on one row (9 ms of waiting per POC under load). So the worker reserves the numbers of a
 * message's new POCs before its transaction, with its ticket numbers (`takeMessageNumbers`, one
 * statement, the locks held for that statement only), and a new POC takes them (new-poc.ts).
 * Unique and increasing per stem as before, not gap-free: a refused or undone template leaves its
 * number unused.
 */
import { type Placeholder, type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgInsertValue, PgTable, WithSubqueryWithSelection } from 'drizzle-orm/pg-core';
import {
  type ColumnKey,
  type Executor,
  type Preparable,
  preparedQuery,
  queryRows,
  type RowValues,
  type Transaction,
  tables,
} from '../db/index.ts';
import { formatAddress, type IpRange } from '../ip/index.ts';

/** Where a new object's handle comes from. */
interface HandleSource {
  /**
   * The counter bump, a data-modifying CTE: PostgreSQL runs those only at the top of a
   * statement, so it heads the inserting statement and `handle` reads from it.
   */
  readonly counter: WithSubqueryWithSelection<{ handle: SQL.Aliased<string> }, 'handle_counter'>;
  /** The new handle, an SQL expression for the inserted row's `handle`. */
  readonly handle: SQL;
}

/** A counter row and the text around its numbers: `poc:NOC` makes `NOC7-ARIN`. */
export interface NumberedHandle {
  readonly counter: string;
  readonly prefix: string;
  readonly suffix: string;
}

/** The same, as values or as placeholders of a statement built once. */
type NumberedHandleOperands = { readonly [K in keyof NumberedHandle]: string | Placeholder };

export const NUMBERING_PLACEHOLDERS: NumberedHandleOperands = {
  counter: sql.placeholder('counter'),
  prefix: sql.placeholder('prefix'),
  suffix: sql.placeholder('suffix'),
};

/**
 * The counter row's bump, answering the new handle `prefix || n || suffix` as `handle`. With
 * `onlyFor` (a relation of the caller's statement), bumped once per row of it: none, no bump.
 */
export function counterBump(
  tx: Executor,
  { counter, prefix, suffix }: NumberedHandleOperands,
  onlyFor?: SQL,
) {
  const { handleCounters } = tables;
  const insert = tx.insert(handleCounters);
  return (
    onlyFor
      ? insert.select(sql`SELECT ${counter}::text, 1::bigint FROM ${onlyFor}`)
      : insert.values({ name: counter, last: 1 })
  )
    .onConflictDoUpdate({ target: handleCounters.name, set: { last: sql`${handleCounters.last} + 1` } })
    .returning({
      handle: sql<string>`${prefix}::text || ${handleCounters.last}::text || ${suffix}::text`.as('handle'),
    });
}

/** Handles `prefix || n || suffix`, n from the counter row `counter`. */
function counterSource(tx: Executor, operands: NumberedHandleOperands): HandleSource {
  const bump = tx.$with('handle_counter').as(counterBump(tx, operands));
  return { counter: bump, handle: sql`(select ${bump.handle} from ${bump})` };
}

/** A table whose objects are named by a `handle` column. */
type HandleTable = PgTable & { readonly handle: PgColumn };

type Row<T extends HandleTable> = T['$inferSelect'];
/**
 * Inserts a new object with a generated handle, in one statement with the number it takes (a
 * handle already taken makes it try the next number), built once (src/db/prepared.ts): the
 * columns are placeholders, and so are the counter's name and the text around the number.
 * `columns` are the ones every call fills; the others keep their defaults. Nets, POCs and
 * orgs number this way; customers from their sequence (`NEW_CUSTOMER_HANDLE`).
 */
export function numberedInsert<T extends HandleTable, const C extends readonly ColumnKey<T>[]>(
  label: string,
  table: T,
  columns: C,
): (tx: Transaction, values: RowValues<T, C>, numbering: NumberedHandle) => Promise<Row<T>> {
  const statement = preparedQuery<Record<string, unknown>, Row<T>[]>(label, (ex) => {
    const source = counterSource(ex, NUMBERING_PLACEHOLDERS);
    const base = ex.with(source.counter);
    const values = Object.fromEntries(columns.map((column) => [column, sql.placeholder(column)]));
    return base
      .insert(table)
      .values({ ...values, handle: source.handle } as PgInsertValue<T>)
      .onConflictDoNothing({ target: table.handle })
      .returning() as unknown as Preparable<Row<T>[]>;
  });
  return async (tx, values, numbering) => {
    for (;;) {
      const [row] = await statement(tx, { ...values, ...numbering });
      if (row) return row;
    }
  };
}

/** Upper-case ASCII letters only (accents dropped: `Müller` -> `MULLER`). */
function letters(text: string | null | undefined): string {
  return (text ?? '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/[^A-Z]/g, '');
}

/**
 * `DOEJO` for John Doe (three letters of the last name, two of the first), `NOC` for the role
 * "Network Operations Center", `ABUSE` for the role "Abuse".
 */
export function pocHandleStem(kind: 'person' | 'role', lastName: string, firstName?: string | null): string {
  if (kind === 'person') return letters(lastName).slice(0, 3) + letters(firstName).slice(0, 2) || 'POC';
  const words = lastName.split(/[^A-Za-z\u00C0-\u024F]+/).filter(Boolean);
  const stem = words.length > 1 ? words.map((w) => letters(w).slice(0, 1)).join('') : letters(lastName);
  return stem.slice(0, 5) || 'ROLE';
}

/** The name parts a POC's handle is made of. */
export interface PocNaming {
  readonly contactType: 'person' | 'role';
  readonly lastName: string;
  readonly firstName?: string | null;
}

/** `DOEJO1-ARIN`, `DOEJO2-ARIN`, ... (a reserved number first: `HandleReservations`). */
export function pocNumbering(poc: PocNaming): NumberedHandle {
  const stem = pocHandleStem(poc.contactType, poc.lastName, poc.firstName);
  return { counter: `poc:${stem}`, prefix: stem, suffix: '-ARIN' };
}

/**
 * Numbers taken ahead for new handles, handed out in order by counter. Each run of a message's
 * transaction reserves its own (one undone by a deadlock leaves its numbers unused).
 */
export class HandleReservations {
  private readonly next = new Map<string, number>();

  constructor(private readonly numbers: ReadonlyMap<string, readonly number[]>) {}

  /** The next reserved handle of this counter, or undefined (the counter is then bumped in place). */
  take({ counter, prefix, suffix }: NumberedHandle): string | undefined {
    const i = this.next.get(counter) ?? 0;
    const n = this.numbers.get(counter)?.[i];
    if (n === undefined) return undefined;
    this.next.set(counter, i + 1);
    return `${prefix}${n}${suffix}`;
  }
}

const NO_RESERVATIONS = new HandleReservations(new Map());

/** The counters a message's new POCs bump, and by how much, in name order. */
interface PocCounterBump {
  readonly wanted: ReadonlyMap<string, number>;
  /** `INSERT ... RETURNING name, last`: the counters bumped, in name order (never in a circle). */
  readonly statement: SQL;
}

export function pocCounterBump(
  pocs: readonly PocNaming[],
  /** Bumped only where this holds (as ticketCounterBump's). */
  when?: SQL,
): PocCounterBump {
  const wanted = new Map<string, number>();
  for (const poc of pocs) {
    const { counter } = pocNumbering(poc);
    wanted.set(counter, (wanted.get(counter) ?? 0) + 1);
  }
  const names = [...wanted.keys()].sort();
  const counts = names.map((name) => wanted.get(name)!);
  // Array literals, not arrays: drizzle spreads an array into a list of parameters. The names
  // are `poc:` and A-Z stems (pocHandleStem), nothing to escape in a literal.
  const statement = sql`INSERT INTO ${tables.handleCounters} (name, last)
      SELECT name, n FROM unnest(${`{${names.map((n) => JSON.stringify(n)).join(',')}}`}::text[],
                                 ${`{${counts.join(',')}}`}::int[]) WITH ORDINALITY AS t(name, n, i)
      ${when ? sql`WHERE ${when}` : sql``}
      ORDER BY i
    ON CONFLICT (name) DO UPDATE SET last = ${tables.handleCounters}.last + excluded.last
    RETURNING name, last`;
  return { wanted, statement };
}

export function reservationsFrom(
  wanted: ReadonlyMap<string, number>,
  rows: readonly { readonly name: string; readonly last: string | number }[],
): HandleReservations {
  const numbers = new Map<string, number[]>();
  for (const row of rows) {
    const count = wanted.get(row.name)!;
    const last = Number(row.last);
    numbers.set(
      row.name,
      Array.from({ length: count }, (_, i) => last - count + 1 + i),
    );
  }
  return new HandleReservations(numbers);
}

/**
 * Reserves the numbers of POCs a message will create, in one statement on `ex` (the database,
 * not the message's transaction: the counter rows are locked for this statement only). Counters
 * are bumped in name order, so two reservations never wait for each other in a circle.
 */
export async function reservePocHandles(
  ex: Executor,
  pocs: readonly PocNaming[],
): Promise<HandleReservations> {
  if (pocs.length === 0) return NO_RESERVATIONS;
  const bump = pocCounterBump(pocs);
  return reservationsFrom(
    bump.wanted,
    await queryRows<{ name: string; last: string | number }>(ex, bump.statement),
  );
}

/** `Acme Widgets, Inc.` -> `ACMEWIDG-1`. */
export function orgHandleStem(name: string): string {
  const stem = name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '')
    .slice(0, 8);
  return stem || 'ORG';
}

/** `ACMEWIDG-1`, `ACMEWIDG-2`, ... */
export function orgNumbering(name: string): NumberedHandle {
  const stem = orgHandleStem(name);
  return { counter: `org:${stem}`, prefix: `${stem}-`, suffix: '' };
}

/** `NET-198-51-100-0` for 198.51.100.0, `NET6-2001-DB8` for 2001:db8:: (trailing zero groups dropped). */
export function netHandleStem(range: IpRange): string {
  if (range.version === 4) return `NET-${formatAddress(4, range.start).replaceAll('.', '-')}`;
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--)
    groups.push(((range.start >> BigInt(i * 16)) & 0xffffn).toString(16).toUpperCase());
  while (groups.length > 1 && groups[groups.length - 1] === '0') groups.pop();
  return `NET6-${groups.join('-')}`;
}

/** `NET-198-51-100-0-1`, `NET-198-51-100-0-2`, ... */
export function netNumbering(range: IpRange): NumberedHandle {
  const stem = netHandleStem(range);
  return { counter: `net:${stem}`, prefix: `${stem}-`, suffix: '' };
}

/**
 * `C` and the sequence's next number, eight digits or more (`lpad` alone would cut a ninth), from
 * a sequence (drizzle/0002): every simple reassignment makes one, and a counter row held to
 * commit would make them all wait for each other. Unique and increasing, not gap-free; a number
 * taken by a seed file is skipped (the insert does nothing and is tried again).
 */
export const NEW_CUSTOMER_HANDLE = sql<string>`(select 'C' || lpad(n::text, greatest(8, length(n::text)), '0')
  from nextval('customer_handle_seq') as n)`;

/**
 * A dry run's customer handle: the sequence's next numbers read, not taken (`nextval` is never
 * undone by a rollback, and a dry run must leave no trace), offset by the placeholder
 * `dry_customer` (1, 2... within the run). The handle is never shown: a dry run issues none.
 */
export const DRY_RUN_CUSTOMER_HANDLE = sql<string>`(select 'C' || lpad(n::text, greatest(8, length(n::text)), '0')
  from (select last_value - (case when is_called then 0 else 1 end) + ${sql.placeholder('dry_customer')}::bigint as n
        from customer_handle_seq) as peek)`;
