/**
 * Generated handles. Each kind has a counter row in `handle_counters`, bumped in the caller's
 * transaction (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`), so two transactions never get
 * the same number; a number already taken (e.g. a handle loaded from a seed file) is skipped.
 *
 * The bump and the "is it taken?" look-up are one statement (a data-modifying CTE): every
 * statement is a round trip, and a simple reassignment generates two handles. So the handle is
 * put together in SQL, from the text around the number: `prefix || n || suffix`.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { AnyPgTable, PgColumn } from 'drizzle-orm/pg-core';
import { queryRows, type Transaction, tables } from '../db/index.ts';
import { formatAddress, type IpRange } from '../ip/index.ts';

/** A table whose objects are named by a `handle` column. */
type HandleTable = AnyPgTable & { readonly handle: PgColumn };

/** How a kind's handles look: the text before and after the counter's number. */
interface HandleShape {
  readonly counter: string;
  readonly prefix: string;
  readonly suffix: string;
  readonly table: HandleTable;
}

/**
 * Runs `numbered` (a statement giving one `handle`, taking a new number each time) until the
 * handle it gives is not taken in `table`; the look-up rides along in the same statement.
 */
async function firstUntaken(tx: Transaction, numbered: SQL, table: HandleTable): Promise<string> {
  for (;;) {
    const [row] = await queryRows<{ handle: string; taken: boolean }>(
      tx,
      sql`WITH candidate AS (${numbered})
          SELECT candidate.handle,
                 EXISTS (SELECT 1 FROM ${table} WHERE ${table.handle} = candidate.handle) AS taken
          FROM candidate`,
    );
    if (!row) throw new Error('handle generation returned no row');
    if (!row.taken) return row.handle;
  }
}

/** The next free handle of this shape: bumps the counter until the handle it gives is not taken. */
function firstFree(tx: Transaction, shape: HandleShape): Promise<string> {
  return firstUntaken(
    tx,
    sql`INSERT INTO handle_counters (name, last) VALUES (${shape.counter}, 1)
        ON CONFLICT (name) DO UPDATE SET last = handle_counters.last + 1
        RETURNING ${shape.prefix}::text || last::text || ${shape.suffix}::text AS handle`,
    shape.table,
  );
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

export async function generatePocHandle(
  tx: Transaction,
  kind: 'person' | 'role',
  lastName: string,
  firstName?: string | null,
): Promise<string> {
  const stem = pocHandleStem(kind, lastName, firstName);
  return firstFree(tx, { counter: `poc:${stem}`, prefix: stem, suffix: '-ARIN', table: tables.pocs });
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

export async function generateOrgHandle(tx: Transaction, name: string): Promise<string> {
  const stem = orgHandleStem(name);
  return firstFree(tx, { counter: `org:${stem}`, prefix: `${stem}-`, suffix: '', table: tables.orgs });
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

export async function generateNetHandle(tx: Transaction, range: IpRange): Promise<string> {
  const stem = netHandleStem(range);
  return firstFree(tx, { counter: `net:${stem}`, prefix: `${stem}-`, suffix: '', table: tables.nets });
}

/**
 * `C` and eight digits, from a sequence (drizzle/0002): every simple reassignment makes one, and
 * a counter row held to commit would make them all wait for each other. Unique and increasing,
 * not gap-free; a number taken by a seed file is skipped. (Past 99999999 the number just grows:
 * `lpad` alone would cut it.)
 */
export function generateCustomerHandle(tx: Transaction): Promise<string> {
  return firstUntaken(
    tx,
    sql`SELECT 'C' || lpad(n::text, greatest(8, length(n::text)), '0') AS handle
        FROM nextval('customer_handle_seq') AS n`,
    tables.customers,
  );
}
