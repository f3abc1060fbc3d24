/**
 * Another delivery of the message a staff reprocess would run again. A copy refused unverified
 * (its SMTP client not in the sender's SPF) does not stand for the message: the sender's own
 * delivery of it, arriving later, is stored beside it and processed (src/mail's decideDelivery).
 * Reprocessed after that one was applied, the copy (now passing, say, once the SPF record names
 * its client) would apply the request a second time and answer it twice.
 */
import { and, asc, eq, ne } from 'drizzle-orm';
import { type Executor, type Submission, tables } from '../db/index.ts';
import {
  deliveriesOf,
  deliveryDigest,
  envelopeDryRunAddress,
  standsForTheMessage,
  undecidedDelivery,
} from '../mail/index.ts';
import { type Problem, problem } from '../shared/index.ts';

/**
 * Why this submission must not be run again: another delivery of its message was processed (or
 * is being processed); undefined when there is none.
 */
export async function deliveredAgain(
  ex: Executor,
  submission: Pick<Submission, 'id' | 'raw' | 'messageId' | 'envelopeTo'>,
  dryRunAddresses: readonly string[],
): Promise<Problem | undefined> {
  const s = tables.submissions;
  const others = await ex
    .select({
      id: s.id,
      state: s.state,
      deliverySha256: s.deliverySha256,
      refusalCode: s.refusalCode,
      answerTrust: s.answerTrust,
      remoteAddress: s.remoteAddress,
      heloName: s.heloName,
      envelopeFrom: s.envelopeFrom,
    })
    .from(s)
    .where(and(eq(s.messageId, submission.messageId), ne(s.id, submission.id)))
    .orderBy(asc(s.receivedAt));
  if (others.length === 0) return undefined;
  // The key its first delivery had: a dry run by envelope is another message than a real run.
  const sentToDryRun = envelopeDryRunAddress(submission.envelopeTo, dryRunAddresses) !== undefined;
  const twins = deliveriesOf(deliveryDigest(submission.raw, { sentToDryRun }), others);
  const processed = twins.find(standsForTheMessage);
  if (processed) {
    return problem(
      'E_DELIVERED_AGAIN',
      `this message was delivered again as submission ${processed.id}, which was processed: run again, its request would be applied a second time and its sender answered twice; look at ${processed.id}, and dismiss this rejection`,
    );
  }
  const running = twins.find(undecidedDelivery);
  if (running) {
    return problem(
      'E_DELIVERED_AGAIN',
      `this message was delivered again as submission ${running.id}, which is still being processed: reprocessing this copy now could apply its request twice; look at ${running.id} once it is done`,
    );
  }
  return undefined;
}
