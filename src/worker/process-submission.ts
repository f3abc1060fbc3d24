/**
 * One submission, start to end: extract the mail, parse its templates, find who is asking, then,
 * in one transaction, run each template (its registry operation in a savepoint of its own) and
 * commit their records with the reply in the outbox. Every step can be re-run: templates already
 * recorded are not run again, and the reply's Message-ID is stable.
 */
import { and, asc, eq, ne } from 'drizzle-orm';
import {
  type EarlierUse,
  identifyRequester,
  type Requester,
  replayedSignature,
  verifySender,
} from '../auth/index.ts';
import {
  type Database,
  type Executor,
  type Submission,
  type Transaction,
  tables,
  updateRows,
} from '../db/index.ts';
import { headerBlock } from '../ingress/index.ts';
import { type ExtractedMail, readReplyHeaders } from '../mail/index.ts';
import { readOffThread } from '../reading/index.ts';
import { type PocNaming, takeMessageNumbers } from '../registry/index.ts';
import { type ReplyDecision, type ReplyRequest, shouldReply } from '../replies/index.ts';
import {
  describeError,
  type ErrorCode,
  errorChain,
  fail,
  type Problem,
  problem,
  type Result,
} from '../shared/errors.ts';
import type { ParsedTemplate } from '../templates/index.ts';
import type { WorkerContext } from './context.ts';
import { type TemplateResult, toReport } from './outcome.ts';
import { applyTemplate, lockSubmission, TemplateRecords } from './run-template.ts';
import { closeWholeMessageRejection, openWholeMessageRejection } from './whole-message-rejection.ts';

/** What the worker knows about a submission once its mail is read. */
export interface ReadSubmission {
  readonly submission: Submission;
  readonly mail: ExtractedMail | undefined;
  /** Who to answer, or undefined when we must not (bounce, auto-reply, list, ourselves). */
  readonly replyTo: string | undefined;
  /** Why nobody is answered, when replyTo is undefined: staff see it, since the sender will not. */
  readonly noReply?: string;
  readonly templates: readonly ParsedTemplate[];
  /** The message refused as a whole: no template, too many, unreadable, unknown sender... */
  readonly refusal: Problem | undefined;
  readonly requester: Requester | undefined;
}

export async function loadSubmission(db: Database, id: string): Promise<Submission | undefined> {
  const [row] = await db.select().from(tables.submissions).where(eq(tables.submissions.id, id));
  return row;
}

/**
 * Marks the submission `processing` (for staff: a crash leaves it so, visibly) and answers it, in
 * one statement; a submission already `done` is answered as it is.
 */
async function startProcessing(db: Database, id: string): Promise<Submission | undefined> {
  const [row] = await db
    .update(tables.submissions)
    .set({ state: 'processing' })
    .where(and(eq(tables.submissions.id, id), ne(tables.submissions.state, 'done')))
    .returning();
  return row ?? loadSubmission(db, id);
}

export async function readSubmission(
  ctx: WorkerContext,
  submission: Submission,
  options: { readonly lastAttempt?: boolean } = {},
): Promise<ReadSubmission> {
  // MIME and templates are read in a thread, within a time budget: never on this event loop.
  const reading = await readOffThread(submission.raw, {
    maxTemplates: ctx.config.limits.maxTemplatesPerMessage,
    timeLimitMs: ctx.config.limits.readTimeLimitMs,
  });
  const base = { submission, templates: [] as ParsedTemplate[], requester: undefined };
  if (!reading.ok) {
    // The body could not be read; the headers still say whether the sender is a person.
    const fallback = fallbackReplyTo(ctx, submission);
    return { ...base, mail: undefined, ...fallback, refusal: reading.problem };
  }
  const { mail, parsed } = reading;
  const decision = replyDecision(ctx, submission);
  const replyTo = decision.reply ? decision.to : undefined;
  const noReply = decision.reply ? undefined : decision.explanation;
  if (!parsed.ok) {
    const refusal =
      parsed.problem.code === 'E_NO_TEMPLATE' && mail.htmlOnly
        ? problem(
            'E_HTML_ONLY',
            'this message has only an HTML part and no template could be read from it; templates must be sent as plain text',
          )
        : parsed.problem;
    return { ...base, mail, replyTo, ...(noReply ? { noReply } : {}), refusal };
  }
  const identity = await identify(ctx, submission, mail, parsed.apiKey, options.lastAttempt ?? false);
  if (!identity.ok) {
    return {
      ...base,
      mail,
      replyTo,
      ...(noReply ? { noReply } : {}),
      templates: parsed.templates,
      refusal: identity.error,
    };
  }
  return {
    submission,
    mail,
    replyTo,
    ...(noReply ? { noReply } : {}),
    templates: parsed.templates,
    refusal: undefined,
    requester: identity.value,
  };
}

async function identify(
  ctx: WorkerContext,
  submission: Submission,
  mail: ExtractedMail,
  apiKey: string | undefined,
  lastAttempt: boolean,
): Promise<Result<Requester, Problem>> {
  const needsSenderCheck = !apiKey && ctx.config.senderAuth === 'dkim';
  const verdict = needsSenderCheck
    ? await verifySender(submission.raw, {
        envelopeFrom: submission.envelopeFrom || undefined,
        remoteAddress: submission.remoteAddress ?? undefined,
        heloName: submission.heloName ?? undefined,
        ...(ctx.resolver ? { resolver: ctx.resolver } : {}),
      })
    : {
        dkim: { result: 'none', domains: [] },
        spf: { result: 'none' },
        aligned: false,
        temporary: false,
        summary: '',
      };
  if (verdict.temporary) {
    // DNS trouble is not the sender's fault: retry later instead of refusing, until the last try,
    // which answers (the sender must hear something) and tells them how not to depend on DNS.
    if (!lastAttempt) throw new TemporaryError(`sender verification could not finish: ${verdict.summary}`);
    return fail(
      problem(
        'E_SENDER_NOT_VERIFIED',
        `we could not check the DKIM signature or SPF of your message after several tries over some minutes (${verdict.summary}); put your API key on the "00. API Key:" line or in the Subject and send it again`,
      ),
    );
  }
  return identifyRequester(ctx.db, {
    apiKeys: apiKey ? [apiKey] : [],
    fromAddress: mail.headers.from?.address,
    senderVerdict: verdict as Parameters<typeof identifyRequester>[1]['senderVerdict'],
    mode: ctx.config.senderAuth,
  });
}

export class TemporaryError extends Error {
  override name = 'TemporaryError';
}

/**
 * Whom to answer, from the header block of the stored message alone (src/mail's plain header
 * parse, no MIME): every rule of shouldReply (bounces, Auto-Submitted, lists, X-Loop naming us,
 * our own replies come back, Reply-To to a daemon or a list) holds whether the body can be read
 * or not, and even when reading it is what failed.
 */
function replyDecision(ctx: WorkerContext, submission: Submission): ReplyDecision {
  const envelopeFrom = submission.via === 'smtp' ? submission.envelopeFrom : undefined;
  const head = readReplyHeaders(headerBlock(submission.raw));
  return shouldReply(
    {
      ...head,
      // A head without From: the one the ingress stored (it read the same head).
      ...(head.from === undefined && submission.fromAddress ? { from: submission.fromAddress } : {}),
      ...(envelopeFrom !== undefined ? { envelopeFrom } : {}),
    },
    ctx.ourAddresses,
  );
}

/** Whom to answer when the mail itself cannot be read (see replyDecision), or why nobody. */
export function fallbackReplyTo(
  ctx: WorkerContext,
  submission: Submission,
): { replyTo: string | undefined; noReply?: string } {
  const decision = replyDecision(ctx, submission);
  return decision.reply ? { replyTo: decision.to } : { replyTo: undefined, noReply: decision.explanation };
}

/** Mail we may not answer (bounce, auto-reply, list) still goes to staff: the sender hears nothing. */
export const NOT_ANSWERED_CODE: ErrorCode = 'E_NOT_ANSWERED';

function staffRecord(read: ReadSubmission): Problem | undefined {
  const unanswered = read.replyTo ? undefined : (read.noReply ?? 'nobody to answer');
  if (read.refusal) {
    return unanswered
      ? { ...read.refusal, message: `${read.refusal.message} (not answered: ${unanswered})` }
      : read.refusal;
  }
  if (!unanswered) return undefined;
  return problem(NOT_ANSWERED_CODE, `the templates were handled but no reply was sent: ${unanswered}`);
}

/**
 * Records a whole-message refusal, or a message we may not answer, for staff (once, however
 * often the job runs).
 */
async function recordRefusal(tx: Transaction, read: ReadSubmission, refusal: Problem): Promise<void> {
  const { submission } = read;
  const sender = read.mail?.headers.from?.address ?? submission.fromAddress ?? null;
  await openWholeMessageRejection(tx, submission.id, refusal, sender);
  if (read.refusal) {
    await tx
      .update(tables.submissions)
      .set({ refusalCode: read.refusal.code, refusalMessage: read.refusal.message })
      .where(eq(tables.submissions.id, submission.id));
  }
}

export function replyRequest(
  read: ReadSubmission,
  results: readonly TemplateResult[],
  total: number,
): ReplyRequest | undefined {
  if (!read.replyTo) return undefined;
  const headers = read.mail?.headers;
  return {
    submissionId: read.submission.id,
    ...(headers?.messageId ? { originalMessageId: headers.messageId } : {}),
    ...(headers?.references.length ? { originalReferences: headers.references } : {}),
    originalSubject: headers?.subject ?? read.submission.subject ?? '',
    to: read.replyTo,
    ...(read.refusal ? { refusal: read.refusal } : {}),
    templates: results.map((r) => toReport(r, total)),
  };
}

export interface ProcessOptions {
  /** Staff asked for this run: the reply gets its own Message-ID. */
  readonly replyTag?: string;
  /** Staff reprocess a message refused as a whole: its rejection is closed when it passes now. */
  readonly staff?: { readonly email: string; readonly note: string };
  /** The job's last try: temporary trouble (DNS for DKIM/SPF) is answered instead of retried. */
  readonly lastAttempt?: boolean;
}

/** The earlier message that used a DKIM signature first, with its tickets (read only for a replay). */
async function earlierUse(ex: Executor, submissionId: string): Promise<EarlierUse> {
  if (!submissionId) return { submissionId, tickets: [] };
  const rows = await ex
    .select({ number: tables.tickets.number })
    .from(tables.tickets)
    .where(eq(tables.tickets.submissionId, submissionId))
    .orderBy(asc(tables.tickets.templateIndex));
  return { submissionId, tickets: rows.map((r) => r.number) };
}

/** What a run of the message did: its templates' results, and the message as finally judged. */
interface MessageRun {
  readonly results: TemplateResult[];
  /** `read`, or, when its DKIM signature turned out to be a replay, the message refused for it. */
  readonly read: ReadSubmission;
}

/**
 * One transaction for the whole message: its templates (each operation in a savepoint of its
 * own, so one refused template never undoes another; with `savepoints` false, operations that
 * refuse only before writing take none, see processSubmission), their tickets and rows, the rejections,
 * the notices, the reply and the `done` mark commit together. A run that dies half-way leaves
 * nothing, and the next run applies every template exactly once; a second run of the same
 * submission waits on its row, then finds it done. Every statement and every commit costs, and
 * a message holds up to ten templates: one commit per message instead of one per template.
 *
 * A message trusted by its DKIM signature records the signature in the same transaction (with
 * the lock on its row, see lockSubmission); a signature another message already used refuses
 * the whole message (E_REPLAYED_SIGNATURE), and none of its templates is run.
 */
async function runMessage(
  ctx: WorkerContext,
  read: ReadSubmission,
  options: ProcessOptions,
  savepoints: boolean,
): Promise<MessageRun | undefined> {
  const submissionId = read.submission.id;
  const templates = !read.refusal && read.requester ? read.templates : [];
  const signatures = templates.length > 0 ? (read.requester?.dkimSignatures ?? []) : [];
  const { tickets, handles: reservedHandles } = await takeMessageNumbers(
    ctx.db,
    templates.length,
    newPocs(templates),
  );
  return ctx.db.transaction(async (tx) => {
    const locked = await lockSubmission(tx, submissionId, signatures);
    // Another run of this submission may have finished it meanwhile: it recorded the same
    // results and queued the same reply; doing it again would only add a second whole-message
    // rejection for staff. The row lock makes the two runs take turns.
    if (locked.state === 'done' && !options.staff) return undefined;
    // A replay is refused as a whole, like a sender who cannot be trusted: the ticket and POC
    // numbers taken above are left unused (numbers are unique, not gap-free).
    const judged: ReadSubmission =
      locked.signatureUsedBy === undefined
        ? read
        : {
            ...read,
            refusal: replayedSignature(await earlierUse(tx, locked.signatureUsedBy)),
            requester: undefined,
          };
    const records = new TemplateRecords();
    const results: TemplateResult[] = [];
    for (const [i, template] of (judged.requester ? templates : []).entries()) {
      results.push(
        await applyTemplate(
          tx,
          {
            submissionId,
            template,
            requester: judged.requester!,
            sender: read.mail?.headers.from?.address,
          },
          {
            previous: locked.stored.get(template.index),
            ticket: tickets[i],
            reservedHandles,
            withoutSavepoint: !savepoints,
          },
          records,
        ),
      );
    }
    const forStaff = staffRecord(judged);
    if (forStaff) await recordRefusal(tx, judged, forStaff);
    else if (options.staff) await closeWholeMessageRejection(tx, submissionId, options.staff);
    const reply = replyRequest(judged, results, judged.templates.length);
    // The records, the notices, the reply and the `done` mark: one statement.
    await records.write(tx, ctx.composeNotices, {
      submissionId,
      mails: reply ? await ctx.composeReply(reply, options.replyTag) : [],
      last: updateRows(tables.submissions, 'id', DONE_COLUMNS, [
        { id: submissionId, state: 'done', processedAt: new Date() },
      ]),
    });
    return { results, read: judged };
  });
}

const DONE_COLUMNS = ['id', 'state', 'processedAt'] as const;

/** The POCs a message asks to create, for their handle numbers to be reserved ahead. */
function newPocs(templates: readonly ParsedTemplate[]): PocNaming[] {
  return templates.flatMap((t) =>
    t.result.ok && t.result.value.kind === 'poc.create' ? [t.result.value] : [],
  );
}

/** PostgreSQL's verdict on two transactions waiting for each other: one is undone, and may run again. */
function isDeadlock(error: unknown): boolean {
  return errorChain(error).some((e) => e.code === '40P01');
}

/** How often a message undone by a deadlock is run again at once, before the job's own retries. */
const DEADLOCK_RETRIES = 3;

export async function processSubmission(
  ctx: WorkerContext,
  submissionId: string,
  options: ProcessOptions = {},
): Promise<void> {
  const submission = await startProcessing(ctx.db, submissionId);
  if (!submission) {
    ctx.logger.warn({ submissionId }, 'job for a submission that does not exist');
    return;
  }
  if (submission.state === 'done') return;
  const read = await readSubmission(ctx, submission, { lastAttempt: options.lastAttempt ?? false });
  let run: MessageRun | undefined;
  // First without a savepoint per template where an operation cannot leave half a change behind
  // (it refuses only before writing); if anything fails, the transaction is undone and the
  // message runs again with savepoints, where a failed operation is undone alone.
  let savepoints = false;
  // Deadlocks are counted on their own: the one run again with savepoints is not a deadlock
  // retry, and counting it with them would leave a message so re-run one deadlock retry fewer.
  let deadlocks = 0;
  for (;;) {
    try {
      run = await runMessage(ctx, read, options, savepoints);
      break;
    } catch (error) {
      // Two messages changing the same objects in opposite orders: PostgreSQL undid this one.
      if (isDeadlock(error) && deadlocks < DEADLOCK_RETRIES) {
        deadlocks++;
        ctx.logger.warn(
          { submissionId, attempt: deadlocks },
          'deadlock with another message; running it again',
        );
        continue;
      }
      if (savepoints) throw error;
      savepoints = true;
      ctx.logger.info(
        { submissionId, error: describeError(error) },
        'undone without savepoints; running the message again with a savepoint per template',
      );
    }
  }
  if (!run) {
    ctx.logger.info({ submissionId }, 'submission finished by another run of its job meanwhile');
    return;
  }
  const { results } = run;
  for (const result of results) {
    ctx.logger.info(
      { submissionId, template: result.index, ticket: result.ticket, outcome: result.outcome },
      'template handled',
    );
    ctx.metrics?.templateHandled(result.form, result.outcome);
  }
  ctx.logger.info(
    {
      submissionId,
      templates: results.length,
      refusal: run.read.refusal?.code,
      replied: Boolean(run.read.replyTo),
    },
    'submission processed',
  );
  ctx.afterCommit();
}
