/**
 * Whom a submission's answer goes to, if anyone. Two questions, in order:
 *
 * 1. May this mail be answered at all (the loop rules, src/replies/loop-rules.ts): not a bounce,
 *    an auto-reply, a list, ourselves, an address nobody reads. Read from the stored header
 *    block alone, so it holds even when the body cannot be read.
 * 2. Did the sender prove who they are? A forged From or Reply-To naming a victim must not make
 *    us mail the victim (backscatter). Authenticated mail is answered as the sender asked
 *    (Reply-To, else From): a valid API key whose account lists the From address, or a From
 *    verified by DKIM or SPF alignment (which is also how a sender is trusted without a key), or,
 *    with SENDER_AUTH=any, a From address an account lists.
 *    Anything else is answered only at an address that itself passed: From when aligned, or an
 *    envelope sender whose domain's SPF passed; never Reply-To, and with nothing of the
 *    sender's text quoted back. With no such address nobody is answered, and staff see why.
 *
 * DNS is asked only when the answer depends on it: a keyed message whose From is its account's
 * address never waits on DNS.
 */
import { eq } from 'drizzle-orm';
import type { Requester, SenderVerdict } from '../auth/index.ts';
import { type AnswerTrust, type Submission, tables } from '../db/index.ts';
import { headerBlock, headerFields, readReplyHeaders } from '../mail/index.ts';
import {
  addressesIn,
  type ReplyDecision,
  sameAddress,
  shouldReply,
  whyNotAnswerable,
} from '../replies/index.ts';
import type { WorkerContext } from './context.ts';

export interface Addressing {
  /** Who to answer, or undefined when we must not. */
  readonly replyTo: string | undefined;
  /** Why nobody is answered, when replyTo is undefined: staff see it, since the sender will not. */
  readonly noReply?: string;
  /** The sender proved who they are: Reply-To is honoured and their text may be quoted back. */
  readonly authenticated: boolean;
  /** The requester's own proven address: answers to it do not count against the per-recipient limit. */
  readonly ownAddress?: string;
}

/** The sender's DKIM/SPF verdict, asked for only when needed and then once (see verdictOnce). */
export type SenderCheck = () => Promise<SenderVerdict>;

/** A check run at most once, however often it is asked for. */
export function verdictOnce(check: SenderCheck): SenderCheck {
  let verdict: Promise<SenderVerdict> | undefined;
  return () => {
    verdict ??= check();
    return verdict;
  };
}

/** The loop rules on the stored envelope and header block (see the file comment). */
export function replyDecision(ctx: WorkerContext, submission: Submission): ReplyDecision {
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

/**
 * The single From address of the stored head, lower-cased; undefined when the head has several
 * From fields or addresses (whoever reads the first may not be whom a key or signature vouched
 * for, so such a From is never taken as proven).
 */
function fromAddressOf(submission: Submission): string | undefined {
  const fields = headerFields(headerBlock(submission.raw)).get('from') ?? [];
  const addresses = new Set(fields.flatMap((value) => addressesIn(value)).map((a) => a.trim().toLowerCase()));
  if (fields.length === 0) return submission.fromAddress?.trim().toLowerCase() || undefined;
  return addresses.size === 1 ? [...addresses][0] : undefined;
}

/** The From address, when the requester is proven to be its owner; else undefined. */
async function provenFrom(
  requester: Requester | undefined,
  from: string | undefined,
  senderCheck: SenderCheck,
): Promise<string | undefined> {
  if (!requester || !from) return undefined;
  // Trusted by its sender address: identifyRequester already held it to the verdict (or to
  // SENDER_AUTH=any, the operator's word that addresses are enough).
  if (requester.via === 'sender') return requester.display === from ? from : undefined;
  if (requester.fromIsAccountAddress) return from;
  const verdict = await senderCheck();
  return verdict.aligned && verdict.fromAddress === from ? from : undefined;
}

/**
 * With SENDER_AUTH=any the operator took a registered From address at its word: it authorizes
 * templates without a key, so it is proof enough of whom to answer. A message whose requester
 * was not identified (no template, an unreadable body, refused before it was read for one) is
 * answered at it as asked, as its templates would have been; an address no account lists is not.
 */
async function takenAtItsWord(
  ctx: WorkerContext,
  requester: Requester | undefined,
  from: string | undefined,
): Promise<boolean> {
  if (ctx.config.senderAuth !== 'any' || requester || !from) return false;
  const e = tables.accountEmails;
  const [listed] = await ctx.db.select({ accountId: e.accountId }).from(e).where(eq(e.email, from)).limit(1);
  return listed !== undefined;
}

/** An address the verdict vouches for: From aligned by DKIM or SPF, else an SPF-passing envelope sender. */
function verifiedAddress(verdict: SenderVerdict, submission: Submission): string | undefined {
  if (verdict.aligned && verdict.fromAddress) return verdict.fromAddress;
  const envelope = submission.via === 'smtp' ? submission.envelopeFrom.trim().toLowerCase() : '';
  const domain = envelope.slice(envelope.lastIndexOf('@') + 1);
  if (envelope.includes('@') && verdict.spf.result === 'pass' && verdict.spf.domain === domain)
    return envelope;
  return undefined;
}

export async function whomToAnswer(
  ctx: WorkerContext,
  submission: Submission,
  requester: Requester | undefined,
  senderCheck: SenderCheck,
): Promise<Addressing> {
  const decision = replyDecision(ctx, submission);
  if (!decision.reply) return { replyTo: undefined, noReply: decision.explanation, authenticated: false };
  const from = fromAddressOf(submission);
  const own = await provenFrom(requester, from, senderCheck);
  if (own) return { replyTo: decision.to, authenticated: true, ownAddress: own };
  // Answered as asked, but counted against the per-recipient limit like any mail that answers no
  // request of an account: a responder at a registered address that answers each of our refusals
  // with a new message holding no template would otherwise get one refusal after another.
  if (await takenAtItsWord(ctx, requester, from)) return { replyTo: decision.to, authenticated: true };

  const verdict = await senderCheck();
  const verified = verifiedAddress(verdict, submission);
  if (!verified) {
    return { replyTo: undefined, noReply: `unverified sender (${verdict.summary})`, authenticated: false };
  }
  // The loop rules looked at every sender address; this one must also be one someone reads.
  const unreadable = whyNotAnswerable(verified);
  if (unreadable) return { replyTo: undefined, noReply: unreadable.explanation, authenticated: false };
  if (ctx.ourAddresses.some((ours) => sameAddress(ours, verified))) {
    return { replyTo: undefined, noReply: `${verified} is our own address`, authenticated: false };
  }
  return { replyTo: verified, authenticated: false };
}

/** What the submission row keeps of an addressing, for the console's staff answers. */
export interface AnswerRecord {
  readonly answerTo: string | null;
  readonly answerTrust: AnswerTrust;
  readonly answerWithheld: string | null;
}

/**
 * The addressing as the rules decided it, before the per-recipient limit: a reply the limit held
 * this hour still has a verified address, which a staff answer may use later (and is counted too).
 */
export function answerRecord(addressing: Addressing): AnswerRecord {
  if (!addressing.replyTo) {
    return {
      answerTo: null,
      answerTrust: 'none',
      answerWithheld: addressing.noReply ?? 'nobody to answer',
    };
  }
  return {
    answerTo: addressing.replyTo,
    answerTrust: addressing.authenticated ? 'authenticated' : 'verified',
    answerWithheld: null,
  };
}
