/**
 * Ticket numbers `YYYYMMDD-X<7 digits>` (UTC day): unique, and increasing within a day in the
 * order they were taken; NOT gap-free. The per-day counter row is bumped with one
 * `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`. The worker takes a message's numbers in a
 * statement of its own (`allocateTicketNumbers(db, n)`, committed at once) and records the
 * tickets inside the message's transaction: bumped inside the transaction, the counter row
 * stayed locked until commit and every message of every worker took turns on it. The price: a
 * transaction that rolls back (a crash, a lost race, a deadlock) leaves its numbers unused.
 */
import { eq, type SQL, sql } from 'drizzle-orm';
import {
  type Executor,
  insertRows,
  queryRows,
  type TogetherWrite,
  type Transaction,
  tables,
  writeTogether,
} from '../db/index.ts';
import { fail, ok, problem, type Result } from '../shared/index.ts';
import type { Ticket, TicketStatus } from './types.ts';

export const TICKET_NUMBER = /^(\d{8})-X(\d{7})$/;

export function ticketDay(now: Date): string {
  return now.toISOString().slice(0, 10).replaceAll('-', '');
}

export function formatTicketNumber(day: string, serial: number): string {
  return `${day}-X${String(serial).padStart(7, '0')}`;
}

export interface NewTicket {
  /** Taken beforehand with `allocateTicketNumber`; taken inside the caller's transaction when absent. */
  readonly number?: string;
  readonly submissionId?: string | null;
  /** 1-based, as in the reply's "Template 2 of 3". */
  readonly templateIndex?: number | null;
  readonly status: TicketStatus;
  readonly resolution?: string | null;
  /** The template's Additional Information, for staff (keys already redacted). */
  readonly additionalInfo?: string | null;
  /** For tests; the database clock's day is not used so a ticket's day matches the reply's date. */
  readonly now?: Date;
}

/**
 * Takes `count` consecutive numbers of `now`'s day in one statement (a message's templates, in
 * order). Pass the database, not a transaction, so the counter row's lock lasts one statement;
 * given a transaction it lasts until that commits.
 */
export async function allocateTicketNumbers(
  ex: Executor,
  count: number,
  now: Date = new Date(),
): Promise<string[]> {
  if (count <= 0) return [];
  const bump = ticketCounterBump(count, now);
  const rows = await queryRows<{ last: number | string }>(ex, bump.statement);
  return bump.numbers(rows[0]?.last);
}

/** The day's counter bumped by `count` (`RETURNING last`), and the numbers that makes. */
export function ticketCounterBump(
  count: number,
  now: Date,
  /** Bumped only where this holds (a requester found by the same statement): no row, no bump. */
  when?: SQL,
): { readonly statement: SQL; numbers(last: number | string | undefined): string[] } {
  const day = ticketDay(now);
  const row = when ? sql`SELECT ${day}, ${count} WHERE ${when}` : sql`VALUES (${day}, ${count})`;
  return {
    statement: sql`INSERT INTO ticket_counters (day, last) ${row}
        ON CONFLICT (day) DO UPDATE SET last = ticket_counters.last + ${count}
        RETURNING last`,
    numbers(lastValue) {
      const last = Number(lastValue);
      if (!Number.isInteger(last)) throw new Error(`ticket counter for ${day} answered no number`);
      if (last > 9_999_999) throw new Error(`ticket counter for ${day} is exhausted`);
      return Array.from({ length: count }, (_, i) => formatTicketNumber(day, last - count + 1 + i));
    },
  };
}

/** Takes the next number of `now`'s day (see `allocateTicketNumbers`). */
export async function allocateTicketNumber(ex: Executor, now: Date = new Date()): Promise<string> {
  const [number] = await allocateTicketNumbers(ex, 1, now);
  return number!;
}

/** Records a ticket (its number taken now unless given) and returns its number. */
export async function issueTicket(tx: Transaction, ticket: NewTicket): Promise<string> {
  const number = ticket.number ?? (await allocateTicketNumber(tx, ticket.now));
  await issueTickets(tx, [{ ...ticket, number }]);
  return number;
}

const TICKET_COLUMNS = [
  'number',
  'submissionId',
  'templateIndex',
  'status',
  'resolution',
  'additionalInfo',
  'closedAt',
] as const;

/** Tickets whose numbers were taken beforehand, as one insert to send with other writes (none is fine). */
export function ticketsWrite(tickets: ReadonlyArray<NewTicket & { readonly number: string }>): TogetherWrite {
  return insertRows(
    tables.tickets,
    TICKET_COLUMNS,
    tickets.map((ticket) => ({
      number: ticket.number,
      submissionId: ticket.submissionId ?? null,
      templateIndex: ticket.templateIndex ?? null,
      status: ticket.status,
      resolution: ticket.resolution ?? null,
      additionalInfo: ticket.additionalInfo ?? null,
      closedAt: ticket.status === 'pending_review' ? null : (ticket.now ?? new Date()),
    })),
  );
}

/** Records tickets whose numbers were taken beforehand, in one statement. */
export async function issueTickets(
  tx: Transaction,
  tickets: ReadonlyArray<NewTicket & { readonly number: string }>,
): Promise<void> {
  if (tickets.length > 0) await writeTogether(tx, [ticketsWrite(tickets)]);
}

export async function ticketByNumber(ex: Executor, number: string): Promise<Ticket | undefined> {
  return (
    await ex.select().from(tables.tickets).where(eq(tables.tickets.number, number.trim().toUpperCase()))
  )[0];
}

/** Settles a ticket (e.g. a pending review that staff approved or refused). */
export async function closeTicket(
  tx: Transaction,
  number: string,
  outcome: { status: Exclude<TicketStatus, 'pending_review'>; resolution?: string },
): Promise<Result<Ticket>> {
  const ticket = await ticketByNumber(tx, number);
  if (!ticket) return fail(problem('E_OBJECT_NOT_FOUND', `ticket ${number} does not exist`));
  if (ticket.closedAt && ticket.status !== 'pending_review') {
    return fail(problem('E_TICKET_CLOSED', `ticket ${ticket.number} is already closed (${ticket.status})`));
  }
  const [after] = await tx
    .update(tables.tickets)
    .set({
      status: outcome.status,
      resolution: outcome.resolution ?? ticket.resolution,
      closedAt: new Date(),
    })
    .where(eq(tables.tickets.number, ticket.number))
    .returning();
  return ok(after!);
}
