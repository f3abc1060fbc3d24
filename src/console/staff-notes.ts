/**
 * Notes to hostmaster: what a customer wrote in a template's Additional Information (ARIN's
 * "note to hostmaster": a request, a warning) on a template that was not refused. The reply tells
 * the customer it was "passed to hostmaster staff"; a refused template's note is read in the
 * rejection queue, but an approved or held one's had no place staff look. Here they are listed,
 * counted, searched by their words or ticket, and marked read with a note (an audit row on the
 * ticket, `console.note-read`: who read it and what they did), so Monday's list holds what is
 * still to read.
 */
import { sql } from 'drizzle-orm';
import { type Database, queryRows, type Transaction, tables } from '../db/index.ts';
import { fail, ok, problem, type Result } from '../shared/index.ts';
import type { StaffUser } from './staff-accounts.ts';

export const NOTE_READ_ACTION = 'console.note-read';
const PAGE = 100;

export interface StaffNote {
  readonly ticket: string;
  readonly submissionId: string | null;
  readonly templateIndex: number | null;
  readonly status: string;
  readonly text: string;
  readonly sender: string | null;
  readonly createdAt: Date;
  /** Marked read: by whom, when, with what note. */
  readonly read?: { readonly by: string; readonly at: Date; readonly note: string };
}

type NoteRow = {
  number: string;
  submission_id: string | null;
  template_index: number | null;
  status: string;
  additional_info: string;
  sender: string | null;
  created_at: Date | string;
  read_by: string | null;
  read_at: Date | string | null;
  read_note: string | null;
};

/** The words typed, as a LIKE pattern matched literally (`%`, `_` and `\` are not wildcards). */
const literal = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function where(state: 'open' | 'all', q: string) {
  const words = q.trim();
  return sql`t.additional_info IS NOT NULL AND t.additional_info <> '' AND t.status <> 'rejected'
    ${state === 'open' ? sql`AND r.id IS NULL` : sql``}
    ${words ? sql`AND (t.additional_info ILIKE ${literal(words)} OR t.number ILIKE ${literal(words)} OR t.submission_id = ${words})` : sql``}`;
}

const FROM = sql`FROM tickets AS t
  LEFT JOIN submissions AS s ON s.id = t.submission_id
  LEFT JOIN LATERAL (
    SELECT a.id, a.actor, a.at, a.note FROM audit_log AS a
    WHERE a.object_type = 'ticket' AND a.object_handle = t.number AND a.action = ${NOTE_READ_ACTION}
    ORDER BY a.id DESC LIMIT 1
  ) AS r ON true`;

export async function listStaffNotes(
  db: Database,
  filter: { readonly state: 'open' | 'all'; readonly q: string },
): Promise<{ readonly notes: StaffNote[]; readonly total: number }> {
  const [rows, counted] = await Promise.all([
    queryRows<NoteRow>(
      db,
      sql`SELECT t.number, t.submission_id, t.template_index, t.status, t.additional_info,
            s.from_address AS sender, t.created_at, r.actor AS read_by, r.at AS read_at, r.note AS read_note
          ${FROM} WHERE ${where(filter.state, filter.q)}
          ORDER BY t.created_at DESC, t.number DESC LIMIT ${PAGE}`,
    ),
    queryRows<{ n: number | string }>(
      db,
      sql`SELECT count(*) AS n ${FROM} WHERE ${where(filter.state, filter.q)}`,
    ),
  ]);
  return {
    total: Number(counted[0]?.n ?? 0),
    notes: rows.map((row) => ({
      ticket: row.number,
      submissionId: row.submission_id,
      templateIndex: row.template_index,
      status: row.status,
      text: row.additional_info,
      sender: row.sender,
      createdAt: new Date(row.created_at),
      ...(row.read_by && row.read_at
        ? {
            read: {
              by: row.read_by.replace(/^staff:/, ''),
              at: new Date(row.read_at),
              note: row.read_note ?? '',
            },
          }
        : {}),
    })),
  };
}

/** How many notes are still to read (the navigation shows it). */
export async function countOpenNotes(db: Database): Promise<number> {
  return (await listStaffNotes(db, { state: 'open', q: '' })).total;
}

/** Marks a ticket's note read, once: a second staff member is told who was first. */
export async function markNoteRead(
  db: Database,
  staff: StaffUser,
  ticket: string,
  note: string,
): Promise<Result<string>> {
  return await db.transaction(async (tx: Transaction): Promise<Result<string>> => {
    // One marker at a time per ticket: two staff clicking together do not both mark it.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`note-read:${ticket}`}))`);
    const [found] = await queryRows<{ number: string; read_by: string | null }>(
      tx,
      sql`SELECT t.number, r.actor AS read_by ${FROM} WHERE t.number = ${ticket}
            AND t.additional_info IS NOT NULL AND t.additional_info <> ''`,
    );
    if (!found) return fail(problem('E_NOT_FOUND', `ticket ${ticket} has no note to hostmaster`));
    if (found.read_by) {
      return fail(
        problem(
          'E_ALREADY_CLOSED',
          `the note of ticket ${ticket} was already marked read by ${found.read_by.replace(/^staff:/, '')}; nothing was done`,
        ),
      );
    }
    await tx.insert(tables.auditLog).values({
      actor: `staff:${staff.email}`,
      action: NOTE_READ_ACTION,
      objectType: 'ticket',
      objectHandle: ticket,
      ticketNumber: ticket,
      note,
      before: { state: 'open' },
      after: { state: 'read' },
    });
    return ok(`The note of ticket ${ticket} is marked read.`);
  });
}
