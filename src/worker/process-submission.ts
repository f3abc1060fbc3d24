/**
 * One submission, start to end: extract the mail, parse its templates, find who is asking, then,
 * in one transaction, run each template (its registry operation in a savepoint of its own) and
 * commit their records with the reply in the outbox. Every step can be re-run: templates already
 * recorded are not run again, and the reply's Message-ID is stable.
 */
import { asc, eq, sql } from 'drizzle-orm';
import {
  type EarlierUse,
  forSender,
  type Identified,
  identifyRequester,
  identifyTakingNumbers,
  type Requester,
  replayedSignature,
  SENDER_NOT_CHECKED,
  staffNoteOf,
  verifySender,
} from '../auth/index.ts';
import {
  type Executor,
  preparedQuery,
  type Submission,
  type TogetherWrite,
  type Transaction,
  tables,
  transactionFlushed,
  updateRows,
  writeFlushedLater,
  writeTogether,
} from '../db/index.ts';
import { dryRunRequest, type ExtractedMail, headerBlock, readReplyHeaders } from '../mail/index.ts';
import { outboxWrite } from '../outbox/index.ts';
import { readOffThread } from '../reading/index.ts';
import {
  type DryRunNumbers,
  type HandleReservations,
  type MessageNumbers,
  type NumbersWanted,
  type PocNaming,
  takeMessageNumbers,
  turnsAhead,
} from '../registry/index.ts';
import { firstAddress, type OutgoingMail, type ReplyRequest, type ServiceAnswer } from '../replies/index.ts';
import {
  describeError,
  type ErrorCode,
  errorChain,
  findValidationTokens,
  type Problem,
  problem,
} from '../shared/index.ts';
import { findApiKeys, type ParsedTemplate, type TemplateRequest } from '../templates/index.ts';
import { holdsValidationAnswer, pocsNamedBy, validationMessageIdsIn } from '../validation/index.ts';
import { recordAnswerToUs, recordLinks } from './answer-record.ts';
import { type AnsweredMail, findAnsweredMail } from './answers-to-us.ts';
import type { MailingAccount, WorkerContext } from './context.ts';
import { DRY_RUN_TICKET, DryRunUndo, dryRunNumbers, dryRunResult } from './dry-run.ts';
import { messageKind } from './message-kind.ts';
import type { NoticeComposer } from './notices.ts';
import { type TemplateResult, toReport } from './outcome.ts';
import { inPhase, timedSync } from './phase-times.ts';
import { placeReassignmentsAhead } from './reassignments-ahead.ts';
import { applyTemplate, lockSubmission, TemplateRecords } from './run-template.ts';
import { handleValidationMail } from './validation-mail.ts';
import { closeWholeMessageRejection, openWholeMessageRejection } from './whole-message-rejection.ts';
import {
  type Addressing,
  answerRecord,
  type SenderCheck,
  verdictOnce,
  whomToAnswer,
} from './whom-to-answer.ts';

/** What the worker knows about a submission once its mail is read. */
export interface ReadSubmission extends Addressing {
  readonly submission: Submission;
  readonly mail: ExtractedMail | undefined;
  readonly templates: readonly ParsedTemplate[];
  /** Templates of the message that are someone else's (quoted, forwarded): named, not applied. */
  readonly notApplied?: readonly Problem[];
  /** The message refused as a whole: no template, too many, unreadable, unknown sender... */
  readonly refusal: Problem | undefined;
  /** What staff alone may read about the refusal (whether the From address has an account). */
  readonly staffNote?: string;
  readonly requester: Requester | undefined;
  /** Who holds the one key of a message refused before it was read for a requester (usage only). */
  readonly keyHolder?: Requester;
  /** The mail of ours it answers (replies, notices, tickets named), when it answers any. */
  readonly answered?: AnsweredMail;
  /** A message without templates asking for a service of the mailbox (HELP, blank forms). */
  readonly service?: ServiceAnswer;
  /** How the sender asked for a dry run (src/mail/dry-run.ts); undefined: a real run. */
  readonly dryRun?: string;
  /**
   * The templates' numbers, taken by the statement that found the requester by its key (asked
   * for with `takeNumbers`): the message's first run uses them instead of taking its own.
   */
  readonly numbers?: MessageNumbers;
}

/** The submission's row, built once (src/db/prepared.ts): every message reads it first. */
const submissionById = preparedQuery<{ id: string }, Submission[]>('worker_load_submission', (ex) =>
  ex
    .select()
    .from(tables.submissions)
    .where(eq(tables.submissions.id, sql.placeholder('id'))),
);

/**
 * Reads the submission; nothing is written until the message's own transaction. A submission
 * stays `received` until that commit marks it `done`: a worker killed half-way leaves it as it
 * was, and the job's attempts in the queue (and the give-up's reason) say it was tried. A
 * `processing` mark committed on its own was one more commit per message (an fdatasync on
 * PGlite) that nothing read: the sweeper, the give-up and the ingress treat both states alike.
 */
export async function loadSubmission(db: Executor, id: string): Promise<Submission | undefined> {
  const [row] = await submissionById(db, { id });
  return row;
}

/**
 * The sender's DKIM/SPF verdict within the DNS budget (DNS_BUDGET_MS), asked at most once and
 * only when something depends on it. DNS that does not answer in time leaves the sender
 * unverified (temperror): the message is decided now, never retried for DNS.
 */
export function senderCheckFor(
  ctx: WorkerContext,
  submission: Submission,
  options: { readonly deferrable?: boolean } = {},
): SenderCheck {
  return verdictOnce(() => {
    const verdict = verifySender(submission.raw, {
      envelopeFrom: submission.envelopeFrom || undefined,
      remoteAddress: submission.remoteAddress ?? undefined,
      heloName: submission.heloName ?? undefined,
      resolver: ctx.resolver,
      deadlineMs: ctx.config.dns.budgetMs,
      // A signature vouches only for mail written to us (src/auth/signed-recipients.ts).
      ourAddresses: ctx.ourAddresses,
    });
    return options.deferrable ? ctx.dnsWaits.waitOrDefer(verdict) : ctx.dnsWaits.wait(verdict);
  });
}

export async function readSubmission(
  ctx: WorkerContext,
  submission: Submission,
  options: { readonly deferrable?: boolean; readonly takeNumbers?: boolean } = {},
): Promise<ReadSubmission> {
  const senderCheck = senderCheckFor(ctx, submission, options);
  // MIME and templates are read in a thread, within a time budget: never on this event loop.
  const reading = await inPhase('message: reading threads (main side: hand-off, clone back)', () =>
    readOffThread(submission.raw, {
      maxTemplates: ctx.config.limits.maxTemplatesPerMessage,
      timeLimitMs: ctx.config.limits.readTimeLimitMs,
    }),
  );
  const dryRun = timedSync('requester: dry-run header check', () =>
    dryRunRequest({
      head: headerBlock(submission.raw),
      envelopeTo: submission.envelopeTo,
      dryRunAddresses: ctx.config.dryRunAddresses,
    }),
  );
  const base = {
    submission,
    templates: [] as ParsedTemplate[],
    requester: undefined,
    ...(dryRun ? { dryRun } : {}),
  };
  if (!reading.ok) {
    // The body could not be read; the headers still say whether the sender is a person, and a
    // key in the Subject still says whether they are a key holder writing from its address.
    const head = readReplyHeaders(headerBlock(submission.raw));
    const holder = await keyHolder(ctx, {
      subject: head.subject,
      text: '',
      from: firstAddress(head.from) ?? submission.fromAddress ?? undefined,
    });
    const addressing = await whomToAnswer(ctx, submission, holder, senderCheck);
    return { ...base, mail: undefined, ...addressing, refusal: reading.problem, ...known(holder) };
  }
  const { mail, parsed } = reading;
  if (!parsed.ok) {
    const refusal =
      parsed.problem.code === 'E_NO_TEMPLATE' && mail.htmlOnly
        ? problem(
            'E_HTML_ONLY',
            'this message has only an HTML part and no template could be read from it; templates must be sent as plain text',
          )
        : parsed.problem;
    const holder = await keyHolder(ctx, {
      subject: mail.headers.subject,
      text: mail.text,
      from: mail.headers.from?.address,
    });
    const addressing = await whomToAnswer(ctx, submission, holder, senderCheck);
    if (parsed.problem.code === 'E_NO_TEMPLATE') {
      // No template: a question the mailbox answers (the guide, blank forms), or an answer to our
      // mail for staff (never in a dry run, which leaves nothing for staff to do).
      const kind = await messageKind(ctx, {
        submission,
        mail,
        dryRun: dryRun !== undefined,
        provenSender: addressing.ownAddress ?? addressing.replyTo,
      });
      if (kind.kind === 'service') {
        return { ...base, mail, ...addressing, refusal: undefined, service: kind.service, ...known(holder) };
      }
      if (kind.kind === 'refused')
        return { ...base, mail, ...addressing, refusal: kind.problem, ...known(holder) };
      if (kind.kind === 'answer-to-us') {
        return {
          ...base,
          mail,
          ...addressing,
          refusal: undefined,
          ...known(holder),
          answered: kind.answered,
        };
      }
    }
    return { ...base, mail, ...addressing, refusal, ...known(holder) };
  }
  // A validation answer beside the templates (CORRECT, a token written) is not read as one: the
  // reply says so, rather than validating nothing in silence (trust25 F4).
  const notApplied = holdsValidationAnswer(mail.text)
    ? [...parsed.notApplied, await validationNotRead(ctx, mail)]
    : parsed.notApplied;
  // Numbers for a message that will run its templates, not a dry run's (which take none).
  const wanted =
    options.takeNumbers && !dryRun && parsed.templates.length > 0
      ? { ticketCount: parsed.templates.length, pocs: newPocs(parsed.templates) }
      : undefined;
  const { identity, numbers } = await inPhase('requester: identified, numbers taken (one statement)', () =>
    identify(ctx, mail, parsed.apiKey, senderCheck, wanted),
  );
  const requester = identity.ok ? identity.value : undefined;
  const addressing = await inPhase('requester: whom to answer (loop rules, From)', () =>
    whomToAnswer(ctx, submission, requester, senderCheck),
  );
  // Templates are processed as ever; one that answers our mail is linked to what it answers.
  const answered = await inPhase('requester: answered mail looked up', () =>
    findAnsweredMail(ctx.db, mail, addressing.ownAddress ?? addressing.replyTo),
  );
  if (!identity.ok) {
    const staffNote = staffNoteOf(identity.error);
    return {
      ...base,
      mail,
      ...addressing,
      templates: parsed.templates,
      notApplied,
      refusal: forSender(identity.error),
      ...(staffNote ? { staffNote } : {}),
      ...(answered ? { answered } : {}),
    };
  }
  return {
    ...base,
    mail,
    ...addressing,
    templates: parsed.templates,
    notApplied,
    refusal: undefined,
    requester,
    ...(answered ? { answered } : {}),
    ...(numbers ? { numbers } : {}),
  };
}

function known(holder: Requester | undefined): { keyHolder?: Requester } {
  return holder ? { keyHolder: holder } : {};
}

/**
 * Who holds the one key of a message refused before it was read for a requester (no template,
 * too many, two keys...): not to apply anything, only so a key holder writing from its account's
 * address is answered as such. Several keys, or none valid: nobody.
 */
async function keyHolder(
  ctx: WorkerContext,
  mail: { readonly subject: string | undefined; readonly text: string; readonly from: string | undefined },
): Promise<Requester | undefined> {
  const keys = new Set(
    [...findApiKeys(mail.subject ?? ''), ...findApiKeys(mail.text)].map((k) => k.toUpperCase()),
  );
  if (keys.size !== 1) return undefined;
  const found = await identifyRequester(ctx.db, {
    apiKeys: [...keys],
    ...(mail.from ? { fromAddress: mail.from } : {}),
    senderVerdict: SENDER_NOT_CHECKED,
    mode: ctx.config.senderAuth,
  });
  return found.ok ? found.value : undefined;
}

async function identify(
  ctx: WorkerContext,
  mail: ExtractedMail,
  apiKey: string | undefined,
  senderCheck: SenderCheck,
  wanted: NumbersWanted | undefined,
): Promise<Identified> {
  // A key decides alone: no DNS for it. A sender whose DNS did not answer within the budget is
  // unverified (identifyRequester says so: E_SENDER_NOT_VERIFIED, "could not be checked").
  const needsSenderCheck = !apiKey && ctx.config.senderAuth === 'dkim';
  const input = {
    apiKeys: apiKey ? [apiKey] : [],
    fromAddress: mail.headers.from?.address,
    senderVerdict: needsSenderCheck ? await senderCheck() : SENDER_NOT_CHECKED,
    mode: ctx.config.senderAuth,
  };
  // Numbers taken are used only by the message's transaction, which commits after them.
  if (!wanted) return identifyTakingNumbers(ctx.db, input);
  return writeFlushedLater(ctx.db, (ex) => identifyTakingNumbers(ex, input, wanted));
}

/** Mail we may not answer (bounce, auto-reply, list) still goes to staff: the sender hears nothing. */
export const NOT_ANSWERED_CODE: ErrorCode = 'E_NOT_ANSWERED';

/**
 * Per-template replies of which the limit held only some: which templates' senders heard nothing
 * and why, for staff (a held digest is `not answered`, see staffRecord). Undefined when none was held.
 */
function partlyHeld(
  reply: ReplyRequest,
  mails: readonly OutgoingMail[],
  sent: readonly OutgoingMail[],
  held: readonly string[],
): string | undefined {
  if (held.length === 0 || mails.length < 2) return undefined;
  // One mail per template, in template order (composeReplies).
  const indexes = reply.templates.map((t) => t.index).sort((a, b) => a - b);
  const unsent = mails.flatMap((mail, i) =>
    sent.some((s) => s.messageId === mail.messageId) ? [] : [indexes[i] ?? i + 1],
  );
  if (unsent.length === 0) return undefined;
  const which = unsent.length === 1 ? `template ${unsent[0]}` : `templates ${unsent.join(', ')}`;
  return `the replies for ${which} (of ${mails.length}) were not sent: ${[...new Set(held)].join('; ')}`;
}

function staffRecord(read: ReadSubmission, partly?: string): Problem | undefined {
  const unanswered = read.replyTo ? undefined : (read.noReply ?? 'nobody to answer');
  if (read.refusal) {
    const notes = [
      ...(unanswered ? [`not answered: ${unanswered}`] : []),
      ...(read.staffNote ? [`for staff: ${read.staffNote}`] : []),
    ];
    return notes.length > 0
      ? { ...read.refusal, message: `${read.refusal.message} (${notes.join('; ')})` }
      : read.refusal;
  }
  if (!unanswered) {
    return partly ? problem(NOT_ANSWERED_CODE, `the templates were handled but ${partly}`) : undefined;
  }
  if (read.service) {
    const asked = read.service.kind === 'help' ? 'help' : 'blank forms';
    return problem(NOT_ANSWERED_CODE, `the message asked for ${asked}; no reply was sent: ${unanswered}`);
  }
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
    ...(read.authenticated ? {} : { withoutOriginalText: true }),
    ...(read.refusal ? { refusal: read.refusal } : {}),
    ...(read.service ? { service: read.service } : {}),
    ...(read.dryRun ? { dryRun: true } : {}),
    ...(read.notApplied?.length ? { notApplied: read.notApplied } : {}),
    templates: results.map((r) =>
      toReport(
        read.dryRun ? dryRunResult(r, read.templates.find((t) => t.index === r.index)?.notes) : r,
        total,
      ),
    ),
  };
}

export interface ProcessOptions {
  /** Staff asked for this run: the reply gets its own Message-ID. */
  readonly replyTag?: string;
  /** Staff reprocess a message refused as a whole: its rejection is closed when it passes now. */
  readonly staff?: {
    readonly email: string;
    readonly note: string;
    /** The code the message was refused with before staff asked: refused so again, nobody is written to. */
    readonly refusedBefore?: string;
    /** The reply the sender already has, which this run's answers replace. */
    readonly supersedes?: string | undefined;
  };
  /**
   * A queue job that may be put off once: when its sender check would wait on DNS while other
   * jobs of this process already do, it goes back to the queue (DeferJob) and frees its slot.
   */
  readonly deferrable?: boolean;
}

/** The earlier message that used a DKIM signature first, with its tickets (read only for a replay). */
async function earlierUse(ex: Executor, submissionId: string): Promise<EarlierUse> {
  if (!submissionId) return { submissionId, tickets: [] };
  const rows = await ex
    .select({ number: tables.tickets.number })
    .from(tables.tickets)
    .where(eq(tables.tickets.submissionId, submissionId))
    .orderBy(asc(tables.tickets.templateIndex));
  const [row] = await ex
    .select({ dryRun: tables.submissions.dryRun })
    .from(tables.submissions)
    .where(eq(tables.submissions.id, submissionId));
  return { submissionId, tickets: rows.map((r) => r.number), dryRun: Boolean(row?.dryRun) };
}

/** The results with the notes added to some of them (by template index), as the reply and the stored rows say them. */
export function withNotes(
  results: readonly TemplateResult[],
  notes: ReadonlyMap<number, readonly string[]>,
): TemplateResult[] {
  return results.map((r) => {
    const added = notes.get(r.index);
    return added?.length ? { ...r, notes: [...r.notes, ...added] } : r;
  });
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
  /** Numbers taken ahead for this run (the first one's, with the requester); else its own are taken. */
  numbersAhead: MessageNumbers | undefined,
): Promise<MessageRun | undefined> {
  const submissionId = read.submission.id;
  const templates = !read.refusal && read.requester ? read.templates : [];
  const signatures = templates.length > 0 ? (read.requester?.dkimSignatures ?? []) : [];
  if (read.dryRun !== undefined) return runDryMessage(ctx, read, templates, signatures, savepoints);
  const { tickets, handles: reservedHandles } =
    numbersAhead && numbersAhead.tickets.length === templates.length
      ? numbersAhead
      : await takeMessageNumbers(ctx.db, templates.length, newPocs(templates));
  // What it commits leaves the database after a synchronous commit (the outbox's claim of the
  // reply) has flushed it; a staff run's outcome is shown to staff at once.
  return transactionFlushed(ctx.db, options.staff ? 'at-commit' : 'later', async (tx) => {
    const decided = await inPhase('message: templates applied (rules, registry statements)', () =>
      decideTemplates(tx, read, templates, signatures, {
        tickets,
        reservedHandles,
        savepoints,
        staff: options.staff !== undefined,
      }),
    );
    // Another run of this submission may have finished it meanwhile: it recorded the same
    // results and queued the same reply; doing it again would only add a second whole-message
    // rejection for staff. The row lock makes the two runs take turns.
    if (!decided) return undefined;
    const { judged, results, records } = decided;
    if (judged.answered && judged.templates.length === 0 && !judged.refusal) {
      // A staff reprocess finds it an answer again: staff have it, the sender had its acknowledgement.
      const read = await recordAnswerToUs(ctx, tx, judged, judged.answered, { acknowledge: !options.staff });
      await writeTogether(tx, [doneMark(judged)]);
      return { results: [], read };
    }
    if (judged.answered) await recordLinks(tx, submissionId, judged.answered);
    // A staff reprocess that ends as the message began (refused for the same reason) tells the
    // sender nothing new: no second refusal mail; the console tells staff it is still refused.
    const unchanged =
      options.staff?.refusedBefore !== undefined && judged.refusal?.code === options.staff.refusedBefore;
    const account = mailingAccount(judged, tx);
    // The notices first: the reply says which of them were kept for staff past the account's bound.
    const composeNotices: NoticeComposer = (notices) =>
      ctx.composeNotices(notices, judged.ownAddress, account);
    const heldNotes = await records.composeNotices(composeNotices);
    const told = withNotes(results, heldNotes);
    const answer = unchanged ? undefined : replyRequest(judged, told, judged.templates.length);
    const supersedes = options.staff?.supersedes;
    const reply = answer && supersedes ? { ...answer, supersedes } : answer;
    const mails = reply
      ? await inPhase('message: reply rendered', () => ctx.composeReply(reply, options.replyTag))
      : [];
    const { sent, held } = await inPhase('message: reply limit (redis count)', () =>
      ctx.limitMail(mails, judged.ownAddress, account),
    );
    const answered: ReadSubmission =
      held.length === 0 || sent.length > 0
        ? judged
        : { ...judged, replyTo: undefined, noReply: held.join('; ') };
    const forStaff = staffRecord(
      answered,
      reply && sent.length > 0 ? partlyHeld(reply, mails, sent, held) : undefined,
    );
    if (forStaff) await recordRefusal(tx, answered, forStaff);
    else if (options.staff) await closeWholeMessageRejection(tx, submissionId, options.staff);
    // The records, the notices, the reply and the `done` mark: one statement.
    await inPhase('message: records, reply and done mark written (one statement)', () =>
      records.write(tx, composeNotices, {
        submissionId,
        mails: sent,
        last: doneMark(judged),
      }),
    );
    return { results: told, read: answered };
  });
}

const DONE_COLUMNS = [
  'id',
  'state',
  'processedAt',
  'answerTo',
  'answerTrust',
  'answerWithheld',
  'accountId',
  'apiKeyId',
  'notApplied',
] as const;

/**
 * The `done` mark, with whom the rules answer as decided before the limit (the console's staff
 * answers follow it) and whom the message spoke for (the console's usage per account and key).
 */
function doneMark(read: ReadSubmission): TogetherWrite {
  return updateRows(tables.submissions, 'id', DONE_COLUMNS, [
    {
      id: read.submission.id,
      state: 'done',
      processedAt: new Date(),
      ...answerRecord(read),
      ...speaker(read.requester ?? read.keyHolder),
      notApplied: [...(read.notApplied ?? [])],
    },
  ]);
}

/** Whom the message spoke for, for the console's usage per account and key. */
/** The account whose request the message is, for the bound on mail to addresses outside its own. */
function mailingAccount(read: ReadSubmission, ex: Executor): MailingAccount | undefined {
  const accountId = (read.requester ?? read.keyHolder)?.accountId;
  return accountId === undefined ? undefined : { accountId, ex };
}

function speaker(requester: Requester | undefined): { accountId: number | null; apiKeyId: number | null } {
  return { accountId: requester?.accountId ?? null, apiKeyId: requester?.apiKeyId ?? null };
}

/** What the message's templates did inside a transaction, before anything of them is written. */
interface Decided {
  readonly judged: ReadSubmission;
  readonly results: TemplateResult[];
  readonly records: TemplateRecords;
}

/**
 * Locks the submission (recording its DKIM signatures, see lockSubmission) and runs its
 * templates in the caller's transaction, gathering their records; undefined when another run
 * already finished it. A signature another message already used refuses the whole message.
 */
async function decideTemplates(
  tx: Transaction,
  read: ReadSubmission,
  templates: readonly ParsedTemplate[],
  signatures: readonly string[],
  slots: {
    readonly tickets: readonly string[];
    readonly reservedHandles: HandleReservations | undefined;
    readonly savepoints: boolean;
    readonly staff: boolean;
    readonly dryRun?: DryRunNumbers;
  },
): Promise<Decided | undefined> {
  const submissionId = read.submission.id;
  // The turns of its POC N and ORG N (registry/turns.ts) ride in the lock, not a statement each.
  const turns = read.requester ? turnsAhead(read.requester.accountId, requestsOf(templates)) : undefined;
  const locked = await lockSubmission(tx, submissionId, signatures, turns);
  if (locked.state === 'done' && !slots.staff) return undefined;
  // A replay is refused as a whole, like a sender who cannot be trusted: the ticket and POC
  // numbers taken before are left unused (numbers are unique, not gap-free).
  const judged: ReadSubmission =
    locked.signatureUsedBy === undefined
      ? read
      : {
          ...read,
          refusal: replayedSignature(await earlierUse(tx, locked.signatureUsedBy)),
          requester: undefined,
          // Anyone may send a signed message again with headers of their own (a Reply-To the
          // signature does not cover): only the address the signature vouches for is answered.
          ...repliedAsUnauthenticated(read),
        };
  const records = new TemplateRecords();
  const results: TemplateResult[] = [];
  // The first run's new simple reassignments, in one statement where that decides each as its
  // own would (reassignments-ahead.ts); none stored yet (a staff run finds some).
  const placed =
    judged.requester && !slots.savepoints && !slots.dryRun && locked.stored.size === 0
      ? await inPhase('templates: reassignments placed together (one statement)', () =>
          placeReassignmentsAhead(tx, judged.requester!, templates),
        )
      : undefined;
  for (const [i, template] of (judged.requester ? templates : []).entries()) {
    const placedAhead = placed?.get(template.index);
    results.push(
      await applyTemplate(
        tx,
        {
          submissionId,
          template,
          requester: judged.requester!,
          sender: read.mail?.headers.from?.address,
          ...(slots.dryRun ? { options: { dryRun: slots.dryRun } } : {}),
        },
        {
          previous: locked.stored.get(template.index),
          ticket: slots.dryRun ? DRY_RUN_TICKET : slots.tickets[i],
          ...(slots.reservedHandles ? { reservedHandles: slots.reservedHandles } : {}),
          withoutSavepoint: !slots.savepoints,
          ...(placedAhead ? { placed: placedAhead } : {}),
          turnsHeld: locked.turnsHeld,
        },
        records,
      ),
    );
  }
  return { judged, results, records };
}

/**
 * A dry run (src/worker/dry-run.ts): the templates run in a transaction that is undone, then a
 * second one records what is kept: the reply, the `done` mark with the dry run's mark, and the
 * DKIM signatures that authorized it (a signature authorizes one message: the same signed mail
 * without its dry-run mark must not be applied for real afterwards). No ticket, rejection,
 * notice or submission_templates row: staff see the submission, marked, and its reply.
 */
async function runDryMessage(
  ctx: WorkerContext,
  read: ReadSubmission,
  templates: readonly ParsedTemplate[],
  signatures: readonly string[],
  savepoints: boolean,
): Promise<MessageRun | undefined> {
  const submissionId = read.submission.id;
  let decided: Decided | undefined;
  try {
    await ctx.db.transaction(async (tx) => {
      decided = await decideTemplates(tx, read, templates, signatures, {
        tickets: [],
        reservedHandles: undefined,
        savepoints,
        staff: false,
        dryRun: dryRunNumbers(),
      });
      throw new DryRunUndo();
    });
  } catch (error) {
    if (!(error instanceof DryRunUndo)) throw error;
  }
  if (!decided) return undefined;
  const { judged, results } = decided;
  return ctx.db.transaction(async (tx) => {
    const locked = await lockSubmission(tx, submissionId, judged.requester ? signatures : []);
    if (locked.state === 'done') return undefined;
    const reply = replyRequest(judged, results, judged.templates.length);
    const mails = reply ? await ctx.composeReply(reply) : [];
    const { sent, held } = await ctx.limitMail(mails, judged.ownAddress, mailingAccount(judged, tx));
    const answered: ReadSubmission =
      held.length === 0 || sent.length > 0
        ? judged
        : { ...judged, replyTo: undefined, noReply: held.join('; ') };
    await writeTogether(tx, [
      outboxWrite(sent, submissionId),
      updateRows(tables.submissions, 'id', DRY_RUN_DONE_COLUMNS, [
        {
          id: submissionId,
          state: 'done',
          processedAt: new Date(),
          ...answerRecord(judged),
          ...speaker(judged.requester ?? judged.keyHolder),
          notApplied: [...(judged.notApplied ?? [])],
          dryRun: read.dryRun ?? 'dry run',
          refusalCode: judged.refusal?.code ?? null,
          refusalMessage: judged.refusal?.message ?? null,
        },
      ]),
    ]);
    return { results, read: answered };
  });
}

/** A dry run's mark, and its refusal (a dry run leaves no rejection row to say it). */
const DRY_RUN_DONE_COLUMNS = [...DONE_COLUMNS, 'dryRun', 'refusalCode', 'refusalMessage'] as const;

/** The addressing of a message no longer trusted: its proven address alone, nothing quoted. */
function repliedAsUnauthenticated(read: ReadSubmission): Addressing {
  const replyTo = read.authenticated ? read.ownAddress : read.replyTo;
  return replyTo
    ? { replyTo, authenticated: false }
    : { replyTo: undefined, noReply: read.noReply ?? 'unverified sender', authenticated: false };
}

/** The requests of the templates that parsed. */
function requestsOf(templates: readonly ParsedTemplate[]): TemplateRequest[] {
  return templates.flatMap((t) => (t.result.ok ? [t.result.value] : []));
}

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
  const submission = await inPhase('message: submission read (one SELECT)', () =>
    loadSubmission(ctx.db, submissionId),
  );
  if (!submission) {
    ctx.logger.warn({ submissionId }, 'job for a submission that does not exist');
    return;
  }
  if (submission.state === 'done') return;
  const read = await inPhase('message: requester and numbers, addressing (auth)', () =>
    readSubmission(ctx, submission, {
      deferrable: options.deferrable ?? false,
      takeNumbers: true,
    }),
  );
  // A reply to a validation mail (or its bounce) is an answer, not a message without a template.
  // A dry run validates and flags nothing: it goes the dry run's way (a message without a template).
  if (
    !options.staff &&
    read.dryRun === undefined &&
    (await inPhase('message: validation answer checked', () => handleValidationMail(ctx, read)))
  ) {
    return;
  }
  let run: MessageRun | undefined;
  // First without a savepoint per template where an operation cannot leave half a change behind
  // (it refuses only before writing); if anything fails, the transaction is undone and the
  // message runs again with savepoints, where a failed operation is undone alone.
  let savepoints = false;
  // Deadlocks are counted on their own: the one run again with savepoints is not a deadlock
  // retry, and counting it with them would leave a message so re-run one deadlock retry fewer.
  let deadlocks = 0;
  // A run undone hands its reserved handles out no more: a run again takes its own numbers.
  let numbersAhead = read.numbers;
  for (;;) {
    try {
      const numbers = numbersAhead;
      numbersAhead = undefined;
      run = await inPhase('message: transaction (begin, lock, commit)', () =>
        runMessage(ctx, read, options, savepoints, numbers),
      );
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
  // A dry run handled nothing: the counts are of what the registry did.
  if (!run.read.dryRun) {
    for (const result of results) ctx.metrics?.templateHandled(result.form, result.outcome);
  }
  // One line a message, its templates inside: a line per template cost as much as the rest of
  // the message's logging together (pino's serialising and a write each; docs/operations.md).
  ctx.logger.info(
    {
      submissionId,
      templates: results.length,
      handled: results.map((r) => ({ template: r.index, ticket: r.ticket, outcome: r.outcome })),
      refusal: run.read.refusal?.code,
      replied: Boolean(run.read.replyTo),
    },
    'submission processed',
  );
  ctx.afterCommit();
}

/** The Not-applied line for a validation answer beside templates, naming the POCs it was about. */
async function validationNotRead(ctx: WorkerContext, mail: ExtractedMail): Promise<Problem> {
  const threading = [mail.headers.inReplyTo ?? '', ...mail.headers.references].join(' ');
  const handles = await pocsNamedBy(
    ctx.db,
    findValidationTokens(mail.text),
    validationMessageIdsIn(threading),
  );
  const about = handles.length > 0 ? ` for POC ${handles.join(', ')}` : '';
  return problem(
    'E_VALIDATION_NOT_READ',
    `the validation answer in this message${about} (CORRECT or a Validation-Token line) was not read: a message with templates is processed as templates, and nothing is validated by its words${about ? `; POC ${handles.join(', ')} stays unvalidated` : ''}. To validate, reply to the validation mail with CORRECT alone; a POC template M applied for the POC validates it too`,
  );
}
