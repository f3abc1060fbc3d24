/**
 * The staff queue: rejections newest first, filtered, paged by keyset on (created_at, id) so a
 * deep page costs what page one costs, however many rows there are.
 */
import { and, asc, desc, eq, gte, ilike, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Database, RejectionState } from '../db/index.ts';
import { tables } from '../db/index.ts';
import type { IpRange } from '../ip/index.ts';
import { addressSearch } from './address-search.ts';
import { isCalendarDay, isPrintedTimestamp } from './calendar.ts';
import { hideKeys, hideKeysIn } from './key-hiding.ts';

export const PAGE_SIZE = 50;

export const QUEUE_SORTS = ['newest', 'oldest', 'sender', 'reason'] as const;
export type QueueSort = (typeof QUEUE_SORTS)[number];

/** The queue's tabs: every row, or only those waiting for a decision (tables.DECISION_REASONS). */
export const QUEUE_VIEWS = ['all', 'triage'] as const;
export type QueueView = (typeof QUEUE_VIEWS)[number];

export interface QueueFilters {
  readonly state: RejectionState | 'all';
  /** `triage`: work held for review and answers to our mail, the items that need a decision. */
  readonly view?: QueueView;
  /** Part of the reason code, any case: `e_overlap`, `OVERLAP` and `E_OVERLAP` all find E_OVERLAP. */
  readonly reasonCode?: string;
  /** Part of the form name, any case: `reassign` finds ARIN-REASSIGN-SIMPLE. */
  readonly form?: string;
  /**
   * Free text, any case, part of: the subject, the sender, the reason, the submission id, the
   * connecting IP, a range or handle the template named or was given, a ticket number.
   */
  readonly search?: string;
  /** Newest first unless told otherwise. */
  readonly sort?: QueueSort;
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
  /** State `superseded`: the submission whose approval closed it. */
  readonly supersededBy: string | null;
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
    // Read by PostgreSQL (`::timestamptz`), which refuses much that Date.parse takes (`Dec 7`, `1`).
    if (!isPrintedTimestamp(value[0])) return undefined;
    return { at: value[0], id: value[1] as number };
  } catch {
    return undefined;
  }
}

function conditions(filters: QueueFilters): SQL[] {
  const r = tables.rejections;
  const where: SQL[] = [];
  if (filters.state !== 'all') where.push(eq(r.state, filters.state));
  if (filters.view === 'triage') where.push(inArray(r.reasonCode, [...tables.DECISION_REASONS]));
  if (filters.reasonCode) where.push(separatorsAlike(sql`${r.reasonCode}`, filters.reasonCode));
  if (filters.form) where.push(separatorsAlike(sql`${r.form}`, filters.form));
  // The sender shows with keys hidden: filtered so, like the search.
  if (filters.sender) where.push(sql`${withoutKeys(sql`${r.sender}`)} ilike ${likePattern(filters.sender)}`);
  if (filters.search) where.push(searchCondition(filters.search));
  if (filters.fromDay && isCalendarDay(filters.fromDay)) {
    where.push(gte(r.createdAt, sql`${`${filters.fromDay}T00:00:00Z`}::timestamptz`));
  }
  if (filters.toDay && isCalendarDay(filters.toDay)) {
    where.push(lt(r.createdAt, sql`${`${filters.toDay}T00:00:00Z`}::timestamptz + interval '1 day'`));
  }
  return where;
}

/**
 * Text staff see with API keys hidden (subject, sender, reason) must not find a row by its key:
 * else a search would tell, a character at a time, the key the page hides. In SQL that text is
 * searched with escapes undone (`=2D`, `%2D`) and anything shaped like a key taken out (four
 * groups of four hex digits, separated or not, after `API` or not); a row found only there is
 * listed (and counted) only when its text as shown (keys hidden in every form the console
 * knows, key-hiding.ts) holds the search too.
 */
const KEY_SHAPE = '(api[^0-9a-z]{0,3})?[0-9a-f]{4}([^0-9a-z]{0,3}[0-9a-f]{4}){3}';

function withoutKeys(column: SQL): SQL {
  const unescaped = sql`regexp_replace(coalesce(${column}, ''), '[=%][0-9a-f]{2}', '-', 'gi')`;
  return sql`regexp_replace(${unescaped}, ${KEY_SHAPE}, ' ', 'gi')`;
}

/**
 * Codes and form names are written with `_` and `-` (E_NOT_AUTHORIZED, ARIN-REASSIGN-SIMPLE); a
 * person types `not authorized` or `Reassign Simple`: a space, `_` and `-` are one separator.
 * The match is a regular expression on the column itself, not on an expression of it: the planner
 * knows the column's values and estimates a common code as common, so the page is still read
 * through the (state, created_at, id) index in order; an expression it has no statistics for was
 * guessed at one row and read by a bitmap scan and a sort of every open row (EXPLAIN in
 * rejection-queue.test.ts).
 */
function separatorsAlike(column: SQL, typed: string): SQL {
  const words = typed.split(/[\s_-]+/).filter((word) => word !== '');
  // Only separators typed: every code holds the empty text, as the ILIKE '%%' this replaced.
  if (words.length === 0) return sql`true`;
  const pattern = words.map(escapeRegex).join('[[:space:]_-]+');
  return sql`${column} ~* ${pattern}`;
}

/** `text` as a literal in a PostgreSQL (ARE) regular expression. */
function escapeRegex(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, (c) => `\\${c}`);
}

function likePattern(search: string): string {
  return `%${escapeLike(search)}%`;
}

/** The search in what staff see with keys hidden. */
function textMatch(search: string): SQL {
  const r = tables.rejections;
  const s = tables.submissions;
  const pattern = likePattern(search);
  return or(
    sql`${withoutKeys(sql`${s.subject}`)} ilike ${pattern}`,
    sql`${withoutKeys(sql`${r.sender}`)} ilike ${pattern}`,
    sql`${withoutKeys(sql`${r.reason}`)} ilike ${pattern}`,
  ) as SQL;
}

/**
 * The search in what holds no key, or has it hidden: ids, the connecting IP, the templates as the
 * submission page shows them (what the customer typed: net and customer names, handles, ranges
 * as written, also in a template refused at reading, which has no request), the handles given,
 * tickets, and the ranges the templates named, by number, when the search is an address.
 */
function elsewhereMatch(search: string): SQL {
  const r = tables.rejections;
  const s = tables.submissions;
  const st = tables.submissionTemplates;
  const t = tables.tickets;
  const pattern = likePattern(search);
  const range = addressSearch(search);
  return or(
    ilike(r.submissionId, pattern),
    ilike(s.remoteAddress, pattern),
    sql`exists (select 1 from ${st} where ${st.submissionId} = ${r.submissionId}
      and (${withoutKeys(sql`${st.echo}`)} ilike ${pattern} or ${st.request}::text ilike ${pattern}
        or ${st.handles}::text ilike ${pattern} or ${st.ticketNumber} ilike ${pattern}))`,
    sql`exists (select 1 from ${t} where ${t.submissionId} = ${r.submissionId} and ${t.number} ilike ${pattern})`,
    ...(range ? [rangeOverlaps(range)] : []),
  ) as SQL;
}

/** A template of the rejection's submission named a range overlapping `range` (its subject keys). */
function rangeOverlaps(range: IpRange): SQL {
  const st = tables.submissionTemplates;
  // `simple-n:range:4:...`, `remove:range:4:...`: the kind of change, then the range (subjects.ts).
  const prefix = `^([a-z0-9-]+:)?range:${range.version}:`;
  const bounds = sql`regexp_replace(key, ${prefix}, '')`;
  return sql`exists (select 1 from ${st}, unnest(${st.subjects}) as subject(key)
    where ${st.submissionId} = ${tables.rejections.submissionId}
      and key ~ ${`${prefix}[0-9]+-[0-9]+$`}
      and split_part(${bounds}, '-', 1)::numeric <= ${range.end.toString()}::numeric
      and split_part(${bounds}, '-', 2)::numeric >= ${range.start.toString()}::numeric)`;
}

function searchCondition(search: string): SQL {
  return or(textMatch(search), elsewhereMatch(search)) as SQL;
}

/** Whether a row found by the search in SQL holds it where staff can see it, keys hidden. */
function foundAsShown(
  search: string,
  row: { matchedElsewhere: boolean; subject: string | null; sender: string | null; reason: string },
): boolean {
  if (row.matchedElsewhere) return true;
  const wanted = search.toLowerCase();
  return [row.subject, row.sender, row.reason].some(
    (text) => text !== null && hideKeys(text).text.toLowerCase().includes(wanted),
  );
}

/** A text matched literally inside a LIKE pattern. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The page query, unexecuted: `listRejections` runs it; tests EXPLAIN it. */
export function rejectionPageQuery(db: Database, filters: QueueFilters, after?: string) {
  const r = tables.rejections;
  const t = tables.tickets;
  const where = conditions(filters);
  const sort = filters.sort ?? 'newest';
  const key = sortKey(sort);
  const cursor = decodeCursor(after);
  if (cursor) {
    if (sort === 'newest') {
      where.push(sql`(${r.createdAt}, ${r.id}) < (${cursor.at}::timestamptz, ${cursor.id})`);
    } else if (key === undefined) {
      where.push(sql`(${r.createdAt}, ${r.id}) > (${cursor.at}::timestamptz, ${cursor.id})`);
    } else {
      where.push(
        sql`(${key}, ${r.createdAt}, ${r.id}) > (${cursorKeyOf(sort, cursor.id)}, ${cursor.at}::timestamptz, ${cursor.id})`,
      );
    }
  }
  const order =
    sort === 'newest'
      ? [desc(r.createdAt), desc(r.id)]
      : [...(key === undefined ? [] : [asc(key)]), asc(r.createdAt), asc(r.id)];
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
      supersededBy: r.supersededBy,
      subject: tables.submissions.subject,
      matchedElsewhere: filters.search ? sql<boolean>`${elsewhereMatch(filters.search)}` : sql<boolean>`true`,
      // One template keeps one ticket; per row of the page, by the tickets' (submission, index) index.
      additionalInfo: sql<string | null>`(SELECT ${t.additionalInfo} FROM ${t}
        WHERE ${t.submissionId} = ${r.submissionId} AND ${t.templateIndex} = ${r.templateIndex}
        ORDER BY ${t.number} DESC LIMIT 1)`,
    })
    .from(r)
    .innerJoin(tables.submissions, eq(tables.submissions.id, r.submissionId))
    .where(and(...where))
    .orderBy(...order)
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
    rows: page
      .filter((row) => !filters.search || foundAsShown(filters.search, row))
      .map(({ cursorAt: _, matchedElsewhere: __, ...row }) => hideKeysIn(row)),
    next: rows.length > PAGE_SIZE && last ? encodeCursor({ at: last.cursorAt, id: last.id }) : undefined,
  };
}

/**
 * The sort key of the cursor's row, read from the row: the cursor (a link on the page) carries
 * no sender address, which could hold a key the page hides.
 */
function cursorKeyOf(sort: QueueSort, id: number): SQL {
  if (sort === 'sender')
    return sql`(select lower(coalesce(c.sender, '')) from rejections c where c.id = ${id})`;
  return sql`(select c.reason_code from rejections c where c.id = ${id})`;
}

/** The column a sort orders by before age; none for the two orders by age. */
function sortKey(sort: QueueSort): SQL | undefined {
  const r = tables.rejections;
  if (sort === 'sender') return sql`lower(coalesce(${r.sender}, ''))`;
  if (sort === 'reason') return sql`${r.reasonCode}`;
  return undefined;
}

export interface ReasonCount {
  readonly reasonCode: string;
  readonly count: number;
}

/**
 * How many rejections per reason code match the filters (the reason filter too: the counts say
 * what the filters found): the queue's summary and its filter links.
 */
export async function countByReason(db: Database, filters: QueueFilters): Promise<ReasonCount[]> {
  const r = tables.rejections;
  if (filters.search) {
    const counted = await countSearchAsShown(db, filters, filters.search);
    if (counted) return counted;
  }
  return await db
    .select({ reasonCode: r.reasonCode, count: sql<number>`count(*)`.mapWith(Number) })
    .from(r)
    .innerJoin(tables.submissions, eq(tables.submissions.id, r.submissionId))
    .where(and(...conditions(filters)))
    .groupBy(r.reasonCode)
    .orderBy(desc(sql`count(*)`), r.reasonCode);
}

/** How many rows a search counts as shown, read one by one: up to this many found in SQL. */
const SEARCH_COUNT_LIMIT = 5_000;

/**
 * The counts of a search, each row checked as the page checks it (`foundAsShown`), so a count
 * tells no more than the rows do. Undefined past SEARCH_COUNT_LIMIT rows: then counted in SQL,
 * where keys are taken out by shape only.
 */
async function countSearchAsShown(
  db: Database,
  filters: QueueFilters,
  search: string,
): Promise<ReasonCount[] | undefined> {
  const r = tables.rejections;
  const rows = await db
    .select({
      reasonCode: r.reasonCode,
      subject: tables.submissions.subject,
      sender: r.sender,
      reason: r.reason,
      matchedElsewhere: sql<boolean>`${elsewhereMatch(search)}`,
    })
    .from(r)
    .innerJoin(tables.submissions, eq(tables.submissions.id, r.submissionId))
    .where(and(...conditions(filters)))
    .limit(SEARCH_COUNT_LIMIT + 1);
  if (rows.length > SEARCH_COUNT_LIMIT) return undefined;
  const counts = new Map<string, number>();
  for (const row of rows) {
    if (foundAsShown(search, row)) counts.set(row.reasonCode, (counts.get(row.reasonCode) ?? 0) + 1);
  }
  return [...counts]
    .map(([reasonCode, count]) => ({ reasonCode, count }))
    .sort((a, b) => b.count - a.count || (a.reasonCode < b.reasonCode ? -1 : 1));
}
