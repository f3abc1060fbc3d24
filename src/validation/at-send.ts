/**
 * A paced validation mail is written at the round but sent hours later (VALIDATION_MAILS_PER_HOUR):
 * when the outbox is about to send it, it is written again from the record as it is then. A POC
 * validated, removed or expired meanwhile gets no mail (nothing to ask); one whose addresses
 * changed is asked at its new addresses, never at one its holder removed; its details are
 * shown as they now stand. The token and Message-ID stay the round's; the answer period is
 * counted from the day the mail goes out, never shortened (a POC mailed days after its round, at
 * the end of a long paced round or after a relay outage, still has its full 60 days).
 */
import { eq } from 'drizzle-orm';
import type { Config } from '../config/index.ts';
import { type Database, tables } from '../db/index.ts';
import { recordBounce } from './answers.ts';
import { composeValidationMail, type PocRecord } from './mail.ts';
import { servedBy } from './round.ts';
import { deadlineFor, reachableAddresses } from './rules.ts';

/** What this file reads of a mail the outbox is about to send (its ClaimedMail). */
interface OutgoingMail {
  readonly id: string;
  readonly messageId: string;
  readonly raw: string;
  readonly recipients: readonly string[];
  readonly toReach: readonly string[];
  readonly settled: Readonly<Record<string, unknown>>;
}

/** The mail to send now, or why none is sent. */
export type AtSend<M extends OutgoingMail> = { readonly send: M } | { readonly drop: string };

const TOKEN = /^Validation-Token: (VT-[A-Z2-7]{26})\r?$/m;

export async function validationMailAtSend<M extends OutgoingMail>(
  db: Database,
  config: Config,
  mail: M,
): Promise<AtSend<M>> {
  if (!mail.messageId.startsWith('<validation.')) return { send: mail };
  return db.transaction(async (tx) => {
    const { pocValidations, pocs, outbox } = tables;
    const [request] = await tx
      .select()
      .from(pocValidations)
      .where(eq(pocValidations.messageId, mail.messageId));
    // Its request gone with the POC (a removal cascades): nobody to ask.
    if (!request) return { drop: 'its POC was removed since the round' };
    const token = TOKEN.exec(mail.raw)?.[1];
    if (!token) return { send: mail };
    if (request.state !== 'pending') {
      return {
        drop: `POC ${request.pocHandle} is ${request.state} since the round (${request.answeredBy ?? 'deadline'}); nothing to ask`,
      };
    }
    const [poc] = await tx.select().from(pocs).where(eq(pocs.handle, request.pocHandle));
    if (!poc) return { drop: `POC ${request.pocHandle} was removed since the round` };
    const recipients = reachableAddresses(poc.emails);
    if (recipients.length === 0) return { drop: `POC ${request.pocHandle} has no address left to write to` };
    const now = new Date();
    const fromNow = deadlineFor(now);
    const deadline = fromNow > request.deadline ? fromNow : request.deadline;
    if (deadline !== request.deadline) {
      await tx.update(pocValidations).set({ sentAt: now, deadline }).where(eq(pocValidations.id, request.id));
    }
    const raw = composeValidationMail({
      poc: poc as PocRecord,
      served: await servedBy(tx, poc.handle),
      round: request.round,
      deadline,
      token,
      messageId: request.messageId,
      recipients,
      ...(config.public.url ? { publicUrl: config.public.url } : {}),
      from: config.replies.from,
      date: new Date(),
    });
    const same =
      recipients.length === request.recipients.length &&
      recipients.every((r) => request.recipients.includes(r));
    if (!same) {
      // The request names whom it asked: an answer from the new address is the POC's own.
      await tx.update(pocValidations).set({ recipients }).where(eq(pocValidations.id, request.id));
    }
    await tx
      .update(outbox)
      .set({ recipients, raw })
      .where(eq(outbox.id, Number(mail.id)));
    return {
      send: {
        ...mail,
        raw,
        recipients,
        toReach: recipients.filter((address) => !Object.hasOwn(mail.settled, address)),
      },
    };
  });
}

/**
 * Recipients of a validation mail our relay refused for good (or never took before the attempts
 * ran out): the same hard bounce a delivery report brings, learned sooner. Each is flagged on
 * the POC; with none left, the POC is invalid at once.
 */
export async function validationMailFailed(db: Database, mail: OutgoingMail, addresses: readonly string[]) {
  if (!mail.messageId.startsWith('<validation.')) return [];
  return db.transaction((tx) =>
    recordBounce(
      tx,
      { kind: 'bounce', messageIds: [mail.messageId], failed: addresses.map((a) => a.toLowerCase()) },
      { how: 'refused by our relay' },
    ),
  );
}
