/** The rejection queue page. */
import type { FastifyInstance } from 'fastify';
import { type RejectionState, tables } from '../../db/index.ts';
import { type Problem, problem } from '../../shared/index.ts';
import { isCalendarDay } from '../calendar.ts';
import {
  countByReason,
  decodeCursor,
  listRejections,
  QUEUE_SORTS,
  QUEUE_VIEWS,
  type QueueFilters,
  type QueueSort,
} from '../rejection-queue.ts';
import type { PageContext } from '../server.ts';
import { countOpenNotes } from '../staff-notes.ts';
import { countUndelivered } from '../undelivered.ts';
import { dayProblem, field, InputRefused } from './form.ts';

export function readFilters(query: unknown): QueueFilters {
  const rawState = field(query, 'state') || 'open';
  const state: QueueFilters['state'] =
    rawState === 'all'
      ? 'all'
      : (tables.REJECTION_STATES.find((s) => s === rawState) ?? ('open' satisfies RejectionState));
  const text = (name: string) => field(query, name).trim().slice(0, 200) || undefined;
  const sort = QUEUE_SORTS.find((s) => s === field(query, 'sort'));
  const view = QUEUE_VIEWS.find((v) => v === field(query, 'view'));
  return {
    ...(sort === undefined || sort === 'newest' ? {} : { sort }),
    ...(view === 'triage' ? { view } : {}),
    state,
    ...optional('reasonCode', text('reason')),
    ...optional('form', text('form')),
    ...optional('sender', text('sender')),
    ...optional('search', text('q')),
    // A day that is none (2026-02-30) filters nothing and is not carried on; the page refuses it (queueQueryProblem).
    ...optional('fromDay', calendarDay(text('from'))),
    ...optional('toDay', calendarDay(text('to'))),
  };
}

const calendarDay = (text: string | undefined) =>
  text !== undefined && isCalendarDay(text) ? text : undefined;

/** What in the queue's query no page can show: a day not in the calendar, a page link we did not make. */
export function queueQueryProblem(query: unknown): Problem | undefined {
  const after = field(query, 'after');
  if (after && decodeCursor(after) === undefined) {
    return problem(
      'E_BAD_INPUT',
      'the page link (after=) is not one this console made: go back to the first page of the queue',
    );
  }
  return dayProblem('from', field(query, 'from').trim()) ?? dayProblem('to', field(query, 'to').trim());
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/**
 * The queue's filters a page or form carried along (a query string), rebuilt from what they
 * mean: only filters come back out, never another place to go.
 */
export function keptFilters(raw: string): string {
  const query = raw.startsWith('?') ? raw.slice(1) : '';
  return filterQuery(readFilters(Object.fromEntries(new URLSearchParams(query))));
}

/** The query string of the current filters, for paging and reason links. */
export function filterQuery(filters: QueueFilters, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  if (filters.view === 'triage') params.set('view', filters.view);
  if (filters.state !== 'open') params.set('state', filters.state);
  if (filters.reasonCode) params.set('reason', filters.reasonCode);
  if (filters.form) params.set('form', filters.form);
  if (filters.sender) params.set('sender', filters.sender);
  if (filters.search) params.set('q', filters.search);
  if (filters.sort && filters.sort !== 'newest') params.set('sort', filters.sort);
  if (filters.fromDay) params.set('from', filters.fromDay);
  if (filters.toDay) params.set('to', filters.toDay);
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** How long a rejection has waited, in the one unit a reader takes in at a glance: `40 min`, `5 h`, `3 d`. */
export function ageOf(at: Date, now: Date): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - at.getTime()) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} d`;
}

export function registerQueueRoutes(app: FastifyInstance, page: PageContext): void {
  app.get('/', async (_request, reply) => reply.redirect('/rejections', 303));

  app.get('/rejections', async (request, reply) => {
    const refused = queueQueryProblem(request.query);
    if (refused) throw new InputRefused(refused);
    const filters = readFilters(request.query);
    const after = field(request.query, 'after') || undefined;
    const { reasonCode: _, ...withoutReason } = filters;
    const { view: _view, ...everyView } = withoutReason;
    const [result, counts, decisions, undelivered, notes] = await Promise.all([
      listRejections(page.db, filters, after),
      // Per reason under every other filter, so staff can move between reasons of one search.
      countByReason(page.db, withoutReason),
      // The triage tab's count, under the other filters, whichever tab is shown.
      countByReason(page.db, { ...everyView, view: 'triage' }),
      // Mail that could not be delivered is work too (its own page): counted where staff look first.
      countUndelivered(page.db),
      // Notes to hostmaster on templates not refused: work with a tab of its own (staff-notes.ts).
      countOpenNotes(page.db),
    ]);
    // As the filter reads it (rejection-queue.ts): a space, `_` and `-` are one separator.
    const separatorsFolded = (text: string) =>
      text
        .toUpperCase()
        .replace(/[\s_-]+/g, ' ')
        .trim();
    const reasonPart = filters.reasonCode ? separatorsFolded(filters.reasonCode) : undefined;
    const matching = reasonPart
      ? counts.filter((c) => separatorsFolded(c.reasonCode).includes(reasonPart))
      : counts;
    return await page.render(request, reply, 'queue', {
      title: filters.view === 'triage' ? 'Needs a decision' : 'Rejection queue',
      filters,
      states: [...tables.REJECTION_STATES, 'all'],
      undelivered,
      notes,
      decisionCount: decisions.reduce((sum, c) => sum + c.count, 0),
      allTabLink: `/rejections${filterQuery({ ...filters, view: 'all' })}`,
      triageTabLink: `/rejections${filterQuery({ ...withoutReason, view: 'triage' })}`,
      rows: result.rows,
      counts,
      total: matching.reduce((sum, c) => sum + c.count, 0),
      totalAllReasons: counts.reduce((sum, c) => sum + c.count, 0),
      sorts: QUEUE_SORTS,
      age: (at: Date) => ageOf(at, new Date()),
      back: filterQuery(filters),
      nextItemLink: `/rejections/next${filterQuery(filters)}`,
      sortLink: (sort: QueueSort) => `/rejections${filterQuery({ ...filters, sort })}`,
      isFirstPage: !after,
      firstPageLink: `/rejections${filterQuery(filters)}`,
      nextLink: result.next ? `/rejections${filterQuery(filters, { after: result.next })}` : undefined,
      reasonLink: (code: string) => `/rejections${filterQuery({ ...withoutReason, reasonCode: code })}`,
      allReasonsLink: `/rejections${filterQuery(withoutReason)}`,
    });
  });
}
