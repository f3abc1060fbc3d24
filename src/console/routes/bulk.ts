/**
 * Bulk actions on the queue's selected rows, and "next item". A bulk action is the single action
 * once per row: each row is claimed, signed and audited on its own path (`dismiss`,
 * `runJobAction`), so a row another staff member took first is told, not done twice. A bulk
 * dismissal carries no answer: it mails nobody, so it leaves the rows that need a decision
 * (tables.DECISION_REASONS: work held for review, answers to our mail, unclear validation answers)
 * alone: their senders were told a person reads them, and each is decided on its own page.
 */
import { inArray } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { tables } from '../../db/index.ts';
import { dismiss, runJobAction } from '../actions.ts';
import { listRejections } from '../rejection-queue.ts';
import type { PageContext } from '../server.ts';
import { type Flash, setFlash } from '../sessions.ts';
import { field, fields, InputRefused, rowId } from './form.ts';
import { filterQuery, keptFilters, queueQueryProblem, readFilters } from './queue.ts';

/** A bulk action takes at most one page of rows: what staff saw and chose. */
export const MAX_BULK_ROWS = 50;

const BULK_ACTIONS = ['dismiss', 'reprocess'] as const;
type BulkAction = (typeof BULK_ACTIONS)[number];

function queueLink(body: unknown): string {
  return `/rejections${keptFilters(field(body, 'back'))}`;
}

export function summarise(action: BulkAction, outcomes: readonly { id: number; flash: Flash }[]): Flash {
  const done = outcomes.filter((o) => o.flash.kind === 'ok');
  const failed = outcomes.filter((o) => o.flash.kind !== 'ok');
  const verb = action === 'dismiss' ? 'dismissed' : 'reprocessed';
  const parts = [`${done.length} of ${outcomes.length} rejections ${verb}.`];
  for (const o of failed) parts.push(`#${o.id}: ${o.flash.text}`);
  return { kind: failed.length === 0 ? 'ok' : 'error', text: parts.join(' ') };
}

export function registerBulkRoutes(app: FastifyInstance, page: PageContext): void {
  app.post('/rejections/bulk', async (request, reply) => {
    const staff = request.staff!;
    const back = queueLink(request.body);
    const action = BULK_ACTIONS.find((a) => a === field(request.body, 'action'));
    const given = fields(request.body, 'id');
    const ids = [...new Set(given.map(rowId))].filter((id) => id !== undefined);
    const refuse = async (text: string) => {
      await setFlash(page.db, staff.tokenDigest, { kind: 'error', text });
      return reply.redirect(back, 303);
    };
    if (!action) return refuse('Nothing done: choose dismiss or reprocess.');
    // Every id given is a rejection's number, or nothing is done: a bulk action never quietly
    // acts on fewer rows than were asked.
    const notRows = given.filter((id) => rowId(id) === undefined);
    if (notRows.length > 0) {
      return refuse(
        `Nothing done: ${notRows
          .slice(0, 3)
          .map((id) => `"${id.slice(0, 40)}"`)
          .join(', ')} is no rejection's number.`,
      );
    }
    if (ids.length === 0) return refuse('Nothing done: select the rejections to act on.');
    if (ids.length > MAX_BULK_ROWS) {
      return refuse(`Nothing done: select at most ${MAX_BULK_ROWS} rejections at once (${ids.length} were).`);
    }
    const note = field(request.body, 'note');
    const outcomes: { id: number; flash: Flash }[] = [];
    // Rows whose sender was told a person reads them are not swept with a page of typos.
    const decisions = new Set(
      action === 'dismiss'
        ? (
            await page.db
              .select({ id: tables.rejections.id, reasonCode: tables.rejections.reasonCode })
              .from(tables.rejections)
              .where(inArray(tables.rejections.id, ids))
          )
            .filter((r) => (tables.DECISION_REASONS as readonly string[]).includes(r.reasonCode))
            .map((r) => r.id)
        : [],
    );
    // One after another: each row's claim, job and audit row are the single action's.
    for (const id of ids) {
      if (decisions.has(id)) {
        outcomes.push({
          id,
          flash: {
            kind: 'error',
            text: `Rejection ${id} needs a decision (its sender was told staff read it): open it and decide it on its own page; not dismissed.`,
          },
        });
        continue;
      }
      const flash =
        action === 'dismiss'
          ? await dismiss(page.actions, staff, id, { note, answer: '' })
          : await runJobAction(page.actions, staff, id, { kind: 'reprocess' }, { note, message: '' });
      outcomes.push({ id, flash });
    }
    await setFlash(page.db, staff.tokenDigest, summarise(action, outcomes));
    return reply.redirect(back, 303);
  });

  /** The next open rejection under the queue's filters (the first of the page), or the queue itself. */
  app.get('/rejections/next', async (request, reply) => {
    const refused = queueQueryProblem(request.query);
    if (refused) throw new InputRefused(refused);
    const filters = readFilters(request.query);
    // The submission staff just looked at: next means another one, even if it is still open.
    const skip = field(request.query, 'skip');
    const { rows } = await listRejections(page.db, filters);
    const next = rows.find((r) => r.submissionId !== skip);
    const keep = filterQuery(filters);
    if (!next) {
      await setFlash(page.db, request.staff!.tokenDigest, {
        kind: 'ok',
        text: 'No rejection left under these filters.',
      });
      return reply.redirect(`/rejections${keep}`, 303);
    }
    const queue = keep ? `?queue=${encodeURIComponent(keep)}` : '';
    return reply.redirect(
      `/submissions/${encodeURIComponent(next.submissionId)}${queue}#rejection-${next.id}`,
      303,
    );
  });
}
