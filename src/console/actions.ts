/**
 * What staff do to a rejection. Every action first CLAIMS the rejection with a conditional
 * UPDATE (`... where state = 'open' returning`): of two staff racing, one wins and the other
 * is told who was first. The claim and its audit row commit together.
 *
 * Reprocess, override, edit-and-apply and reject change the registry or answer the customer,
 * so they are jobs for the worker (the one path that applies and answers the customer); the
 * console waits for the job and then reads what it did from the database. Dismiss changes no registry data and is done here.
 */
import { randomBytes } from 'node:crypto';
import type { Queue, QueueEvents } from 'bullmq';
import { and, asc, eq, gte, inArray, ne, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.ts';
import type { Database, RejectionState, Transaction } from '../db/index.ts';
import { tables } from '../db/index.ts';
import {
  jobIdFor,
  loadBullmq,
  STAFF_JOB_SECRET,
  type StaffJob,
  type SubmissionJob,
  type SubmissionQueue,
  signStaffJob,
  type UnsignedStaffJob,
} from '../queue/index.ts';
import type { RecipientReplyLimit } from '../replies/index.ts';
import {
  type ErrorCode,
  fail,
  ok,
  type Problem,
  problem,
  type Result,
  redactApiKeys,
} from '../shared/index.ts';
import { showAddress } from './addresses.ts';
import { checkEdit } from './edit-check.ts';
import { hideKeys } from './key-hiding.ts';
import type { Flash } from './sessions.ts';
import { sharedSecret } from './shared-secret.ts';
import type { StaffUser } from './staff-accounts.ts';
import { queueStaffAnswer, staffAnswerMessageId, staffAnswerTarget } from './staff-answer.ts';

/** The part of the submission queue the console needs; `consoleQueueFrom` adapts a `SubmissionQueue`. */
export interface ConsoleQueue {
  /** The BullMQ queue of `SUBMISSIONS_QUEUE`: for bull-board and for waiting on jobs. */
  readonly bullQueue: Queue;
  /** The queue's Redis connection: the sign-in counters live there, shared by every console. */
  readonly redis: Redis;
  /** Adds the job under `jobIdFor(job, nonce)`; a Problem when Redis is unreachable. */
  enqueue(
    job: SubmissionJob,
    options?: { readonly nonce?: string | number },
  ): Promise<Result<{ readonly jobId: string }>>;
}

export function consoleQueueFrom(queue: SubmissionQueue): ConsoleQueue {
  return {
    bullQueue: queue.queue,
    redis: queue.redis,
    enqueue: (job, options) => queue.enqueue(job, options),
  };
}

export interface ActionContext {
  readonly db: Database;
  readonly config: Config;
  readonly queue: ConsoleQueue | undefined;
  readonly events: QueueEvents | undefined;
  /** How long the console waits for the worker before telling staff to look again later. */
  readonly jobTimeoutMs: number;
  /**
   * The worker's per-recipient count in Redis: a staff answer counts as a reply. Without it (a
   * console without the job queue, a test's bare context) nothing is counted.
   */
  readonly replyLimit?: RecipientReplyLimit;
}

export type JobAction =
  | { readonly kind: 'reprocess' }
  | {
      readonly kind: 'override';
      readonly waive: readonly string[];
      /** The refusal or hold as the page showed it (absent: the rejection's reason as it stands). */
      readonly seen?: string;
    }
  | {
      readonly kind: 'edit-and-apply';
      /** The whole template as staff corrected it, keys hidden as the page showed them. */
      readonly text: string;
      /** The version staff edited (1: the customer's). */
      readonly basedOnVersion: number;
      readonly waive: readonly string[];
      /** The refusal or hold as the page showed it beside the text. */
      readonly seen?: string;
    }
  | { readonly kind: 'reject'; readonly reason: string };

const CLAIMED_STATE: Record<JobAction['kind'] | 'dismiss', Exclude<RejectionState, 'open'>> = {
  reprocess: 'reprocessed',
  override: 'overridden',
  'edit-and-apply': 'overridden',
  dismiss: 'dismissed',
  reject: 'rejected',
};

/** Work held for review: its sender was told a ticket stays open until staff decide. */
const HELD_FOR_REVIEW = tables.STAFF_REVIEW_REASON;

type RejectionRow = (typeof tables.rejections)['$inferSelect'];

const MAX_NOTE = 4000;

/**
 * The refusals staff can waive, and where each waiver is honoured: the smallest prefix
 * (src/registry/rules.ts, checkPrefixSize), the requester's authority over the object
 * (src/worker/run-template.ts, decide), and the hold for review (an override runs with
 * `staffApproved`). Nothing else reads a waiver: offering any other code (a handle that does not
 * exist, a form we do not know) would promise an approval the worker cannot give.
 */
export const WAIVABLE_CODES: readonly ErrorCode[] = [
  'E_PREFIX_TOO_SMALL',
  'E_NOT_AUTHORIZED',
  'E_STAFF_REVIEW',
];

/** Codes come from rows and forms as text; this one is a code a waiver can lift. */
const isWaivable = (code: string): code is ErrorCode => (WAIVABLE_CODES as readonly string[]).includes(code);

/** The codes of a refusal (its own and its template's errors) that a waiver can lift, in that order. */
export function waivableCodes(reasonCode: string, errors: readonly { code: string }[]): ErrorCode[] {
  return [...new Set([reasonCode, ...errors.map((e) => e.code)])].filter(isWaivable);
}

function checkWaivers(waive: readonly string[]): Result<readonly string[]> {
  const unknown = waive.filter((code) => !isWaivable(code));
  if (unknown.length > 0) {
    return fail(
      problem(
        'E_NOT_WAIVABLE',
        `${unknown.join(', ')} cannot be waived (only ${WAIVABLE_CODES.join(', ')} can): edit the template, reprocess it or reject it instead`,
      ),
    );
  }
  return ok(waive);
}

const actor = (staff: StaffUser) => `staff:${staff.email}`;

export function checkNote(note: string): Result<string> {
  const trimmed = note.trim();
  if (!trimmed)
    return fail(problem('E_NOTE_REQUIRED', 'write a note: it goes to the audit log with your name'));
  if (trimmed.length > MAX_NOTE)
    return fail(problem('E_NOTE_TOO_LONG', `keep the note under ${MAX_NOTE} characters`));
  return ok(trimmed);
}

/** The optional message to the sender: mailed as written, so as bounded as the note. */
export function checkMessage(message: string): Result<string> {
  const trimmed = message.trim();
  if (trimmed.length > MAX_NOTE)
    return fail(problem('E_NOTE_TOO_LONG', `keep the message to the sender under ${MAX_NOTE} characters`));
  return ok(trimmed);
}

async function audit(
  tx: Transaction | Database,
  staff: StaffUser,
  rejection: RejectionRow,
  action: string,
  note: string,
  after: unknown = null,
  before: unknown = null,
): Promise<void> {
  await tx.insert(tables.auditLog).values({
    actor: actor(staff),
    action,
    objectType: 'rejection',
    objectHandle: String(rejection.id),
    submissionId: rejection.submissionId,
    note,
    before,
    after,
  });
}

/** Takes an open rejection for this action, or explains who already closed it. */
async function claim(
  tx: Transaction,
  staff: StaffUser,
  rejectionId: number,
  state: Exclude<RejectionState, 'open'>,
  note: string,
): Promise<Result<RejectionRow>> {
  const r = tables.rejections;
  const [claimed] = await tx
    .update(r)
    .set({ state, closedBy: actor(staff), closedAt: new Date(), staffNotes: note })
    .where(and(eq(r.id, rejectionId), eq(r.state, 'open')))
    .returning();
  if (claimed) return ok(claimed);
  const [current] = await tx.select().from(r).where(eq(r.id, rejectionId));
  if (!current) return fail(problem('E_NOT_FOUND', `rejection ${rejectionId} does not exist`));
  const by = current.closedBy ? ` by ${current.closedBy.replace(/^staff:/, '')}` : '';
  const when = current.closedAt
    ? ` at ${current.closedAt.toISOString().replace('T', ' ').slice(0, 19)} UTC`
    : '';
  return fail(
    problem(
      'E_ALREADY_CLOSED',
      `rejection ${rejectionId} is already ${current.state}${by}${when}; nothing was done. Reload the page to see the current state.`,
    ),
  );
}

/** Gives a claimed rejection back to the queue when the action did not do what it claimed. */
async function reopen(db: Database, staff: StaffUser, rejection: RejectionRow, why: string): Promise<void> {
  const r = tables.rejections;
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(r)
      .set({
        state: 'open',
        closedBy: null,
        closedAt: null,
        staffNotes: sql`coalesce(${r.staffNotes} || E'\n', '') || ${why}`,
      })
      .where(and(eq(r.id, rejection.id), ne(r.state, 'open'), eq(r.closedBy, actor(staff))))
      .returning();
    if (row)
      await audit(tx, staff, rejection, 'console.reopen', why, { state: 'open' }, { state: rejection.state });
  });
}

/**
 * A claimed rejection whose action applied nothing, the template refused for another reason and
 * filed anew (`newId`): it says so (`refiled`), not the state its claim gave it (`overridden`
 * would count a refusal as approved), and its notes name the new rejection.
 */
async function markRefiled(
  db: Database,
  staff: StaffUser,
  rejection: RejectionRow,
  newId: number,
  why: string,
): Promise<void> {
  const r = tables.rejections;
  const note = `${why}; queued again as rejection ${newId}`;
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(r)
      .set({ state: 'refiled', staffNotes: sql`coalesce(${r.staffNotes} || E'\n', '') || ${note}` })
      .where(and(eq(r.id, rejection.id), eq(r.state, rejection.state), eq(r.closedBy, actor(staff))))
      .returning();
    if (row) {
      await audit(
        tx,
        staff,
        rejection,
        'console.refiled',
        note,
        { state: 'refiled', refiledAs: newId },
        {
          state: rejection.state,
        },
      );
    }
  });
}

export async function dismiss(
  ctx: ActionContext,
  staff: StaffUser,
  rejectionId: number,
  input: { readonly note: string; readonly answer: string },
): Promise<Flash> {
  const note = checkNote(input.note);
  if (!note.ok) return { kind: 'error', text: note.error.message };
  // The written answer is mailed as written: bounded as the message to the sender is.
  const answer = checkMessage(input.answer);
  if (!answer.ok) return { kind: 'error', text: `Not dismissed: ${answer.error.message}.` };
  const answerText = answer.value;
  try {
    const outcome = await ctx.db.transaction(async (tx): Promise<Result<string>> => {
      const claimed = await claim(tx, staff, rejectionId, 'dismissed', note.value);
      if (!claimed.ok) return claimed;
      const rejection = claimed.value;
      if (rejection.reasonCode === HELD_FOR_REVIEW && rejection.templateIndex !== null) {
        // Its sender holds an open ticket and was promised a decision: dismissing would leave both.
        throw new AnswerRefused(
          problem(
            'E_ANSWER_REQUIRED',
            'work held for review ends in an answer to its sender: approve it (override) or reject it with a reason',
          ),
        );
      }
      let sentence = `Rejection ${rejectionId} dismissed.`;
      let answerId: string | undefined;
      if (answerText) {
        const answered = await answerSender(ctx, tx, rejection, answerText);
        answerId = answered.messageId;
        sentence += ` ${answered.sentence}`;
      }
      await audit(
        tx,
        staff,
        rejection,
        'console.dismiss',
        note.value,
        { state: 'dismissed', ...(answerId ? { answer: answerId } : {}) },
        { state: 'open' },
      );
      return ok(sentence);
    });
    return outcome.ok
      ? { kind: 'ok', text: outcome.value }
      : { kind: 'error', text: capitalise(outcome.error.message) };
  } catch (error) {
    if (error instanceof AnswerRefused && error.problem.code === 'E_ANSWER_REQUIRED') {
      return { kind: 'error', text: `Not dismissed: ${error.problem.message}.` };
    }
    if (error instanceof AnswerRefused) {
      return {
        kind: 'error',
        text: `Not dismissed: ${hideKeys(error.problem.message).text}. Dismiss without an answer, or answer by hand.`,
      };
    }
    throw error;
  }
}

/**
 * Puts staff's written answer to a rejection's sender in the outbox, in the caller's transaction:
 * only where the worker's own reply would go, counted in the per-recipient limit. Throws
 * AnswerRefused (the caller rolls back what the answer was to explain) when it cannot go.
 */
export async function answerSender(
  ctx: ActionContext,
  tx: Transaction,
  rejection: { readonly id: number; readonly submissionId: string },
  text: string,
  label?: string,
): Promise<{ readonly messageId: string; readonly sentence: string }> {
  const rejectionId = rejection.id;
  const [submission] = await tx
    .select()
    .from(tables.submissions)
    .where(eq(tables.submissions.id, rejection.submissionId));
  if (!submission) throw new AnswerRefused(problem('E_NOT_FOUND', 'the submission is gone'));
  const target = staffAnswerTarget(ctx.config, submission);
  if (!target.ok) throw new AnswerRefused(target.error);
  const to = target.value.to;
  const messageId = staffAnswerMessageId(ctx.config, submission.id, rejectionId, label);
  const limit = ctx.replyLimit;
  const admission = limit
    ? await limit.admit(to, messageId).catch((error: Error) => {
        // Uncounted, the answer could exceed the limit: it waits until Redis is back.
        throw new AnswerRefused(
          problem(
            'E_QUEUE_UNAVAILABLE',
            `the per-recipient reply count in Redis could not be read (${error.message})`,
          ),
        );
      })
    : { admitted: true as const };
  if (!admission.admitted) {
    throw new AnswerRefused(
      problem(
        'E_REPLY_LIMIT',
        `${to} already got ${admission.count} mails from us in the last hour (REPLY_LIMIT_PER_RECIPIENT_PER_HOUR is ${limit?.perHour})`,
      ),
    );
  }
  await queueStaffAnswer(tx, ctx.config, {
    submissionId: submission.id,
    rejectionId,
    to,
    authenticated: target.value.trust === 'authenticated',
    originalSubject: submission.subject,
    originalMessageId: submission.messageId,
    text,
    ...(label ? { label } : {}),
  });
  const shown = showAddress(hideKeys(to).text);
  return {
    messageId,
    sentence: `Your answer to ${shown.text}${shown.warning ? ` (⚠ ${shown.warning})` : ''} is in the outbox.`,
  };
}

export class AnswerRefused extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message);
  }
}

/**
 * A staff job with the console's proof for the job id it is queued under: the worker runs no
 * staff job without it (see src/worker/staff-job-check.ts). The key is shared by every console
 * (and the worker) through the database.
 */
export async function signedStaffJob(db: Database, job: UnsignedStaffJob, jobId: string): Promise<StaffJob> {
  return signStaffJob(job, jobId, await sharedSecret(db, STAFF_JOB_SECRET));
}

function jobFor(
  action: JobAction,
  rejection: RejectionRow,
  staff: StaffUser,
  note: string,
  message: string,
): Result<UnsignedStaffJob> {
  const base = {
    staff: staff.email,
    note,
    ...(message ? { message } : {}),
    submissionId: rejection.submissionId,
    rejectionId: rejection.id,
  };
  if (action.kind === 'reprocess') {
    return ok({
      ...base,
      kind: 'reprocess',
      templateIndexes: rejection.templateIndex === null ? [] : [rejection.templateIndex],
    });
  }
  if (rejection.templateIndex === null) {
    return fail(
      problem(
        'E_NOT_A_TEMPLATE',
        'this rejection refused the whole message, not one template: reprocess or dismiss it instead',
      ),
    );
  }
  if (action.kind === 'reject') {
    if (rejection.reasonCode !== HELD_FOR_REVIEW) {
      return fail(
        problem(
          'E_NOT_HELD',
          `only work held for review can be rejected with a reason; this was refused with ${rejection.reasonCode} and its sender has been told so`,
        ),
      );
    }
    const reason = action.reason.trim();
    if (!reason) return fail(problem('E_REASON_REQUIRED', 'write the reason: it is mailed to the sender'));
    if (reason.length > MAX_NOTE)
      return fail(problem('E_NOTE_TOO_LONG', `keep the reason under ${MAX_NOTE} characters`));
    return ok({ ...base, kind: 'reject', templateIndex: rejection.templateIndex, reason });
  }
  const waivers = checkWaivers(action.waive);
  if (!waivers.ok) return waivers;
  if (action.kind === 'override') {
    if (action.waive.length === 0)
      return fail(problem('E_NOTHING_WAIVED', 'tick at least one rule to waive'));
    return ok({
      ...base,
      kind: 'override',
      templateIndex: rejection.templateIndex,
      waive: [...action.waive],
      reviewed: action.seen || rejection.reason,
    });
  }
  return ok({
    ...base,
    kind: 'edit-and-apply',
    templateIndex: rejection.templateIndex,
    text: action.text,
    basedOnVersion: action.basedOnVersion,
    waive: [...action.waive],
    reviewed: action.seen || rejection.reason,
  });
}

/**
 * Claims the rejection, hands the job to the worker, waits for it, and says what happened in
 * one sentence. A rejection whose action did not apply goes back to the queue with the reason.
 */
export async function runJobAction(
  ctx: ActionContext,
  staff: StaffUser,
  rejectionId: number,
  action: JobAction,
  input: { readonly note: string; readonly message: string },
): Promise<Flash> {
  const note = checkNote(input.note);
  if (!note.ok) return { kind: 'error', text: note.error.message };
  const message = checkMessage(input.message);
  if (!message.ok) return { kind: 'error', text: message.error.message };
  const { queue } = ctx;
  if (!queue || !ctx.events) {
    return {
      kind: 'error',
      text: 'This console runs without the job queue, so it cannot apply anything; only dismiss works here.',
    };
  }
  const [current] = await ctx.db
    .select()
    .from(tables.rejections)
    .where(eq(tables.rejections.id, rejectionId));
  if (!current) return { kind: 'error', text: `Rejection ${rejectionId} does not exist.` };
  const job = jobFor(action, current, staff, note.value, message.value);
  if (!job.ok) return { kind: 'error', text: `Nothing done: ${job.error.message}.` };
  // The audit row says what the action changed, old -> new: the rejection's state, and for an
  // edit the text it replaced beside the new one.
  let before: Record<string, unknown> = { state: 'open' };
  if (action.kind === 'edit-and-apply' && current.templateIndex !== null) {
    const checked = await checkEdit(
      ctx.db,
      { submissionId: current.submissionId, templateIndex: current.templateIndex },
      action,
    );
    if (!checked.ok) return { kind: 'error', text: `Nothing done: ${checked.error.message}.` };
    before = { ...before, version: checked.value.current.version, text: checked.value.current.text };
  }

  const startedAt = new Date();
  const claimed = await ctx.db.transaction(async (tx) => {
    const result = await claim(tx, staff, rejectionId, CLAIMED_STATE[action.kind], note.value);
    if (result.ok)
      await audit(
        tx,
        staff,
        result.value,
        `console.${action.kind}`,
        note.value,
        {
          state: CLAIMED_STATE[action.kind],
          ...jobDetails(action),
          ...(message.value ? { messageToSender: message.value } : {}),
        },
        before,
      );
    return result;
  });
  if (!claimed.ok) return { kind: 'error', text: capitalise(claimed.error.message) };
  const rejection = claimed.value;

  // A fresh nonce per action: after a reopen, the next action on the same template is a new job.
  const nonce = `r${rejection.id}-${randomBytes(4).toString('hex')}`;
  const signed = await signedStaffJob(ctx.db, job.value, jobIdFor(job.value, nonce));
  const queued = await queue
    .enqueue(signed, { nonce })
    .catch((error: Error) => fail(problem('E_QUEUE_UNAVAILABLE', error.message)));
  if (!queued.ok) {
    await reopen(
      ctx.db,
      staff,
      rejection,
      `${action.kind} by ${staff.email} could not be queued: ${queued.error.message}`,
    );
    return { kind: 'error', text: `Nothing done: ${queued.error.message}. The rejection is open again.` };
  }
  const { jobId } = queued.value;

  const finished = await waitForJob(queue.bullQueue, ctx.events, jobId, ctx.jobTimeoutMs);
  if (finished.state === 'timeout') {
    return {
      kind: 'error',
      text: `The worker has not finished job ${jobId} within ${Math.round(ctx.jobTimeoutMs / 1000)} s. It stays queued; look at Queue health and reload this page shortly.`,
    };
  }
  if (finished.state === 'failed') {
    await reopen(ctx.db, staff, rejection, `${action.kind} by ${staff.email} failed: ${finished.reason}`);
    return {
      kind: 'error',
      text: `The worker could not ${action.kind}: ${finished.reason}. The rejection is open again.`,
    };
  }
  return await describeOutcome(ctx, staff, rejection, action, startedAt);
}

function jobDetails(action: JobAction): Record<string, unknown> | null {
  if (action.kind === 'override') return { waive: action.waive };
  if (action.kind === 'edit-and-apply') {
    return { version: action.basedOnVersion + 1, text: redactApiKeys(action.text), waive: action.waive };
  }
  if (action.kind === 'reject') return { reason: action.reason.trim() };
  return null;
}

type JobEnd = { state: 'completed' } | { state: 'failed'; reason: string } | { state: 'timeout' };

/** Waits for a staff job to end: completed, failed (with why), or still running after `timeoutMs`. */
export async function waitForJob(
  queue: Queue,
  events: QueueEvents,
  jobId: string,
  timeoutMs: number,
): Promise<JobEnd> {
  const job = await loadBullmq().Job.fromId(queue, jobId);
  if (!job) return { state: 'failed', reason: `job ${jobId} vanished from the queue` };
  try {
    const result: unknown = await job.waitUntilFinished(events, timeoutMs);
    // A refusal by design completes the job with its words (StaffRefusal): told as a failure was.
    const refused = (result as { refused?: unknown } | null | undefined)?.refused;
    if (typeof refused === 'string') return { state: 'failed', reason: refused };
    return { state: 'completed' };
  } catch (error) {
    const message = (error as Error).message;
    if (/timed out/i.test(message)) return { state: 'timeout' };
    return { state: 'failed', reason: message };
  }
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Reads what the worker did to the template(s) and the replies it queued, and says it. */
async function describeOutcome(
  ctx: ActionContext,
  staff: StaffUser,
  rejection: RejectionRow,
  action: JobAction,
  startedAt: Date,
): Promise<Flash> {
  const t = tables.submissionTemplates;
  const indexes = rejection.templateIndex === null ? undefined : [rejection.templateIndex];
  const templates = await ctx.db
    .select()
    .from(t)
    .where(
      and(
        eq(t.submissionId, rejection.submissionId),
        indexes ? inArray(t.templateIndex, indexes) : undefined,
      ),
    )
    // The flash names them in this order: the templates' own, not the heap's.
    .orderBy(asc(t.templateIndex));
  const [submission] = await ctx.db
    .select({
      refusalCode: tables.submissions.refusalCode,
      refusalMessage: tables.submissions.refusalMessage,
    })
    .from(tables.submissions)
    .where(eq(tables.submissions.id, rejection.submissionId));
  const replies = await ctx.db
    .select({ messageId: tables.outbox.messageId, state: tables.outbox.state })
    .from(tables.outbox)
    .where(
      and(eq(tables.outbox.submissionId, rejection.submissionId), gte(tables.outbox.createdAt, startedAt)),
    )
    .orderBy(asc(tables.outbox.id));
  const replyText =
    replies.length > 0
      ? ` Reply ${replies.map((r) => `${r.messageId} (${r.state})`).join(', ')} to the customer.`
      : ' No new reply was queued.';

  if (action.kind === 'reject') {
    const [row] = templates;
    if (row?.outcome === 'rejected') {
      return {
        kind: 'ok',
        text: `Rejected: template ${row.templateIndex}${row.ticketNumber ? `, ticket ${row.ticketNumber} closed` : ''}.${replyText}`,
      };
    }
  }
  const applied = templates.filter((row) => row.outcome !== 'rejected');
  const wholeMessageRefused = rejection.templateIndex === null && submission?.refusalCode;
  if (applied.length > 0 && !wholeMessageRefused) {
    const parts = applied.map(
      (row) =>
        `template ${row.templateIndex} ${row.outcome.toUpperCase().replace('_', ' ')}${row.ticketNumber ? `, ticket ${row.ticketNumber}` : ''}${
          Object.keys(row.handles).length ? ` (${Object.values(row.handles).join(', ')})` : ''
        }`,
    );
    return { kind: 'ok', text: `Done (${action.kind}): ${parts.join('; ')}.${replyText}` };
  }

  const errors = templates.flatMap((row) => row.errors.map((e) => `${e.code}: ${e.message}`));
  const why =
    errors[0] ??
    (submission?.refusalCode
      ? `${submission.refusalCode}: ${submission.refusalMessage ?? ''}`
      : 'nothing applied');
  // The worker may have filed a new rejection for a different reason; then that one is the open item.
  const r = tables.rejections;
  const [other] = await ctx.db
    .select({ id: r.id })
    .from(r)
    .where(
      and(
        eq(r.submissionId, rejection.submissionId),
        rejection.templateIndex === null
          ? sql`${r.templateIndex} is null`
          : eq(r.templateIndex, rejection.templateIndex),
        eq(r.state, 'open'),
        ne(r.id, rejection.id),
      ),
    )
    .orderBy(asc(r.id));
  if (other) {
    await markRefiled(
      ctx.db,
      staff,
      rejection,
      other.id,
      `${action.kind} by ${staff.email} did not apply: ${why}`,
    );
    return {
      kind: 'error',
      text: `Still refused after ${action.kind}: ${why}. It is queued again as rejection ${other.id}.${replyText}`,
    };
  }
  await reopen(ctx.db, staff, rejection, `${action.kind} by ${staff.email} did not apply: ${why}`);
  return {
    kind: 'error',
    text: `Still refused after ${action.kind}: ${why}. The rejection is open again.${replyText}`,
  };
}
