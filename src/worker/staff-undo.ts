/**
 * Undo of a staff action that applied a template (override, edit and apply), from its audit
 * row, in the caller's transaction under the submission's lock: the registry changes the action's
 * job wrote (its audit rows: the same ticket and staff, after the action's row, before the next
 * console action on the rejection) are taken back newest first (src/registry's revertChanges:
 * refused whole, E_UNDO_CONFLICT, if anything changed those objects since); the template is
 * refused again with the rejection's reason (work held for review is held again), its ticket says
 * so, the rejection is open again, and an audit row `console.undo` names the row undone. The
 * caller answers the sender with the result (the superseding reply), in the same transaction.
 */
import { and, asc, desc, eq, gt, gte, inArray, like, ne, sql } from 'drizzle-orm';
import { type Transaction, tables } from '../db/index.ts';
import { UNDOABLE_STAFF_ACTIONS, type UndoJob } from '../queue/index.ts';
import { AUDITED_CHANGE_COLUMNS, type AuditedChange, revertChanges } from '../registry/index.ts';
import { type ErrorCode, fail, ok, type Problem, problem, type Result } from '../shared/index.ts';
import type { TemplateResult } from './outcome.ts';
import { storedResult } from './run-template.ts';

/** Registry objects an applied template changes (what revert.ts can take back). */
const REGISTRY_OBJECTS = ['net', 'org', 'customer', 'poc', 'account'];

/** The note every answer to an undo carries, before staff's message. */
export const UNDONE_NOTE = 'Undone by hostmaster staff: what was applied was taken back.';

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

/**
 * A ticket answered APPROVED after the action that names what the action registered: a resend
 * told "already registered as NET-..., nothing changed", or a second held copy approved so
 * (finding rev-staff F1). It wrote no audit row, so revertChanges does not see it; taken back,
 * its sender would go on holding a handle the registry no longer has. Why, for staff; or none.
 * A later ticket that changed the object wrote an audit row, and revertChanges names that change.
 */
async function laterTicketNaming(
  tx: Transaction,
  action: AuditRow,
  ticket: string,
  changes: readonly AuditedChange[],
): Promise<string | undefined> {
  const handles = [...new Set(changes.map((c) => c.objectHandle))];
  const t = tables.submissionTemplates;
  const k = tables.tickets;
  const a = tables.auditLog;
  const inList = sql.join(
    handles.map((h) => sql`${h}`),
    sql`, `,
  );
  const [later] = await tx
    .select({ ticket: k.number, submissionId: t.submissionId, handles: t.handles, closedAt: k.closedAt })
    .from(t)
    .innerJoin(k, eq(k.number, t.ticketNumber))
    .where(
      and(
        eq(t.outcome, 'approved'),
        eq(k.status, 'approved'),
        ne(k.number, ticket),
        gte(k.closedAt, action.at),
        sql`exists (select 1 from jsonb_each_text(${t.handles}) as named(kind, handle) where named.handle in (${inList}))`,
        // A ticket that changed the object wrote an audit row: revertChanges names that change.
        sql`not exists (select 1 from ${a} where ${a.ticketNumber} = ${k.number} and ${a.objectHandle} in (${inList}))`,
      ),
    )
    .orderBy(asc(k.closedAt))
    .limit(1);
  if (!later) return undefined;
  const named = Object.values(later.handles).filter((h) => handles.includes(h));
  return `ticket ${later.ticket} (submission ${later.submissionId}) was answered APPROVED with ${named.join(', ')} after this action; taken back, its sender would hold a handle the registry no longer has, so the registration stands as both answers said`;
}

const refused = (code: ErrorCode, message: string): { ok: false; error: Problem } =>
  fail(problem(code, message));

/** The undo in the caller's transaction (the submission locked): the template's result as it stands now. */
/** What an undo did: the template's result now, the registry changes taken back, and what the undone action waived. */
export interface Undone {
  readonly result: TemplateResult;
  readonly ticket: string;
  readonly taken: readonly AuditedChange[];
  readonly waived: readonly string[];
}

export async function undoStaffAction(tx: Transaction, job: UndoJob): Promise<Result<Undone>> {
  const a = tables.auditLog;
  const [action] = await tx.select().from(a).where(eq(a.id, job.auditId));
  if (
    !action ||
    action.submissionId !== job.submissionId ||
    action.objectHandle !== String(job.rejectionId)
  ) {
    return refused(
      'E_NOT_FOUND',
      `audit row ${job.auditId} is not an action on rejection ${job.rejectionId}`,
    );
  }
  if (action.objectType !== 'rejection' || !UNDOABLE_STAFF_ACTIONS.includes(action.action)) {
    return refused('E_NOT_UNDOABLE', `only an override or an edit can be undone, not ${action.action}`);
  }
  const earlier = await undoneBy(tx, job.auditId);
  if (earlier) {
    return refused(
      'E_ALREADY_UNDONE',
      `audit row ${job.auditId} was undone by ${earlier.actor.replace(/^staff:/, '')} at ${earlier.at.toISOString().slice(0, 19).replace('T', ' ')} UTC`,
    );
  }
  const r = tables.rejections;
  const [rejection] = await tx.select().from(r).where(eq(r.id, job.rejectionId));
  if (!rejection || rejection.templateIndex === null) return refused('E_NOT_FOUND', 'the rejection is gone');
  const index = rejection.templateIndex;
  const t = tables.submissionTemplates;
  const [template] = await tx
    .select()
    .from(t)
    .where(and(eq(t.submissionId, job.submissionId), eq(t.templateIndex, index)));
  if (rejection.state !== 'overridden' || template?.outcome !== 'approved' || !template.ticketNumber) {
    return refused(
      'E_NOTHING_TO_UNDO',
      `this ${action.action.replace('console.', '')} applied nothing that stands: the rejection is ${rejection.state} and template ${index} is ${template?.outcome ?? 'not recorded'}`,
    );
  }
  const ticket = template.ticketNumber;
  const changes = await changesOf(tx, action, ticket);
  if (changes.length === 0)
    return refused('E_NOTHING_TO_UNDO', 'this action changed nothing in the registry');
  const reliedOn = await laterTicketNaming(tx, action, ticket, changes);
  if (reliedOn) return refused('E_UNDO_CONFLICT', reliedOn);
  const reverted = await revertChanges(
    tx,
    { actor: { kind: 'staff', email: job.staff }, ticketNumber: ticket, submissionId: job.submissionId },
    changes,
  );
  if (!reverted.ok) return reverted;

  // Work held for review goes back to being held (its sender still awaits a decision: approve
  // or reject with a reason); anything else is refused again for the reason it was. The notes are
  // the answer's: staff's message to the sender is one of them, as after any staff action.
  const heldAgain = rejection.reasonCode === tables.STAFF_REVIEW_REASON;
  const notes = [
    ...(heldAgain ? [rejection.reason] : []),
    UNDONE_NOTE,
    ...(job.message ? [`Message from hostmaster staff: ${job.message}`] : []),
  ];
  await tx
    .update(t)
    .set(
      heldAgain
        ? { outcome: 'pending_review', errors: [], handles: {}, notes }
        : {
            outcome: 'rejected',
            errors: [{ code: rejection.reasonCode, message: rejection.reason }],
            handles: {},
            notes,
          },
    )
    .where(and(eq(t.submissionId, job.submissionId), eq(t.templateIndex, index)));
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
      staffNotes: sql`coalesce(${r.staffNotes} || E'\n', '') || ${`undone by ${job.staff}: ${job.note}`}`,
    })
    .where(eq(r.id, rejection.id));
  const taken = [...new Set(changes.map((c) => `${c.objectType} ${c.objectHandle}`))];
  await tx.insert(a).values({
    actor: `staff:${job.staff}`,
    action: 'console.undo',
    objectType: 'rejection',
    objectHandle: String(rejection.id),
    submissionId: job.submissionId,
    ticketNumber: ticket,
    note: job.note,
    before: { state: 'overridden', outcome: 'approved', handles: template.handles },
    after: {
      state: 'open',
      outcome: heldAgain ? 'pending_review' : 'rejected',
      undoes: String(job.auditId),
      taken,
      ...(job.message ? { messageToSender: job.message } : {}),
    },
  });
  const result = await storedResult(tx, job.submissionId, index);
  if (!result) return refused('E_NOT_FOUND', `template ${index} is not recorded`);
  const details = action.after as { readonly waive?: unknown } | null;
  const waived = Array.isArray(details?.waive) ? details.waive.filter((c) => typeof c === 'string') : [];
  return ok({ result, ticket, taken: changes, waived });
}
