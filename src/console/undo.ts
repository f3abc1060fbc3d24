/**
 * Undo of a staff action that applied a template (override, edit and apply), from its audit row:
 * in one transaction the registry changes the action made are taken back (src/registry/revert.ts:
 * refused whole, E_UNDO_CONFLICT, if anything changed those objects since), the template is
 * refused again with the rejection's reason, its ticket says so, the rejection is open again,
 * an audit row `console.undo` names the row undone, and the optional message to the sender is
 * put in the outbox (only if written, and only where the worker's reply would go).
 */
import { and, asc, desc, eq, gt, inArray, like, sql } from 'drizzle-orm';
import type { Transaction } from '../db/index.ts';
import { tables } from '../db/index.ts';
import { AUDITED_CHANGE_COLUMNS, type AuditedChange, revertChanges } from '../registry/index.ts';
import { type ErrorCode, ok, type Problem, problem, type Result } from '../shared/index.ts';
import { type ActionContext, AnswerRefused, answerSender, checkMessage, checkNote } from './actions.ts';
import { hideKeys } from './key-hiding.ts';
import type { Flash } from './sessions.ts';
import type { StaffUser } from './staff-accounts.ts';

/** Console actions whose registry changes can be taken back. */
export const UNDOABLE_ACTIONS: readonly string[] = ['console.override', 'console.edit-and-apply'];

/** Work held for review (the worker's STAFF_REVIEW_CODE): undone, it is held again. */

/** Registry objects an applied template changes (what revert.ts can take back). */
const REGISTRY_OBJECTS = ['net', 'org', 'customer', 'poc', 'account'];

class UndoRefused extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message);
  }
}

const refuse = (code: ErrorCode, message: string): never => {
  throw new UndoRefused(problem(code, message));
};

type AuditRow = typeof tables.auditLog.$inferSelect;

/** The registry rows the action's job wrote: after its audit row, before the next console action on the rejection. */
async function changesOf(tx: Transaction, action: AuditRow, ticket: string): Promise<AuditedChange[]> {
  const a = tables.auditLog;
  const [next] = await tx
    .select({ id: a.id })
    .from(a)
    .where(
      and(
        eq(a.objectType, 'rejection'),
        eq(a.objectHandle, action.objectHandle),
        gt(a.id, action.id),
        like(a.action, 'console.%'),
      ),
    )
    .orderBy(asc(a.id))
    .limit(1);
  return await tx
    .select(AUDITED_CHANGE_COLUMNS)
    .from(a)
    .where(
      and(
        eq(a.submissionId, action.submissionId ?? ''),
        eq(a.ticketNumber, ticket),
        eq(a.actor, action.actor),
        inArray(a.objectType, REGISTRY_OBJECTS),
        gt(a.id, action.id),
        next ? sql`${a.id} < ${next.id}` : undefined,
      ),
    )
    .orderBy(desc(a.id));
}

/** Whether an audit row's action was undone already. */
async function undoneBy(tx: Transaction, auditId: number): Promise<AuditRow | undefined> {
  const a = tables.auditLog;
  const [row] = await tx
    .select()
    .from(a)
    .where(and(eq(a.action, 'console.undo'), sql`${a.after}->>'undoes' = ${String(auditId)}`))
    .limit(1);
  return row;
}

export async function undoStaffAction(
  ctx: ActionContext,
  staff: StaffUser,
  auditId: number,
  input: { readonly note: string; readonly message: string },
): Promise<{ readonly flash: Flash; readonly submissionId?: string; readonly rejectionId?: number }> {
  const note = checkNote(input.note);
  if (!note.ok) return { flash: { kind: 'error', text: note.error.message } };
  const message = checkMessage(input.message);
  if (!message.ok) return { flash: { kind: 'error', text: message.error.message } };
  const a = tables.auditLog;
  const [action] = await ctx.db.select().from(a).where(eq(a.id, auditId));
  if (!action?.submissionId) {
    return { flash: { kind: 'error', text: `Audit row ${auditId} does not exist.` } };
  }
  const where = { submissionId: action.submissionId, rejectionId: Number(action.objectHandle) };
  try {
    const done = await ctx.db.transaction(async (tx): Promise<Result<string>> => {
      if (action.objectType !== 'rejection' || !UNDOABLE_ACTIONS.includes(action.action)) {
        refuse('E_NOT_UNDOABLE', `only an override or an edit can be undone, not ${action.action}`);
      }
      // Staff jobs of the submission take turns with this on its row (the worker's lockSubmission).
      await tx
        .select({ id: tables.submissions.id })
        .from(tables.submissions)
        .where(eq(tables.submissions.id, where.submissionId))
        .for('no key update');
      const earlier = await undoneBy(tx, auditId);
      if (earlier) {
        refuse(
          'E_ALREADY_UNDONE',
          `audit row ${auditId} was undone by ${earlier.actor.replace(/^staff:/, '')} at ${earlier.at.toISOString().slice(0, 19).replace('T', ' ')} UTC`,
        );
      }
      const r = tables.rejections;
      const [rejection] = await tx.select().from(r).where(eq(r.id, where.rejectionId));
      if (!rejection || rejection.templateIndex === null) refuse('E_NOT_FOUND', 'the rejection is gone');
      const index = rejection!.templateIndex!;
      const t = tables.submissionTemplates;
      const [template] = await tx
        .select()
        .from(t)
        .where(and(eq(t.submissionId, where.submissionId), eq(t.templateIndex, index)));
      if (rejection!.state !== 'overridden' || template?.outcome !== 'approved' || !template.ticketNumber) {
        refuse(
          'E_NOTHING_TO_UNDO',
          `this ${action.action.replace('console.', '')} applied nothing that stands: the rejection is ${rejection!.state} and template ${index} is ${template?.outcome ?? 'not recorded'}`,
        );
      }
      const ticket = template!.ticketNumber!;
      const changes = await changesOf(tx, action, ticket);
      if (changes.length === 0) {
        refuse('E_NOTHING_TO_UNDO', 'this action changed nothing in the registry');
      }
      const reverted = await revertChanges(
        tx,
        {
          actor: { kind: 'staff', email: staff.email },
          ticketNumber: ticket,
          submissionId: where.submissionId,
        },
        changes,
      );
      if (!reverted.ok) throw new UndoRefused(reverted.error);

      // Work held for review goes back to being held (its sender still awaits a decision: approve
      // or reject with a reason); anything else is refused again for the reason it was.
      const heldAgain = rejection!.reasonCode === tables.STAFF_REVIEW_REASON;
      const undoneNote = 'Undone by hostmaster staff: what was applied was taken back.';
      await tx
        .update(t)
        .set(
          heldAgain
            ? { outcome: 'pending_review', errors: [], handles: {}, notes: [rejection!.reason, undoneNote] }
            : {
                outcome: 'rejected',
                errors: [{ code: rejection!.reasonCode, message: rejection!.reason }],
                handles: {},
                notes: [undoneNote],
              },
        )
        .where(and(eq(t.submissionId, where.submissionId), eq(t.templateIndex, index)));
      await tx
        .update(tables.tickets)
        .set(
          heldAgain
            ? {
                status: 'pending_review',
                resolution: 'Undone by hostmaster staff; held for review again.',
                closedAt: null,
              }
            : { status: 'rejected', resolution: 'Undone by hostmaster staff.', closedAt: new Date() },
        )
        .where(eq(tables.tickets.number, ticket));
      await tx
        .update(r)
        .set({
          state: 'open',
          closedBy: null,
          closedAt: null,
          staffNotes: sql`coalesce(${r.staffNotes} || E'\n', '') || ${`undone by ${staff.email}: ${note.value}`}`,
        })
        .where(eq(r.id, rejection!.id));
      const answered = message.value
        ? await answerSender(ctx, tx, rejection!, message.value, `undo-${auditId}`)
        : undefined;
      await tx.insert(a).values({
        actor: `staff:${staff.email}`,
        action: 'console.undo',
        objectType: 'rejection',
        objectHandle: String(rejection!.id),
        submissionId: where.submissionId,
        ticketNumber: ticket,
        note: note.value,
        before: { state: 'overridden', outcome: 'approved', handles: template!.handles },
        after: {
          state: 'open',
          outcome: heldAgain ? 'pending_review' : 'rejected',
          undoes: String(auditId),
          ...(answered ? { answer: answered.messageId } : {}),
        },
      });
      const taken = [...new Set(changes.map((c) => `${c.objectType} ${c.objectHandle}`))].join(', ');
      return ok(
        `Undone: audit row ${auditId} (${action.action.replace('console.', '')}); taken back: ${taken}. Rejection ${rejection!.id} is open again. ${
          answered ? answered.sentence : 'The sender was not written to.'
        }`,
      );
    });
    return {
      ...where,
      flash: done.ok ? { kind: 'ok', text: done.value } : { kind: 'error', text: done.error.message },
    };
  } catch (error) {
    if (error instanceof UndoRefused || error instanceof AnswerRefused) {
      return {
        ...where,
        flash: {
          kind: 'error',
          text: `Not undone: ${error.problem.code}: ${hideKeys(error.problem.message).text}. Nothing was changed.`,
        },
      };
    }
    throw error;
  }
}
