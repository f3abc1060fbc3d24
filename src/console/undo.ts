/**
 * Undo of a staff action that applied a template (override, edit and apply), from its audit row.
 * Like the other actions that change the registry or answer the customer, it is a job for the
 * worker (src/worker/staff-undo.ts): in one transaction the registry changes the action made are
 * taken back (refused whole, E_UNDO_CONFLICT, if anything changed those objects since), the
 * template is refused again with the rejection's reason (held again, for work held for review),
 * its ticket says so, the rejection is open again, an audit row `console.undo` names the row
 * undone, and the sender gets the answer that supersedes the approval (the same ticket, its new
 * status, staff's message as a note). The console checks what it can, queues the job, waits for
 * it, and says what happened.
 */
import { randomBytes } from 'node:crypto';
import { and, asc, eq, gte, sql } from 'drizzle-orm';
import { tables } from '../db/index.ts';
import { jobIdFor, UNDOABLE_STAFF_ACTIONS, type UnsignedStaffJob } from '../queue/index.ts';
import { type ActionContext, checkMessage, checkNote, signedStaffJob, waitForJob } from './actions.ts';
import { hideKeys } from './key-hiding.ts';
import type { Flash } from './sessions.ts';
import type { StaffUser } from './staff-accounts.ts';

/** Console actions whose registry changes can be taken back. */
export const UNDOABLE_ACTIONS = UNDOABLE_STAFF_ACTIONS;

type UndoOutcome = { readonly flash: Flash; readonly submissionId?: string; readonly rejectionId?: number };

export async function undoStaffAction(
  ctx: ActionContext,
  staff: StaffUser,
  auditId: number,
  input: { readonly note: string; readonly message: string },
): Promise<UndoOutcome> {
  const note = checkNote(input.note);
  if (!note.ok) return { flash: { kind: 'error', text: note.error.message } };
  const message = checkMessage(input.message);
  if (!message.ok) return { flash: { kind: 'error', text: message.error.message } };
  const a = tables.auditLog;
  const [action] = await ctx.db.select().from(a).where(eq(a.id, auditId));
  if (!action?.submissionId) {
    return { flash: { kind: 'error', text: `Audit row ${auditId} does not exist.` } };
  }
  const rejectionId = Number(action.objectHandle);
  const where = { submissionId: action.submissionId, rejectionId };
  const refused = (text: string): UndoOutcome => ({
    ...where,
    flash: { kind: 'error', text: `Not undone: ${hideKeys(text).text}. Nothing was changed.` },
  });
  if (action.objectType !== 'rejection' || !UNDOABLE_ACTIONS.includes(action.action)) {
    return refused(`E_NOT_UNDOABLE: only an override or an edit can be undone, not ${action.action}`);
  }
  const [rejection] = await ctx.db
    .select({ templateIndex: tables.rejections.templateIndex })
    .from(tables.rejections)
    .where(eq(tables.rejections.id, rejectionId));
  if (rejection?.templateIndex === null || rejection?.templateIndex === undefined) {
    return refused('E_NOT_FOUND: the rejection is gone');
  }
  const { queue, events } = ctx;
  if (!queue || !events) {
    return refused(
      'E_QUEUE_UNAVAILABLE: this console runs without the job queue, so it cannot undo anything',
    );
  }
  const job: UnsignedStaffJob = {
    kind: 'undo',
    staff: staff.email,
    note: note.value,
    ...(message.value ? { message: message.value } : {}),
    submissionId: action.submissionId,
    templateIndex: rejection.templateIndex,
    rejectionId,
    auditId,
  };
  const nonce = `u${auditId}-${randomBytes(4).toString('hex')}`;
  const jobId = jobIdFor(job, nonce);
  const startedAt = new Date();
  const queued = await queue
    .enqueue(await signedStaffJob(ctx.db, job, jobId), { nonce })
    .catch((error: Error) => ({ ok: false as const, error: { message: error.message } }));
  if (!queued.ok) return refused(`E_QUEUE_UNAVAILABLE: ${queued.error.message}`);
  const finished = await waitForJob(queue.bullQueue, events, queued.value.jobId, ctx.jobTimeoutMs);
  if (finished.state === 'timeout') {
    return {
      ...where,
      flash: {
        kind: 'error',
        text: `The worker has not finished the undo (job ${queued.value.jobId}) within ${Math.round(ctx.jobTimeoutMs / 1000)} s. It stays queued; reload this page shortly.`,
      },
    };
  }
  if (finished.state === 'failed') return refused(finished.reason);
  return {
    ...where,
    flash: await describeUndo(ctx, auditId, action.action, rejectionId, action.submissionId, startedAt),
  };
}

/** What the worker's undo did, from its audit row and the replies it queued. */
async function describeUndo(
  ctx: ActionContext,
  auditId: number,
  undoneAction: string,
  rejectionId: number,
  submissionId: string,
  startedAt: Date,
): Promise<Flash> {
  const a = tables.auditLog;
  const [row] = await ctx.db
    .select({ after: a.after })
    .from(a)
    .where(and(eq(a.action, 'console.undo'), sql`${a.after}->>'undoes' = ${String(auditId)}`));
  const taken = ((row?.after as { taken?: string[] } | null)?.taken ?? []).join(', ');
  const o = tables.outbox;
  const replies = await ctx.db
    .select({ messageId: o.messageId, state: o.state })
    .from(o)
    .where(and(eq(o.submissionId, submissionId), eq(o.kind, 'reply'), gte(o.createdAt, startedAt)))
    .orderBy(asc(o.id));
  const answered =
    replies.length > 0
      ? `The sender is answered: reply ${replies.map((r) => `${r.messageId} (${r.state})`).join(', ')}, superseding the approval.`
      : 'No answer was queued: the sender may not be answered (see the submission).';
  return {
    kind: 'ok',
    text: hideKeys(
      `Undone: audit row ${auditId} (${undoneAction.replace('console.', '')}); taken back: ${taken}. Rejection ${rejectionId} is open again. ${answered}`,
    ).text,
  };
}
