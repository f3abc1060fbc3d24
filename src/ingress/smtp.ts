/**
 * The SMTP ingress: a receive-only server for the hostmaster addresses. It answers
 * `250 2.0.0 Accepted as <submission id>` only once the raw message is committed to the
 * database AND its job is in Redis; when either is unreachable it answers 451 so the sender's
 * MTA keeps the message and tries again. It relays nothing and authenticates nobody: who may
 * change what is decided later, per template, by the worker.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import {
  SMTPServer,
  type SMTPServerDataStream,
  type SMTPServerError,
  type SMTPServerSession,
} from 'smtp-server';
import type { Config } from '../config/index.ts';
import type { Executor } from '../db/index.ts';
import type { SubmissionQueue } from '../queue/index.ts';
import { listenFailure, type Problem, ProblemError, problem } from '../shared/index.ts';
import { acceptMessage, isTemporary } from './accept.ts';
import { DataGate } from './data-gate.ts';
import { receiveMessage } from './data-receiver.ts';
import type { ReceivedMessage } from './message-buffer.ts';
import { readMessageHead } from './message-head.ts';
import { type RateDecision, type RateReservation, type RateVerdict, SenderRate } from './sender-rate.ts';
import { SessionGuards, smtpError } from './session-guard.ts';
import type { Envelope } from './store.ts';

/** Counters the daemon wires to Prometheus: the ingress only says what it answered and why. */
export interface IngressMetrics {
  messageAccepted(duplicate: boolean): void;
  /** A refused command (MAIL FROM, RCPT TO or DATA): an E_ code for why, and the SMTP code sent. */
  messageRefused(reason: string, smtpCode: number): void;
}

export interface IngressDeps {
  readonly config: Config;
  readonly db: Executor;
  readonly queue: SubmissionQueue;
  readonly logger?: Logger;
  readonly metrics?: IngressMetrics;
}

export interface Ingress {
  /** The port actually listened on (config.smtp.port 0 picks a free one). */
  readonly port: number;
  /** Stops accepting connections and waits (up to 10 s) for open sessions to end. */
  close(): Promise<void>;
}

/** An SMTP answer: the code and the text after it (enhanced status code first), and why (for metrics). */
const reply = smtpError;

/** Up to this size a message is received without waiting for one of the places for large messages. */
const SMALL_MESSAGE_BYTES = 256 * 1024;
/** From this size on a message is written to the database in turn with other large ones. */
const LARGE_MESSAGE_BYTES = 1024 * 1024;
/** The longest a large message waits for its turn to be written before the sender hears 451. */
const STORE_WAIT_MS = 60_000;

const TRY_AGAIN = reply(451, '4.3.0 Temporary local problem; please try again later', 'E_INTERNAL');

/** A connection refused for a reason of ours: the client comes back later. */
const TRY_LATER = reply(421, '4.3.0 Temporary local problem; please try again later', 'E_INTERNAL');

function answerFor(p: Problem): SMTPServerError {
  if (p.code === 'E_DATABASE_UNAVAILABLE') {
    return reply(
      451,
      '4.3.0 The registry database is unreachable; message not accepted, please try again later',
      p.code,
    );
  }
  if (p.code === 'E_QUEUE_UNAVAILABLE') {
    return reply(
      451,
      '4.3.0 The job queue is unreachable; message not accepted, please try again later',
      p.code,
    );
  }
  if (p.code === 'E_MESSAGE_TOO_LARGE') return reply(552, `5.3.4 ${p.message}`, p.code);
  return reply(550, `5.6.0 ${p.message}`, p.code);
}

function copyEnvelope(session: SMTPServerSession): Envelope {
  const { mailFrom, rcptTo } = session.envelope;
  return { mailFrom: mailFrom ? mailFrom.address : '', rcptTo: rcptTo.map((r) => r.address) };
}

/** STARTTLS only with the operator's own certificate: smtp-server's built-in one has a public key. */
function readTlsFiles(config: Config): { key: Buffer; cert: Buffer } | undefined {
  const { tlsKeyPath, tlsCertPath } = config.smtp;
  if (!tlsKeyPath || !tlsCertPath) return undefined;
  try {
    return { key: fs.readFileSync(tlsKeyPath), cert: fs.readFileSync(tlsCertPath) };
  } catch (error) {
    throw new ProblemError(
      problem('E_CONFIG', `SMTP_TLS_KEY/SMTP_TLS_CERT cannot be read: ${(error as Error).message}`),
    );
  }
}

export async function startIngress(deps: IngressDeps): Promise<Ingress> {
  const { config, db, queue } = deps;
  const logger = deps.logger ?? pino({ level: 'silent' });
  const limits = config.limits;
  // Mail to a dry-run address is taken like any: the worker runs it and rolls it back.
  const mailboxes = new Set(
    [...config.hostmasterAddresses, ...config.dryRunAddresses].map((a) => a.toLowerCase()),
  );
  const rate = new SenderRate(queue.redis, limits.perSenderPerHour);
  /** Messages accepted on each open connection, by session id. */
  const acceptedOnConnection = new Map<string, number>();

  const tls = readTlsFiles(config);

  const countRefusal = (error: SMTPServerError) => {
    const reason = 'reason' in error && typeof error.reason === 'string' ? error.reason : 'E_OTHER';
    deps.metrics?.messageRefused(reason, error.responseCode ?? 451);
  };

  /** Runs a handler so that nothing it throws reaches smtp-server: a surprise answers 451 and is logged. */
  const guarded = (
    what: string,
    session: SMTPServerSession,
    callback: (error?: Error | null, message?: string) => void,
    work: () => Promise<string | undefined>,
  ) => {
    guards.working(session, work).then(
      (message) => callback(null, message),
      (error: unknown) => {
        if (error instanceof Error && 'responseCode' in error) {
          countRefusal(error as SMTPServerError);
          return callback(error);
        }
        logger.error({ session: session.id, err: (error as Error).message }, `smtp ${what} failed`);
        countRefusal(TRY_AGAIN);
        callback(TRY_AGAIN);
      },
    );
  };

  const rateAnswer = (verdict: RateVerdict): SMTPServerError => {
    logger.warn({ sender: verdict.sender, count: verdict.count }, 'sender over its hourly limit');
    return reply(
      451,
      `4.7.1 ${verdict.sender} has sent ${verdict.count} messages in the last hour; the limit is ${rate.limitPerHour}, please try again later`,
      'E_SENDER_RATE',
    );
  };
  const redisDown = () => answerFor(problem('E_QUEUE_UNAVAILABLE', 'redis unreachable'));

  /** MAIL FROM: an early "over the limit" for a sender lately at its limit, before the message is sent. Counts nothing. */
  const overRateAnswer = async (senders: readonly string[]): Promise<SMTPServerError | undefined> => {
    let verdict: RateVerdict | undefined;
    try {
      verdict = await rate.overLimit(senders);
    } catch {
      return redisDown();
    }
    return verdict ? rateAnswer(verdict) : undefined;
  };

  /** DATA: counts the message for its senders, or throws the SMTP answer (over the limit, Redis down). */
  const reserveRate = async (senders: readonly string[]): Promise<RateReservation> => {
    let decision: RateDecision;
    try {
      decision = await rate.reserve(senders);
    } catch {
      throw redisDown();
    }
    if (!decision.allowed) throw rateAnswer(decision.verdict);
    return decision.reservation;
  };

  /** Gives a count back without delaying the answer; a lost release only makes the limit a little strict. */
  const releaseRate = (reservation: RateReservation) => {
    rate.release(reservation).catch((error: Error) => {
      logger.warn({ err: error.message }, 'could not give back a sender count');
    });
  };

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

  const server = new SMTPServer({
    name: config.hostmasterAddresses[0]?.split('@')[1] || 'hostmasterd',
    banner: 'hostmasterd ESMTP: registration templates for the hostmaster mailbox only',
    size: limits.maxMessageBytes,
    maxRecipients: limits.maxRecipients,
    disabledCommands: tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    hideSTARTTLS: !tls,
    ...(tls ?? {}),
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 10_000,
    socketTimeout: limits.idleTimeoutMs,

    onConnect(session, callback) {
      // Thrown here it would surface in a timer of smtp-server's and end the process.
      let refusal: SMTPServerError | undefined;
      try {
        refusal = guards.admit(session);
      } catch (error) {
        logger.error({ session: session.id, err: (error as Error).message }, 'smtp connection check failed');
        refusal = TRY_LATER;
      }
      callback(refusal ?? null);
    },

    onMailFrom(address, session, callback) {
      guarded('MAIL FROM', session, callback, async () => {
        const accepted = acceptedOnConnection.get(session.id) ?? 0;
        if (accepted >= limits.perConnectionMessages) {
          throw reply(
            451,
            `4.7.1 ${accepted} messages on one connection is the limit; please reconnect to send more`,
            'E_CONNECTION_LIMIT',
          );
        }
        // Only a sender lately found at its limit costs a Redis call here; DATA checks everyone.
        if (rate.recentlyOverLimit([address.address])) {
          const over = await overRateAnswer([address.address]);
          if (over) throw over;
        }
        return undefined;
      });
    },

    onRcptTo(address, session, callback) {
      guarded('RCPT TO', session, callback, async () => {
        if (!mailboxes.has(address.address.toLowerCase())) {
          throw reply(
            550,
            `5.1.1 <${address.address}>: no such mailbox here; this server only accepts mail for ${[...mailboxes].join(', ')} (no relaying)`,
            'E_UNKNOWN_RECIPIENT',
          );
        }
        return undefined;
      });
    },

    onData(stream: SMTPServerDataStream, session, callback) {
      // smtp-server resets the envelope once DATA ends: copy what we keep now.
      const envelope = copyEnvelope(session);
      const remoteAddress = session.remoteAddress;
      const heloName = session.hostNameAppearsAs || undefined;

      const store = async (message: ReceivedMessage): Promise<string> => {
        const { raw, rawSha256 } = message;
        const head = await readMessageHead(raw, limits.maxMessageBytes);
        if (!head.ok) throw answerFor(head.error);
        const senders = [envelope.mailFrom, ...(head.value.fromAddress ? [head.value.fromAddress] : [])];
        // Checked and counted in one step before storing: over the limit, nothing is stored.
        const reservation = await reserveRate(senders);
        let accepted: Awaited<ReturnType<typeof acceptMessage>>;
        const storing =
          raw.length >= LARGE_MESSAGE_BYTES ? await largeStoreGate.enter(STORE_WAIT_MS) : () => {};
        if (!storing) {
          releaseRate(reservation);
          throw TRY_AGAIN;
        }
        try {
          accepted = await acceptMessage(
            { db, queue, maxBytes: limits.maxMessageBytes },
            { raw, rawSha256, envelope, via: 'smtp', remoteAddress, heloName, head: head.value },
          );
        } catch (error) {
          releaseRate(reservation);
          throw error;
        } finally {
          storing();
        }
        if (!accepted.ok) {
          // Not accepted: the sender's count goes back to what it was (the limit counts accepted mail).
          releaseRate(reservation);
          const log = isTemporary(accepted.error) ? logger.warn.bind(logger) : logger.info.bind(logger);
          log(
            { session: session.id, code: accepted.error.code, err: accepted.error.message },
            'message not accepted',
          );
          throw answerFor(accepted.error);
        }
        const { id, duplicate } = accepted.value;
        deps.metrics?.messageAccepted(duplicate);
        acceptedOnConnection.set(session.id, (acceptedOnConnection.get(session.id) ?? 0) + 1);
        logger.info(
          { submissionId: id, duplicate, bytes: raw.length, from: head.value.fromAddress, remoteAddress },
          duplicate ? 'duplicate delivery of a stored submission' : 'submission accepted',
        );
        return `2.0.0 Accepted as ${id}`;
      };

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
            guarded('DATA', session, callback, async () => {
              try {
                return await store(reception.message);
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
            countRefusal(tooLarge);
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
            countRefusal(TRY_AGAIN);
            callback(TRY_AGAIN);
            return;
        }
      });
    },

    onClose(session) {
      acceptedOnConnection.delete(session.id);
      guards.release(session);
    },
  });
  const guards = new SessionGuards(server, {
    maxConnections: limits.maxConnections,
    maxConnectionsPerClient: limits.maxConnectionsPerClient,
    sessionTimeoutMs: limits.sessionTimeoutMs,
    idleTimeoutMs: limits.idleTimeoutMs,
    maxRefusedCommands: limits.maxRefusedCommands,
    logger,
    onRefusal: (reason, code) => deps.metrics?.messageRefused(reason, code),
  });
  server.on('error', (error) => logger.error({ err: error.message }, 'smtp server error'));

  const port = await new Promise<number>((resolve, reject) => {
    const onError = (error: Error) => {
      reject(
        listenFailure(
          {
            code: 'E_SMTP_LISTEN',
            what: 'SMTP',
            host: config.smtp.host,
            port: config.smtp.port,
            variables: 'SMTP_HOST/SMTP_PORT',
          },
          error,
        ),
      );
    };
    server.server.once('error', onError);
    server.listen(config.smtp.port, config.smtp.host, () => {
      server.server.removeListener('error', onError);
      resolve((server.server.address() as AddressInfo).port);
    });
  });
  logger.info({ host: config.smtp.host, port, mailboxes: [...mailboxes] }, 'smtp ingress listening');

  let closing: Promise<void> | undefined;
  return {
    port,
    close: () => {
      closing ??= new Promise<void>((resolve) => server.close(() => resolve()));
      return closing;
    },
  };
}
