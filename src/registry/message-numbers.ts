/**
 * A message's numbers, taken before its transaction: its templates' ticket numbers (tickets.ts)
 * and its new POCs' handle numbers (handles.ts), in one statement when it needs both.
 */
import { type SQL, sql } from 'drizzle-orm';
import { type Executor, queryRows } from '../db/index.ts';
import {
  type HandleReservations,
  type PocNaming,
  pocCounterBump,
  reservationsFrom,
  reservePocHandles,
} from './handles.ts';
import { allocateTicketNumbers, ticketCounterBump } from './tickets.ts';

/**
 * A message's numbers, taken before its transaction in ONE statement: its templates' ticket
 * numbers (tickets.ts) and its new POCs' handle numbers. Each is a round trip of its own
 * otherwise. The day's ticket counter is bumped first, then the POC counters in name order, as
 * either does alone: two of these never wait for each other in a circle.
 */
export async function takeMessageNumbers(
  ex: Executor,
  ticketCount: number,
  pocs: readonly PocNaming[],
  now: Date = new Date(),
): Promise<{ readonly tickets: string[]; readonly handles: HandleReservations }> {
  if (pocs.length === 0 || ticketCount <= 0) {
    return {
      tickets: await allocateTicketNumbers(ex, ticketCount, now),
      handles: await reservePocHandles(ex, pocs),
    };
  }
  const tickets = ticketCounterBump(ticketCount, now);
  const handles = pocCounterBump(pocs);
  const rows = await queryRows<{ name: string | null; last: string | number }>(
    ex,
    sql`WITH tickets AS (${tickets.statement}), handles AS (${handles.statement})
        SELECT NULL::text AS name, last::bigint AS last FROM tickets
        UNION ALL SELECT name, last::bigint FROM handles`,
  );
  const ticketRow = rows.find((r) => r.name === null);
  return {
    tickets: tickets.numbers(ticketRow?.last),
    handles: reservationsFrom(
      handles.wanted,
      rows.flatMap((r) => (r.name === null ? [] : [{ name: r.name, last: r.last }])),
    ),
  };
}

/** What a message needs numbered: its templates' tickets and its new POCs' handles. */
export interface NumbersWanted {
  readonly ticketCount: number;
  readonly pocs: readonly PocNaming[];
  readonly now?: Date;
}

export interface MessageNumbers {
  readonly tickets: string[];
  readonly handles: HandleReservations;
}

/**
 * A message's numbers taken by a statement of another room where `when` holds (the requester's
 * lookup: src/auth/requester.ts), so that the lookup and the numbers are one round trip. `ctes`
 * go in its WITH (`tickets`, then `handles`, which waits for it: the same order as
 * takeMessageNumbers), `columns` in its select list (`ticket_last`, `handle_lasts`), and `read`
 * turns them into the numbers, or undefined where `when` did not hold (nothing was bumped).
 */
export function numbersWhere(
  wanted: NumbersWanted,
  when: SQL,
): {
  readonly ctes: SQL;
  readonly columns: SQL;
  read(row: Readonly<Record<string, unknown>>): MessageNumbers | undefined;
} {
  const tickets = ticketCounterBump(wanted.ticketCount, wanted.now ?? new Date(), when);
  const handles =
    wanted.pocs.length > 0 ? pocCounterBump(wanted.pocs, sql`EXISTS (SELECT 1 FROM tickets)`) : undefined;
  return {
    ctes: handles
      ? sql`tickets AS (${tickets.statement}), handles AS (${handles.statement})`
      : sql`tickets AS (${tickets.statement})`,
    columns: sql`(SELECT last::bigint FROM tickets) AS ticket_last,
      ${handles ? sql`(SELECT coalesce(json_agg(json_build_object('name', name, 'last', last::bigint)), '[]'::json) FROM handles)` : sql`'[]'::json`} AS handle_lasts`,
    read(row) {
      const last = row['ticket_last'];
      if (last === null || last === undefined) return undefined;
      const counters = (row['handle_lasts'] ?? []) as { name: string; last: number }[];
      return {
        tickets: tickets.numbers(last as string | number),
        handles: handles ? reservationsFrom(handles.wanted, counters) : reservationsFrom(new Map(), []),
      };
    },
  };
}
