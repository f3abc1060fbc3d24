/**
 * A message's numbers, taken before its transaction: its templates' ticket numbers (tickets.ts)
 * and its new POCs' handle numbers (handles.ts), in one statement when it needs both.
 */
import { sql } from 'drizzle-orm';
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
