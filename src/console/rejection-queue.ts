/**
 * The staff queue: rejections newest first, filtered, paged by keyset on (created_at, id) so a
 * deep page costs what page one costs, however many rows there are.
 */
import { and, desc, eq, gte, ilike, lt, type SQL, sql } from 'drizzle-orm';
import type { Database, RejectionState } from '../db/index.ts';
import { tables } from '../db/index.ts';
import { hideKeysIn } from './key-hiding.ts';

export const PAGE_SIZE = 50;

export interface QueueFilters {
  readonly state: RejectionState | 'all';
  readonly reasonCode?: string;
  readonly form?: string;
  /** Part of the sender address, any case. */
  readonly sender?: string;
  /** Inclusive days, `YYYY-MM-DD` (UTC). */
  readonly fromDay?: string;
  readonly toDay?: string;
}

export interface QueueRow {
  readonly id: number;
  readonly createdAt: Date;
  readonly submissionId: string;
  readonly templateIndex: number | null;
  readonly reasonCode: string;
  readonly reason: string;
  readonly form: string | null;
  readonly sender: string | null;
  readonly state: RejectionState;
  readonly subject: string | null;
  /** The template's Additional Information (on its ticket): the sender's note to staff. */
  readonly additionalInfo: string | null;
}

export interface QueuePage {
  readonly rows: readonly QueueRow[];
  /** Opaque cursor of the next (older) page, when there is one. */
  readonly next: string | undefined;
}

interface Cursor {
  /** created_at as PostgreSQL printed it: keeps the microseconds a JS Date would drop. */
  readonly at: string;
  readonly id: number;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.id])).toString('base64url');
}

export function decodeCursor(raw: string | undefined): Cursor | undefined {
  if (!raw) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || typeof value[0] !== 'string' || !Number.isSafeInteger(value[1]))
      return undefined;
    if (Number.isNaN(Date.parse(value[0]))) return undefined;
    return { at: value[0], id: value[1] as number };
  } catch {
    return undefined;
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function conditions(filters: QueueFilters): SQL[] {
  const r = tables.rejections;
  const where: SQL[] = [];
  if (filters.state !== 'all') where.push(eq(r.state, filters.state));
  if (filters.reasonCode) where.push(eq(r.reasonCode, filters.reasonCode));
  if (filters.form) where.push(ilike(r.form, `${escapeLike(filters.form)}%`));
  if (filters.sender) where.push(ilike(r.sender, `%${escapeLike(filters.sender)}%`));
  if (filters.fromDay && DAY.test(filters.fromDay)) {
    where.push(gte(r.createdAt, sql`${`${filters.fromDay}T00:00:00Z`}::timestamptz`));
  }
  if (filters.toDay && DAY.test(filters.toDay)) {
    where.push(lt(r.createdAt, sql`${`${filters.toDay}T00:00:00Z`}::timestamptz + interval '1 day'`));
  }
  return where;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The page query, unexecuted: `listRejections` runs it; tests EXPLAIN it. */
export function rejectionPageQuery(db: Database, filters: QueueFilters, after?: string) {
  const r = tables.rejections;
  const t = tables.tickets;
  const where = conditions(filters);
  const cursor = decodeCursor(after);
  if (cursor) where.push(sql`(${r.createdAt}, ${r.id}) < (${cursor.at}::timestamptz, ${cursor.id})`);
  return db
    .select({
      id: r.id,
      createdAt: r.createdAt,
      cursorAt: sql<string>`${r.createdAt}::text`,
      submissionId: r.submissionId,
      templateIndex: r.templateIndex,
      reasonCode: r.reasonCode,
      reason: r.reason,
      form: r.form,
      sender: r.sender,
      state: r.state,
      subject: tables.submissions.subject,
      // One template keeps one ticket; per row of the page, by the tickets' (submission, index) index.
      additionalInfo: sql<string | null>`(SELECT ${t.additionalInfo} FROM ${t}
        WHERE ${t.submissionId} = ${r.submissionId} AND ${t.templateIndex} = ${r.templateIndex}
        ORDER BY ${t.number} DESC LIMIT 1)`,
    })
    .from(r)
    .innerJoin(tables.submissions, eq(tables.submissions.id, r.submissionId))
    .where(and(...where))
    .orderBy(desc(r.createdAt), desc(r.id))
    .limit(PAGE_SIZE + 1);
}

export async function listRejections(
  db: Database,
  filters: QueueFilters,
  after?: string,
): Promise<QueuePage> {
  const rows = await rejectionPageQuery(db, filters, after);
  const page = rows.slice(0, PAGE_SIZE);
  const last = page[page.length - 1];
  return {
    // A billing system may put its API key in the Subject (or anywhere a sender writes):
    // hidden in every form the submission page hides it in.
    // Every column: the form name is read off the sender's Template line too.
    rows: page.map(({ cursorAt: _, ...row }) => hideKeysIn(row)),
    next: rows.length > PAGE_SIZE && last ? encodeCursor({ at: last.cursorAt, id: last.id }) : undefined,
  };
}

export interface ReasonCount {
  readonly reasonCode: string;
  readonly count: number;
}

/** How many rejections per reason code, in the chosen state: the queue's summary and its filter links. */
export async function countByReason(db: Database, state: QueueFilters['state']): Promise<ReasonCount[]> {
  const r = tables.rejections;
  return await db
    .select({ reasonCode: r.reasonCode, count: sql<number>`count(*)`.mapWith(Number) })
    .from(r)
    .where(state === 'all' ? undefined : eq(r.state, state))
    .groupBy(r.reasonCode)
    .orderBy(desc(sql`count(*)`), r.reasonCode);
}
