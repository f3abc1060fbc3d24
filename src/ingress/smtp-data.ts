/**
 * The SMTP DATA phase: the message is received within its size, pace and memory limits, checked
 * and counted against its senders, then stored and queued; `250 2.0.0 Accepted as <id>` only once
 * both are durable.
 */
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { clientKey } from '../ip/index.ts';
import { readMessageHead } from '../mail/index.ts';
import { acceptMessage, isTemporary } from './accept.ts';
import { DataGate } from './data-gate.ts';
import { receiveMessage } from './data-receiver.ts';
import type { ReceivedMessage } from './message-buffer.ts';
import { answerFor, reply, TRY_AGAIN } from './smtp-answers.ts';
import { countRefusal, guarded, type SmtpCallback, type SmtpPhaseContext } from './smtp-phase.ts';
import type { Envelope } from './store.ts';

/** Up to this size a message is received without waiting for one of the places for large messages. */
const SMALL_MESSAGE_BYTES = 256 * 1024;
/** From this size on a message is written to the database in turn with other large ones. */
const LARGE_MESSAGE_BYTES = 1024 * 1024;
/** The longest a large message waits for its turn to be written before the sender hears 451. */
const STORE_WAIT_MS = 60_000;

/** Where a message came from, copied at DATA: smtp-server resets the envelope once DATA ends. */
interface Arrival {
  readonly session: SMTPServerSession;
  readonly envelope: Envelope;
  readonly remoteAddress: string;
  readonly heloName: string | undefined;
}

function arrivalOf(session: SMTPServerSession): Arrival {
  const { mailFrom, rcptTo } = session.envelope;
  return {
    session,
    envelope: { mailFrom: mailFrom ? mailFrom.address : '', rcptTo: rcptTo.map((r) => r.address) },
    remoteAddress: session.remoteAddress,
    heloName: session.hostNameAppearsAs || undefined,
  };
}

/**
 * Checks the received message, counts it for its senders, stores and queues it: the text of the
 * 250 answer, or throws the SMTP answer. A message not accepted gives its senders' count back
 * (the limit counts accepted mail).
 */
async function storeMessage(
  ctx: SmtpPhaseContext,
  largeStoreGate: DataGate,
  arrival: Arrival,
  message: ReceivedMessage,
): Promise<string> {
  const { limits } = ctx.config;
  const { raw, rawSha256 } = message;
  const head = await readMessageHead(raw, limits.maxMessageBytes);
  if (!head.ok) throw answerFor(head.error);
  const senders = [arrival.envelope.mailFrom, ...(head.value.fromAddress ? [head.value.fromAddress] : [])];
  // Checked and counted in one step before storing: over the limit, nothing is stored. Counted per
  // client: an address written by someone elsewhere does not spend its owner's count.
  const reservation = await ctx.rate.reserve(senders, clientKey(arrival.remoteAddress));
  let accepted: Awaited<ReturnType<typeof acceptMessage>>;
  const storing = raw.length >= LARGE_MESSAGE_BYTES ? await largeStoreGate.enter(STORE_WAIT_MS) : () => {};
  if (!storing) {
    ctx.rate.release(reservation);
    throw TRY_AGAIN;
  }
  try {
    accepted = await acceptMessage(
      {
        db: ctx.db,
        queue: ctx.queue,
        maxBytes: limits.maxMessageBytes,
        dryRunAddresses: ctx.config.dryRunAddresses,
      },
      {
        raw,
        rawSha256,
        envelope: arrival.envelope,
        via: 'smtp',
        remoteAddress: arrival.remoteAddress,
        heloName: arrival.heloName,
        head: head.value,
      },
    );
  } catch (error) {
    ctx.rate.release(reservation);
    throw error;
  } finally {
    storing();
  }
  const { session } = arrival;
  if (!accepted.ok) {
    ctx.rate.release(reservation);
    const log = isTemporary(accepted.error)
      ? ctx.logger.warn.bind(ctx.logger)
      : ctx.logger.info.bind(ctx.logger);
    log(
      { session: session.id, code: accepted.error.code, err: accepted.error.message },
      'message not accepted',
    );
    throw answerFor(accepted.error);
  }
  const { id, duplicate } = accepted.value;
  ctx.metrics?.messageAccepted(duplicate);
  ctx.acceptedOnConnection.set(session.id, (ctx.acceptedOnConnection.get(session.id) ?? 0) + 1);
  ctx.logger.info(
    {
      submissionId: id,
      duplicate,
      bytes: raw.length,
      from: head.value.fromAddress,
      remoteAddress: arrival.remoteAddress,
    },
    duplicate ? 'duplicate delivery of a stored submission' : 'submission accepted',
  );
  return `2.0.0 Accepted as ${id}`;
}

/** onData: receives the message (see receiveMessage for its limits), then stores it or says why not. */
export function dataHandler(ctx: SmtpPhaseContext) {
  const { config, logger, guards } = ctx;
  const { limits } = config;
  /** Messages over SMALL_MESSAGE_BYTES in memory at once; the rest wait briefly, unread, then hear 421. */
  const dataGate = new DataGate(limits.maxConcurrentData);
  // A place must come before smtp-server's own idle timeout would cut the waiting client.
  const dataWaitMs = Math.max(1, Math.floor(limits.idleTimeoutMs / 2));
  // The pace of DATA is judged over this window: long enough for a pause, short enough for a trickle.
  const dataRateWindowMs = Math.min(30_000, limits.idleTimeoutMs);
  // The embedded database works on this thread and blocks it for the whole statement (a second
  // or more for a 10 MB message); statements queued behind each other ran back to back and
  // /healthz waited for all of them. Large messages are written one at a time (on PostgreSQL,
  // as many as DATA allows), with a turn of the event loop between them.
  const largeStoreGate = new DataGate(config.database.kind === 'pglite' ? 1 : limits.maxConcurrentData);

  return (stream: SMTPServerDataStream, session: SMTPServerSession, callback: SmtpCallback): void => {
    const arrival = arrivalOf(session);
    receiveMessage(stream, {
      gate: dataGate,
      smallBytes: SMALL_MESSAGE_BYTES,
      placeWaitMs: dataWaitMs,
      minBytesPerSecond: limits.minDataBytesPerSecond,
      paceWindowMs: dataRateWindowMs,
      waitingForUs: (work) => guards.working(session, work),
    }).then((reception) => {
      switch (reception.kind) {
        case 'message':
          guarded(ctx, 'DATA', session, callback, async () => {
            try {
              return await storeMessage(ctx, largeStoreGate, arrival, reception.message);
            } finally {
              reception.release();
            }
          });
          return;
        case 'too-large': {
          logger.info({ session: session.id, bytes: reception.bytes }, 'refused an oversized message');
          const tooLarge = reply(
            552,
            `5.3.4 The message is larger than the limit of ${limits.maxMessageBytes} bytes; nothing was stored`,
            'E_MESSAGE_TOO_LARGE',
          );
          countRefusal(ctx, tooLarge);
          callback(tooLarge);
          return;
        }
        case 'too-slow':
          guards.cut(
            session,
            `4.4.2 The message arrived slower than ${limits.minDataBytesPerSecond} bytes per second; closing connection, please try again`,
            'E_DATA_TOO_SLOW',
          );
          callback(TRY_AGAIN);
          return;
        case 'no-place':
          logger.warn(
            { session: session.id, waiting: dataGate.waiting },
            'no place for a large message in time',
          );
          guards.cut(
            session,
            '4.3.2 Too many large messages are arriving at once; please try again in a few minutes',
            'E_INGRESS_BUSY',
          );
          callback(TRY_AGAIN);
          return;
        case 'failed':
          logger.warn({ session: session.id, err: reception.error.message }, 'smtp DATA stream failed');
          countRefusal(ctx, TRY_AGAIN);
          callback(TRY_AGAIN);
          return;
      }
    });
  };
}
