/**
 * What an answer does to the registry: a validation reply or the public page's button validates
 * the POC its token (or the validation mail it names) belongs to, once, before the answer period
 * ends; a delivery report flags the addresses that bounced; a POC template applied, or staff,
 * validate a POC whatever round it is in. Each runs on the caller's transaction.
 */
import { and, desc, eq, inArray, or, sql } from 'drizzle-orm';
import { type Executor, tables, type ValidationAnswerKind } from '../db/index.ts';
import { mailboxKey } from '../replies/index.ts';
import { type Problem, problem } from '../shared/index.ts';
import type { ValidationMail } from './recognise.ts';
import { addDays, VALIDITY_DAYS } from './rules.ts';
import { tokenDigest } from './token.ts';

type Request = typeof tables.pocValidations.$inferSelect;

export type AnswerVerdict =
  | {
      readonly ok: true;
      readonly handle: string;
      readonly validUntil: Date;
      /** The POC's addresses: the answer may go to one of them. */
      readonly pocEmails: readonly string[];
      readonly messageId: string;
      /** Validated before this answer, by a POC template or staff: the answer changed nothing. */
      readonly alreadyValid?: true;
    }
  | {
      readonly ok: false;
      readonly problem: Problem;
      readonly handle?: string;
      readonly pocEmails?: readonly string[];
    };

async function pocRecord(
  ex: Executor,
  handle: string,
): Promise<{ readonly emails: string[]; readonly validatedAt: Date | null }> {
  const [row] = await ex
    .select({ emails: tables.pocs.emails, validatedAt: tables.pocs.validatedAt })
    .from(tables.pocs)
    .where(eq(tables.pocs.handle, handle));
  return { emails: row?.emails ?? [], validatedAt: row?.validatedAt ?? null };
}

/**
 * A request answered by something other than its token: a POC template M applied (which
 * validates the POC whatever round it is in) or staff. Its token was never used, so an answer
 * with it is not a second use of the token.
 */
function validatedOtherwise(request: Request): boolean {
  return (
    request.state === 'validated' && (request.answeredBy === 'template' || request.answeredBy === 'staff')
  );
}

const day = (date: Date | null | undefined) => date?.toISOString().slice(0, 10) ?? 'earlier';

/** Whether the request may still be answered now; the problem when it may not. */
function stillOpen(request: Request, now: Date): Problem | undefined {
  if (validatedOtherwise(request)) {
    const by = request.answeredBy === 'template' ? 'a POC template (action M) applied' : 'hostmaster staff';
    return problem(
      'E_VALIDATION_USED',
      `POC ${request.pocHandle} was already validated by ${by} on ${day(request.answeredAt)}, before this answer; nothing more is needed`,
    );
  }
  if (request.state === 'validated') {
    return problem(
      'E_VALIDATION_USED',
      `POC ${request.pocHandle} was already validated with this validation mail (${day(request.answeredAt)}); its token works once. Nothing more is needed`,
    );
  }
  if (request.state === 'expired' || request.deadline <= now) {
    return problem(
      'E_VALIDATION_EXPIRED',
      `the answer period of this validation mail for POC ${request.pocHandle} ended on ${request.deadline.toISOString().slice(0, 10)}; send a POC template (ARIN-POC, action M) for ${request.pocHandle} with its correct details, which is applied and validates it`,
    );
  }
  return undefined;
}

/** Who wrote the answer, as far as the worker proved it. */
export interface AnswerSender {
  /** The From address (unproven under SENDER_AUTH=any, but where our mail went when it is the POC's). */
  readonly from?: string | undefined;
  /** The account a key or a verified sender proved, if any. */
  readonly accountId?: number | undefined;
  /** The sender's address as DKIM or SPF verified it (never a From taken at its word), if any. */
  readonly verified?: string | undefined;
}

/**
 * The requests an answer names: every one whose token it quotes, and the one its threading
 * names (In-Reply-To/References) when that POC is not already named by a token. Several
 * tokens in one answer (a person who is the contact of several POCs) are each answered.
 */
async function requestsNamed(
  ex: Executor,
  tokens: readonly string[],
  messageIds: readonly string[],
): Promise<{ readonly named: { request: Request; byToken: boolean }[]; readonly unknownTokens: number }> {
  const { pocValidations } = tables;
  const digests = [...new Set(tokens.map(tokenDigest))];
  const conditions = [
    ...(digests.length > 0 ? [inArray(pocValidations.tokenDigest, digests)] : []),
    ...(messageIds.length > 0 ? [inArray(pocValidations.messageId, [...messageIds])] : []),
  ];
  if (conditions.length === 0) return { named: [], unknownTokens: 0 };
  const rows = await ex
    .select()
    .from(pocValidations)
    .where(or(...conditions))
    .orderBy(desc(pocValidations.sentAt))
    .for('update');
  const byToken = rows.filter((r) => digests.includes(r.tokenDigest));
  const named = byToken.map((request) => ({ request, byToken: true }));
  const threaded = rows.find((r) => !digests.includes(r.tokenDigest));
  if (threaded && !named.some((n) => n.request.pocHandle === threaded.pocHandle)) {
    named.push({ request: threaded, byToken: false });
  }
  return { named, unknownTokens: digests.length - new Set(byToken.map((r) => r.tokenDigest)).size };
}

/**
 * Whether the sender may answer for the POC without its token: the validation mail's Message-ID
 * travels in every later mail of the thread (a colleague cc'd, a ticket system, an archive), so
 * naming it proves nothing unless the answer comes from one of the POC's addresses or from an
 * account proven to be linked to the POC.
 */
async function mayAnswerByThread(
  ex: Executor,
  handle: string,
  emails: readonly string[],
  sender: AnswerSender,
) {
  const from = sender.from?.toLowerCase();
  if (from && emails.some((e) => e.toLowerCase() === from)) return true;
  if (sender.accountId === undefined) return false;
  const [link] = await ex
    .select({ handle: tables.accountPocs.pocHandle })
    .from(tables.accountPocs)
    .where(and(eq(tables.accountPocs.accountId, sender.accountId), eq(tables.accountPocs.pocHandle, handle)));
  return link !== undefined;
}

/**
 * A reply to a validation mail: one verdict for each POC it names (see requestsNamed), the one
 * its threading names last. Empty when it names no validation we know and quotes no token (a
 * stray reference: the worker handles the mail as any other).
 */
export async function answerByMail(
  tx: Executor,
  mail: Extract<ValidationMail, { kind: 'answer' }>,
  where: { readonly submissionId: string; readonly now: Date; readonly sender?: AnswerSender },
): Promise<AnswerVerdict[]> {
  const { named, unknownTokens } = await requestsNamed(tx, mail.tokens, mail.messageIds);
  const verdicts: AnswerVerdict[] = [];
  for (const { request, byToken } of named) {
    verdicts.push(await answerOne(tx, mail, request, byToken, where));
  }
  if (unknownTokens > 0 && (verdicts.length > 0 || mail.tokens.length > 0)) {
    verdicts.push({
      ok: false,
      problem: problem(
        'E_VALIDATION_UNKNOWN',
        `${unknownTokens === 1 ? 'a validation token' : `${unknownTokens} validation tokens`} in your message ${unknownTokens === 1 ? 'is' : 'are'} not one we issued (mistyped, or from another registry); reply to the validation mail itself, keeping its Validation-Token line`,
      ),
    });
  }
  return verdicts;
}

async function answerOne(
  tx: Executor,
  mail: Extract<ValidationMail, { kind: 'answer' }>,
  request: Request,
  byToken: boolean,
  where: { readonly submissionId: string; readonly now: Date; readonly sender?: AnswerSender },
): Promise<AnswerVerdict> {
  const poc = await pocRecord(tx, request.pocHandle);
  const emails = poc.emails;
  if (!byToken && !(await mayAnswerByThread(tx, request.pocHandle, emails, where.sender ?? {}))) {
    return {
      ok: false,
      handle: request.pocHandle,
      pocEmails: emails,
      problem: problem(
        'E_VALIDATION_TOKEN_NEEDED',
        `this answer names the validation mail of POC ${request.pocHandle} but not its token, and does not come from one of the POC's addresses; it is not validated. Reply from the address our mail went to, or keep the mail's Validation-Token line in your answer`,
      ),
    };
  }
  if (validatedOtherwise(request) && mail.affirms) {
    // Already validated by a POC template or staff, and the answer says the record is right:
    // what the contact asked for is so. Answered as validated, until when it stands; nothing written.
    const validUntil = addDays(poc.validatedAt ?? request.answeredAt ?? where.now, VALIDITY_DAYS);
    return {
      ok: true,
      handle: request.pocHandle,
      validUntil,
      pocEmails: emails,
      messageId: request.messageId,
      alreadyValid: true,
    };
  }
  const closed = stillOpen(request, where.now);
  // Past its period or already used, an answer that says more than CORRECT ("I left, write to
  // Jane") is still words for staff: it goes where they decide, not lost under a code that only
  // says the token is spent.
  if (closed && !mail.affirms) {
    return {
      ok: false,
      handle: request.pocHandle,
      pocEmails: emails,
      problem: problem(
        'E_VALIDATION_UNCLEAR',
        `your answer is not a plain confirmation that the record of POC ${request.pocHandle} is correct (it says something more, asks something or reports a change); hostmaster staff will read it. Besides: ${closed.message}`,
      ),
    };
  }
  if (closed) return { ok: false, problem: closed, handle: request.pocHandle, pocEmails: emails };
  if (!mail.affirms) {
    return {
      ok: false,
      handle: request.pocHandle,
      pocEmails: emails,
      problem: problem(
        'E_VALIDATION_UNCLEAR',
        `your answer is not a plain confirmation that the record of POC ${request.pocHandle} is correct (it says something more, asks something or reports a change), so it is not validated; hostmaster staff will read it. If the record is correct as it stands, reply to the validation mail with CORRECT alone on a line of its own; if something changed, send a POC template (ARIN-POC, action M) with the correct details`,
      ),
    };
  }
  const answeredFrom = recipientProven(request.recipients, where.sender?.verified);
  const validUntil = await validatePoc(tx, request.pocHandle, {
    via: 'mail',
    actor: 'system',
    now: where.now,
    submissionId: where.submissionId,
    requestId: request.id,
    ...(answeredFrom ? { answeredFrom } : {}),
  });
  return { ok: true, handle: request.pocHandle, validUntil, pocEmails: emails, messageId: request.messageId };
}

/**
 * Which recipient of a validation mail an answer proves read it: its sender, when DKIM or SPF
 * verified the address and the mail went to it. The token proves only that one of the recipients
 * (or someone they passed the mail on to) read it, not which one: a From anyone may write, or a
 * verified address the mail never went to, proves no recipient's mailbox.
 */
function recipientProven(recipients: readonly string[], verified: string | undefined): string | undefined {
  if (!verified) return undefined;
  const key = mailboxKey(verified);
  return recipients.find((r) => mailboxKey(r) === key);
}

/** The public page: what a token is for (GET shows it) before anyone presses the button. */
export async function requestForToken(
  ex: Executor,
  token: string,
  now: Date,
): Promise<{ ok: true; handle: string } | { ok: false; problem: Problem }> {
  const [request] = await ex
    .select()
    .from(tables.pocValidations)
    .where(eq(tables.pocValidations.tokenDigest, tokenDigest(token)));
  if (!request) {
    return {
      ok: false,
      problem: problem(
        'E_VALIDATION_UNKNOWN',
        'this validation link is not one we know: check that it was copied whole; if it was, the POC it was for has been removed since, and nothing is left to validate',
      ),
    };
  }
  const closed = stillOpen(request, now);
  return closed ? { ok: false, problem: closed } : { ok: true, handle: request.pocHandle };
}

/** The public page's button: validates once, like a reply saying CORRECT. */
export async function answerByToken(tx: Executor, token: string, now: Date): Promise<AnswerVerdict> {
  const [found] = (await requestsNamed(tx, [token], [])).named;
  if (!found) {
    return {
      ok: false,
      problem: problem(
        'E_VALIDATION_UNKNOWN',
        'this validation link is not one we know: check that it was copied whole; if it was, the POC it was for has been removed since, and nothing is left to validate',
      ),
    };
  }
  const { request } = found;
  const closed = stillOpen(request, now);
  if (closed) return { ok: false, problem: closed, handle: request.pocHandle };
  const validUntil = await validatePoc(tx, request.pocHandle, {
    via: 'web',
    actor: 'system',
    now,
    requestId: request.id,
  });
  return { ok: true, handle: request.pocHandle, validUntil, pocEmails: [], messageId: request.messageId };
}

export interface Validation {
  readonly via: ValidationAnswerKind;
  /** For the audit log: `system`, `account:12`, `staff:alice@registry.example`. */
  readonly actor: string;
  readonly now: Date;
  readonly submissionId?: string;
  readonly ticketNumber?: string;
  /** The request answered; absent: every open request of the POC is answered by this. */
  readonly requestId?: number;
  /** The recipient of the validation mail the answer came from, verified (see recipientProven). */
  readonly answeredFrom?: string;
  readonly note?: string;
}

/**
 * Marks the POC validated now: valid, its flagged addresses cleared (its record was just
 * confirmed or corrected), its open requests answered, one audit row. Returns when it is due again.
 */
export async function validatePoc(ex: Executor, handle: string, v: Validation): Promise<Date> {
  const { pocs, pocValidations } = tables;
  await ex
    .update(pocs)
    .set({ validationState: 'valid', validatedAt: v.now, invalidEmails: sql`'{}'::text[]` })
    .where(eq(pocs.handle, handle));
  await ex
    .update(pocValidations)
    .set({
      state: 'validated',
      answeredAt: v.now,
      answeredBy: v.via,
      answerSubmissionId: v.submissionId ?? null,
      answeredFrom: v.answeredFrom ?? null,
    })
    .where(
      and(
        eq(pocValidations.pocHandle, handle),
        inArray(pocValidations.state, ['pending', 'bounced']),
        ...(v.requestId === undefined ? [] : [eq(pocValidations.id, v.requestId)]),
      ),
    );
  await ex.insert(tables.auditLog).values({
    actor: v.actor,
    action: 'poc.validated',
    objectType: 'poc',
    objectHandle: handle,
    ticketNumber: v.ticketNumber ?? null,
    submissionId: v.submissionId ?? null,
    after: { via: v.via },
    note: v.note ?? null,
  });
  return addDays(v.now, VALIDITY_DAYS);
}

export interface BounceVerdict {
  readonly handle: string;
  /** The POC's addresses the report flagged now. */
  readonly flagged: readonly string[];
  /** Every address of the POC is flagged: the POC is invalid at once. */
  readonly invalid: boolean;
}

/**
 * A delivery report for a validation mail: each address it says failed for good, if it is one of
 * that POC's, is flagged invalid at once; with none left, the POC is invalid too.
 */
export async function recordBounce(
  tx: Executor,
  mail: Extract<ValidationMail, { kind: 'bounce' }>,
  where: { readonly submissionId?: string; readonly how?: string },
): Promise<BounceVerdict[]> {
  const { pocValidations, pocs } = tables;
  const requests = await tx
    .select()
    .from(pocValidations)
    .where(inArray(pocValidations.messageId, [...mail.messageIds]));
  const verdicts: BounceVerdict[] = [];
  for (const request of requests) {
    const [poc] = await tx.select().from(pocs).where(eq(pocs.handle, request.pocHandle)).for('update');
    if (!poc) continue;
    const failed = new Set(mail.failed);
    const flagged = poc.emails.filter((e) => failed.has(e.toLowerCase()) && !poc.invalidEmails.includes(e));
    if (flagged.length === 0) continue;
    const allFlagged = [...poc.invalidEmails, ...flagged];
    const invalid = poc.emails.every((e) => allFlagged.includes(e));
    await tx
      .update(pocs)
      .set({ invalidEmails: allFlagged, ...(invalid ? { validationState: 'invalid' as const } : {}) })
      .where(eq(pocs.handle, poc.handle));
    if (invalid && request.state === 'pending') {
      await tx.update(pocValidations).set({ state: 'bounced' }).where(eq(pocValidations.id, request.id));
    }
    await tx.insert(tables.auditLog).values({
      actor: 'system',
      action: invalid ? 'poc.invalidated' : 'poc.address-invalid',
      objectType: 'poc',
      objectHandle: poc.handle,
      submissionId: where.submissionId ?? null,
      after: { invalidEmails: allFlagged },
      note: `validation mail ${where.how ?? 'bounced'} for ${flagged.join(', ')}`,
    });
    verdicts.push({ handle: poc.handle, flagged, invalid });
  }
  return verdicts;
}

/**
 * The POCs a message names as a validation answer (its tokens, the validation mails its
 * threading names), for a reply that must say which answer it did not read.
 */
export async function pocsNamedBy(ex: Executor, tokens: readonly string[], messageIds: readonly string[]) {
  const { named } = await requestsNamed(ex, tokens, messageIds);
  return [...new Set(named.map((n) => n.request.pocHandle))].sort();
}
