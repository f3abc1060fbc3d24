/**
 * Generated handles. Each kind has a counter row in `handle_counters`, bumped in the caller's
 * transaction (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`), so two transactions never get
 * the same number; a number already taken (e.g. a handle loaded from a seed file) is skipped.
 */
import { eq, sql } from 'drizzle-orm';
import { queryRows, type Transaction, tables } from '../db/index.ts';
import { formatAddress, type IpRange } from '../ip/index.ts';

export async function nextCounter(tx: Transaction, name: string): Promise<number> {
  const rows = await queryRows<{ last: string | number }>(
    tx,
    sql`INSERT INTO handle_counters (name, last) VALUES (${name}, 1)
        ON CONFLICT (name) DO UPDATE SET last = handle_counters.last + 1
        RETURNING last`,
  );
  return Number(rows[0]?.last);
}

async function firstFree(
  tx: Transaction,
  counter: string,
  format: (n: number) => string,
  taken: (handle: string) => Promise<boolean>,
): Promise<string> {
  for (;;) {
    const handle = format(await nextCounter(tx, counter));
    if (!(await taken(handle))) return handle;
  }
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
  return firstFree(
    tx,
    `poc:${stem}`,
    (n) => `${stem}${n}-ARIN`,
    async (h) => (await tx.select().from(tables.pocs).where(eq(tables.pocs.handle, h))).length > 0,
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

export async function generateOrgHandle(tx: Transaction, name: string): Promise<string> {
  const stem = orgHandleStem(name);
  return firstFree(
    tx,
    `org:${stem}`,
    (n) => `${stem}-${n}`,
    async (h) => (await tx.select().from(tables.orgs).where(eq(tables.orgs.handle, h))).length > 0,
  );
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
  return firstFree(
    tx,
    `net:${stem}`,
    (n) => `${stem}-${n}`,
    async (h) => (await tx.select().from(tables.nets).where(eq(tables.nets.handle, h))).length > 0,
  );
}

/**
 * `C` and eight digits, from a sequence (drizzle/0002): every simple reassignment makes one, and
 * a counter row held to commit would make them all wait for each other. Unique and increasing,
 * not gap-free; a number taken by a seed file is skipped.
 */
export async function generateCustomerHandle(tx: Transaction): Promise<string> {
  for (;;) {
    const rows = await queryRows<{ n: string | number }>(tx, sql`SELECT nextval('customer_handle_seq') AS n`);
    const handle = `C${String(Number(rows[0]?.n)).padStart(8, '0')}`;
    const taken = await tx.select().from(tables.customers).where(eq(tables.customers.handle, handle));
    if (taken.length === 0) return handle;
  }
}
