/**
 * Staff actions from the console, run as jobs so every registry change takes the one worker
 * path: reprocess refused templates (after the registry was fixed), override a waivable rule,
 * correct fields and apply, or reject work held for review with a reason. Each answers the
 * customer with a reply of its own when, and only when, it changed an outcome. A request that
 * can never work (no such template) fails the job at once (UnrecoverableError), so the console
 * shows why instead of waiting through retries; one refused by design (an edit on an old
 * version, an undo of what was undone or changed since, an approval of what reads otherwise now)
 * completes it with the refusal (StaffRefusal): an outcome, not a failure to count.
 */
import { and, desc, eq } from 'drizzle-orm';
import { type Executor, type RejectionState, type Transaction, tables } from '../db/index.ts';
import { enqueueOutbox } from '../outbox/index.ts';
import {
  type EditAndApplyJob,
  type RejectJob,
  type StaffJob,
  StaffRefusal,
  type UndoJob,
  UnrecoverableError,
} from '../queue/index.ts';
import { type ErrorCode, formatProblem, problem } from '../shared/index.ts';
import { type ParsedTemplate, splitTemplates } from '../templates/index.ts';
import type { WorkerContext } from './context.ts';
import { deliveredAgain } from './delivered-again.ts';
import { HOLDER_UNDO_LINE, holderNotices } from './holder-notices.ts';
import type { NoticeComposer } from './notices.ts';
import type { TemplateResult } from './outcome.ts';
import {
  loadSubmission,
  processSubmission,
  type ReadSubmission,
  readSubmission,
  replyRequest,
  withNotes,
} from './process-submission.ts';
import { applyTemplate, lockSubmission, storedResult, TemplateRecords } from './run-template.ts';
import { auditRefusedStaffJob, checkStaffJob } from './staff-job-check.ts';
import { checkLooked, type LookedConflict, lookedMessage, restate } from './staff-looked.ts';
import { UNDONE_NOTE, type Undone, undoStaffAction } from './staff-undo.ts';
import { reparseEditedText } from './template-edit.ts';
import { latestVersion, recordEdit, staffEdits } from './template-versions.ts';

export type { StaffJob } from '../queue/index.ts';

/** What a rejection becomes when the staff action approves its template (as the console names it). */
const CLOSES_AS: Record<Exclude<StaffJob['kind'], 'undo'>, Exclude<RejectionState, 'open'>> = {
  reprocess: 'reprocessed',
  override: 'overridden',
  'edit-and-apply': 'overridden',
  reject: 'rejected',
};

/** The error a template rejected by staff carries in the reply, with staff's reason as its sentence. */
export const REJECTED_BY_STAFF_CODE: ErrorCode = 'E_REJECTED_BY_STAFF';

export async function runStaffJob(ctx: WorkerContext, job: StaffJob, jobId: string): Promise<void> {
  const checked = await checkStaffJob(ctx.db, job, jobId);
  if (!checked.ok) {
    const why = formatProblem(checked.error);
    await auditRefusedStaffJob(ctx.db, job, jobId, why);
    ctx.logger.error({ jobId, claimedStaff: job.staff, kind: job.kind }, why);
    throw new UnrecoverableError(why);
  }
  const submission = await loadSubmission(ctx.db, job.submissionId);
  if (!submission) throw new UnrecoverableError(`submission ${job.submissionId} does not exist`);

  if (job.kind === 'reprocess' && submission.refusalCode) {
    // A copy refused unverified whose message came again and was processed is that message:
    // run again, it would be applied twice. Staff are told, with the submission that was.
    const twin = await deliveredAgain(ctx.db, submission, ctx.config.dryRunAddresses);
    if (twin) {
      const why = formatProblem(twin);
      await auditRefusedStaffJob(ctx.db, job, jobId, why);
      ctx.logger.warn({ jobId, staff: job.staff, submissionId: submission.id }, why);
      throw new UnrecoverableError(why);
    }
    // The message was refused as a whole (e.g. unknown sender): staff fixed the cause; run it all again.
    await ctx.db
      .update(tables.submissions)
      .set({ state: 'received', refusalCode: null, refusalMessage: null })
      .where(eq(tables.submissions.id, submission.id));
    await processSubmission(ctx, submission.id, {
      replyTag: tagFor(jobId),
      staff: {
        email: job.staff,
        note: job.note,
        refusedBefore: submission.refusalCode,
        supersedes: await lastReply(ctx.db, submission.id),
      },
    });
    return;
  }

  const read = await readSubmission(ctx, submission);
  if (job.kind === 'reject') {
    await rejectHeld(ctx, job, read, jobId);
    return;
  }
  if (job.kind === 'undo') {
    await undoApplied(ctx, job, read, jobId);
    return;
  }
  if (!read.requester) {
    throw new UnrecoverableError(
      `the sender of ${submission.id} can no longer be identified: ${read.refusal?.message ?? 'unknown'}`,
    );
  }
  const indexes = await targetIndexes(ctx, job, read.templates);
  const requester = read.requester;
  // The templates, their records and the reply commit together: a worker killed in between
  // leaves nothing, and the job run again finds the outcome unchanged only once the customer's
  // answer is in the outbox too.
  const answered = await ctx.db.transaction(async (tx): Promise<boolean | LookedConflict> => {
    const locked = await lockSubmission(tx, submission.id);
    const records = new TemplateRecords();
    const results: TemplateResult[] = [];
    for (const index of indexes) {
      const template =
        job.kind === 'edit-and-apply'
          ? await editedTemplate(tx, job, read, jobId)
          : await currentTemplate(tx, job, read, index);
      const waive = 'waive' in job ? (job.waive as ErrorCode[]) : [];
      const run = {
        submissionId: submission.id,
        template,
        requester,
        sender: read.mail?.headers.from?.address,
        staff: {
          email: job.staff,
          note: job.note,
          ...(job.message ? { message: job.message } : {}),
          closesAs: CLOSES_AS[job.kind],
        },
      };
      // Staff approve what the page showed them, not what the registry holds by the time the job
      // runs (staff-looked.ts): the hold or refusal restated, the item reopened by the console.
      const seen = 'reviewed' in job ? job.reviewed : undefined;
      if (seen !== undefined && locked.stored.get(index)?.outcome !== 'approved') {
        const conflict = await checkLooked(tx, run, waive, seen);
        if (conflict) {
          await restate(tx, submission.id, conflict);
          return conflict;
        }
      }
      const result = await applyTemplate(
        tx,
        { ...run, options: { waive, staffApproved: job.kind !== 'reprocess' }, replace: true },
        { previous: locked.stored.get(index), ticket: undefined },
        records,
      );
      ctx.logger.info(
        {
          submissionId: submission.id,
          template: index,
          ticket: result.ticket,
          outcome: result.outcome,
          staff: job.staff,
        },
        `staff ${job.kind}`,
      );
      results.push(result);
    }
    // Held work that staff's action would refuse stays held (finding rev-staff F3): closed
    // REJECTED, the customer would be told of a rule's error, or staff's own typo, with staff's
    // "approved" message, and no staff reason. Nothing is applied, recorded or mailed; staff
    // read why on the page, then correct it or reject it with a reason.
    const heldRefused = results.find(
      (r) => r.outcome === 'rejected' && locked.stored.get(r.index)?.outcome === 'pending_review',
    );
    if (heldRefused) throw new StaffRefusal(heldStillRefused(job.kind, heldRefused));
    const composeNotices: NoticeComposer = (notices) =>
      ctx.composeNotices(notices, read.ownAddress, { accountId: requester.accountId, ex: tx });
    // The notices kept for staff past the account's bound are said in the answer, as in a reply.
    const noted = withNotes(results, await records.composeNotices(composeNotices));
    await records.write(tx, composeNotices);
    // The customer hears from us again only when the outcome changed: an edit still refused, a
    // waiver that did not apply or a second reprocess of what is already approved is staff's
    // business (the console says so), not a new REJECTED mail with the same words.
    const changed = results.filter((r) => r.outcome !== locked.stored.get(r.index)?.outcome);
    if (changed.length === 0) {
      ctx.logger.info(
        { submissionId: submission.id, staff: job.staff, kind: job.kind },
        'staff action changed no outcome; the customer is not written to',
      );
      return false;
    }
    return await answerAfterStaff(ctx, tx, read, noted, jobId);
  });
  if (typeof answered !== 'boolean') throw new StaffRefusal(lookedMessage(answered));
  if (answered) ctx.afterCommit();
}

/** Why a staff action on held work did nothing, for the console's page. */
function heldStillRefused(kind: StaffJob['kind'], result: TemplateResult): string {
  const why = result.errors[0] ? formatProblem(result.errors[0]) : 'refused';
  const after = kind === 'edit-and-apply' ? 'as edited' : `after ${kind}`;
  return `template ${result.index} is held for review and ${after} would be refused (${why}); it stays held, and nothing was applied or written to the customer: correct it, or reject it with a reason`;
}

/**
 * Staff decide a template held for review against the sender: it ends REJECTED on the ticket the
 * sender was given (closed now, with the reason as its resolution), the rejection is closed as
 * `rejected`, and the sender is mailed a REJECTED block carrying the reason. Only a held template
 * can be rejected so: anything else would take back what was applied, or refuse twice.
 */
async function rejectHeld(ctx: WorkerContext, job: RejectJob, read: ReadSubmission, jobId: string) {
  const { submissionId, templateIndex } = job;
  const reason = job.reason.trim();
  // The decision and its answer commit together (see runStaffJob).
  const decided = await ctx.db.transaction(async (tx): Promise<TemplateResult | undefined> => {
    const held = (await lockSubmission(tx, submissionId)).stored.get(templateIndex);
    if (held?.outcome !== 'pending_review') return undefined;
    const errors = [problem(REJECTED_BY_STAFF_CODE, reason)];
    const notes = ['Rejected by hostmaster staff after review.'];
    const t = tables.submissionTemplates;
    await tx
      .update(t)
      .set({ outcome: 'rejected', errors: errors.map((e) => ({ ...e })), notes })
      .where(and(eq(t.submissionId, submissionId), eq(t.templateIndex, templateIndex)));
    if (held.ticket) {
      await tx
        .update(tables.tickets)
        .set({ status: 'rejected', resolution: reason, closedAt: new Date() })
        .where(eq(tables.tickets.number, held.ticket));
    }
    const r = tables.rejections;
    await tx
      .update(r)
      .set({ state: 'rejected', closedBy: `staff:${job.staff}`, closedAt: new Date(), staffNotes: job.note })
      .where(and(eq(r.submissionId, submissionId), eq(r.templateIndex, templateIndex), eq(r.state, 'open')));
    const result: TemplateResult = { ...held, outcome: 'rejected', errors, notes };
    await answerAfterStaff(ctx, tx, read, [result], jobId);
    return result;
  });
  if (!decided) {
    throw new StaffRefusal(
      `template ${templateIndex} of ${submissionId} is not held for review: there is nothing to reject, and nothing was done`,
    );
  }
  ctx.logger.info(
    { submissionId, template: templateIndex, ticket: decided.ticket, staff: job.staff },
    'staff reject',
  );
  ctx.afterCommit();
}

/**
 * Staff take back what an override or an edit applied (staff-undo.ts): the outcome changes
 * (approved -> rejected, or held again), so the sender gets the superseding answer, committed
 * with the undo. A refused undo (E_UNDO_CONFLICT...) changes nothing and fails the job with why.
 */
async function undoApplied(ctx: WorkerContext, job: UndoJob, read: ReadSubmission, jobId: string) {
  const undone = await ctx.db.transaction(async (tx) => {
    await lockSubmission(tx, job.submissionId);
    const result = await undoStaffAction(tx, job);
    if (result.ok) {
      await tellHoldersOfUndo(ctx, tx, job, read, result.value);
      await answerAfterStaff(ctx, tx, read, [result.value.result], jobId);
    }
    return result;
  });
  if (!undone.ok) throw new StaffRefusal(formatProblem(undone.error));
  ctx.logger.info(
    { submissionId: job.submissionId, template: job.templateIndex, undoes: job.auditId, staff: job.staff },
    'staff undo',
  );
  ctx.afterCommit();
}

/**
 * An undone override of E_NOT_AUTHORIZED was told to the holder of the space (holder-notices.ts):
 * its undo is told to the same holders, from the changes it took back, in the same transaction.
 */
async function tellHoldersOfUndo(
  ctx: WorkerContext,
  tx: Transaction,
  job: UndoJob,
  read: ReadSubmission,
  undone: Undone,
): Promise<void> {
  if (!undone.waived.includes('E_NOT_AUTHORIZED')) return;
  const notices = await holderNotices(
    tx,
    undone.taken,
    {
      ticket: undone.ticket,
      submissionId: job.submissionId,
      templateIndex: undone.result.index,
      summaryLines: [UNDONE_NOTE],
      tag: `undo-${job.auditId}`,
    },
    HOLDER_UNDO_LINE,
  );
  if (notices.length === 0) return;
  const accountId = (read.requester ?? read.keyHolder)?.accountId;
  const { mails } = await ctx.composeNotices(
    notices,
    read.ownAddress,
    accountId === undefined ? undefined : { accountId, ex: tx },
  );
  await enqueueOutbox(tx, mails, job.submissionId);
}

/**
 * The reply to a staff action that changed an outcome, read by machines like the first: it names
 * the reply it replaces (`Supersedes:`), and in digest style it holds a block for every template
 * of the message (those staff did not touch as they stand), so its summary counts what its blocks
 * say. Per-template style answers only the templates staff decided, each with its own summary.
 */
async function answerAfterStaff(
  ctx: WorkerContext,
  tx: Executor,
  read: ReadSubmission,
  decided: readonly TemplateResult[],
  jobId: string,
): Promise<boolean> {
  const told = ctx.config.replies.style === 'digest' ? await wholeMessage(tx, read, decided) : [...decided];
  // A template staff corrected quotes their text, not the sender's: the block says so, and what
  // they changed (the sender must not read that it sent values it did not).
  const edits = await staffEdits(tx, read.submission.id);
  const results = told.map((r) => {
    const changes = edits.get(r.index);
    return changes ? { ...r, edited: { changes } } : r;
  });
  const request = replyRequest(read, results, read.templates.length);
  if (!request) return false;
  const supersedes = await lastReply(tx, read.submission.id);
  const reply = supersedes ? { ...request, supersedes } : request;
  const held = await ctx.enqueueReply(tx, reply, tagFor(jobId), read.ownAddress);
  for (const why of held)
    ctx.logger.warn({ submissionId: read.submission.id, why }, "staff action's reply not sent");
  return true;
}

/** Every template of the message as it stands now: the ones staff decided, the others as stored. */
async function wholeMessage(
  ex: Executor,
  read: ReadSubmission,
  decided: readonly TemplateResult[],
): Promise<TemplateResult[]> {
  const byIndex = new Map(decided.map((r) => [r.index, r]));
  const all: TemplateResult[] = [];
  for (const template of read.templates) {
    const result =
      byIndex.get(template.index) ?? (await storedResult(ex, read.submission.id, template.index));
    if (result) all.push(result);
  }
  return all;
}

/** The Message-ID of the last reply (not a contact notice, not a staff letter) sent for the submission. */
async function lastReply(ex: Executor, submissionId: string): Promise<string | undefined> {
  const o = tables.outbox;
  const [row] = await ex
    .select({ messageId: o.messageId })
    .from(o)
    .where(and(eq(o.submissionId, submissionId), eq(o.kind, 'reply')))
    .orderBy(desc(o.id))
    .limit(1);
  return row?.messageId;
}

/** A reply to a staff action needs its own stable Message-ID: one per job. */
function tagFor(jobId: string): string {
  return jobId.replace(/^[^.]*\./, '');
}

async function targetIndexes(
  ctx: WorkerContext,
  job: StaffJob,
  templates: readonly ParsedTemplate[],
): Promise<number[]> {
  if (job.kind !== 'reprocess') return [job.templateIndex];
  const asked = job.templateIndexes.length > 0 ? [...job.templateIndexes] : templates.map((t) => t.index);
  const refused: number[] = [];
  for (const index of asked) {
    const stored = await storedResult(ctx.db, job.submissionId, index);
    if (stored?.outcome !== 'approved') refused.push(index);
  }
  return refused;
}

function templateFor(job: StaffJob, templates: readonly ParsedTemplate[], index: number): ParsedTemplate {
  const template = templates[index - 1];
  if (!template) throw new UnrecoverableError(`submission ${job.submissionId} has no template ${index}`);
  return template;
}

/**
 * The template as it stands: the customer's, or after staff edits the last version, so an
 * override or a reprocess after an edit runs the edited text, not what the edit corrected.
 */
async function currentTemplate(
  tx: Executor,
  job: StaffJob,
  read: ReadSubmission,
  index: number,
): Promise<ParsedTemplate> {
  const customer = templateFor(job, read.templates, index);
  const latest = await latestVersion(tx, job.submissionId, index);
  if (!latest) return customer;
  const original = splitTemplates(read.mail?.text ?? '')[index - 1];
  if (!original) throw new UnrecoverableError(`template ${index} could not be found again in the message`);
  const current = reparseEditedText(latest.text, original.text, index);
  if (!current.ok) throw new StaffRefusal(formatProblem(current.error));
  return current.value;
}

/**
 * Staff's text for the template, parsed as if the sender had written it, recorded as the next
 * version. It must be written on the version that is current: an edit made meanwhile by someone
 * else is not overwritten (E_EDIT_CONFLICT, nothing applied). A job run again after its edit
 * committed finds its own version and goes on without a second one.
 */
async function editedTemplate(
  tx: Executor,
  job: EditAndApplyJob,
  read: ReadSubmission,
  jobId: string,
): Promise<ParsedTemplate> {
  const index = job.templateIndex;
  const customer = templateFor(job, read.templates, index);
  const original = splitTemplates(read.mail?.text ?? '')[index - 1];
  if (!original) throw new UnrecoverableError(`template ${index} could not be found again in the message`);
  const latest = await latestVersion(tx, job.submissionId, index);
  const current = latest?.version ?? 1;
  const ownRun = latest?.jobId === jobId;
  if (!ownRun && job.basedOnVersion !== current) {
    const by = latest ? latest.author.replace(/^staff:/, '') : 'the customer';
    throw new StaffRefusal(
      formatProblem(
        problem(
          'E_EDIT_CONFLICT',
          `template ${index} is at version ${current} (by ${by}), not the version ${job.basedOnVersion} this edit was written on; nothing was applied: reload the page and edit the current text`,
        ),
      ),
    );
  }
  const edited = reparseEditedText(job.text, original.text, index);
  if (!edited.ok) throw new StaffRefusal(formatProblem(edited.error));
  if (!ownRun) {
    await recordEdit(tx, {
      submissionId: job.submissionId,
      index,
      customerEcho: customer.echo,
      editedEcho: edited.value.echo,
      after: current,
      staff: job.staff,
      jobId,
    });
  }
  return edited.value;
}
